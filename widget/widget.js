/*
 * The clinic's chat widget: one <script> tag, no build step.
 *
 *   <script src="https://clinic.example/widget/widget.js" defer
 *           data-config='{"serverUrl": "https://bot.clinic.example", "clinicName": "Spine Clinic"}'></script>
 *
 * It talks to Rasa's socket.io channel (credentials.yml, bot/channels/socketio.py) with the
 * socket.io client served beside it (vendor/socket.io.min.js, from npm: see README). Every text
 * is rendered as text (never as HTML); only phone numbers (tel:) and the configured clinic
 * origins become links. The conversation is kept in this browser (localStorage) for as long as
 * the server keeps the session (sessionMinutes, the same as domain.yml's session expiry): after
 * that the widget starts a new conversation, so a tab left open for days never drags an old one.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var DEFAULTS = {
    serverUrl: "",
    socketPath: "/socket.io/",
    clinicName: "the clinic",
    title: "",
    greeting: "Hi! Ask me about leg pain after your microdiscectomy.",
    // The bot's own disclaimer (domain.yml utter_disclaimer; tests/unit/test_widget.py keeps them equal).
    disclaimer: "I'm a chat bot, not a doctor. I give general information, not medical advice. In an emergency, call 911.",
    colours: { accent: "#0a5a9c", accentText: "#ffffff" },
    linkOrigins: [],
    sessionMinutes: 60,
    socketioClientUrl: "",
  };
  var FALLBACK_COLOURS = DEFAULTS.colours;
  // US numbers as the answers write them (bot/phone.py), and 911.
  var PHONE = /\b(\d{3}-\d{3}-\d{4}|911)\b/;
  var URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/;
  var STORAGE_PREFIX = "clinic-chat:v1:";
  var TIER_LABEL = {
    emergency: "Emergency: call 911 now",
    urgent: "Urgent: call the clinic today",
  };

  function readConfig() {
    var given = window.ClinicChatConfig || {};
    if (script && script.dataset.config) {
      try {
        given = JSON.parse(script.dataset.config);
      } catch (error) {
        console.error("clinic chat: data-config is not valid JSON", error);
      }
    }
    var config = {};
    Object.keys(DEFAULTS).forEach(function (key) {
      config[key] = given[key] !== undefined ? given[key] : DEFAULTS[key];
    });
    config.colours = checkedColours(given.colours || {});
    config.title = config.title || "Ask " + config.clinicName;
    return config;
  }

  // ---- colours: never below WCAG AA contrast (4.5:1) ---------------------------------------
  function luminance(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(String(hex).trim());
    if (!m) return null;
    var channels = [0, 2, 4].map(function (i) {
      var c = parseInt(m[1].substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    if (la === null || lb === null) return 0;
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function checkedColours(given) {
    var accent = given.accent || FALLBACK_COLOURS.accent;
    var accentText = given.accentText || FALLBACK_COLOURS.accentText;
    // The accent is also text on white (links, buttons' labels), so both pairs must pass.
    if (contrast(accent, accentText) < 4.5 || contrast(accent, "#ffffff") < 4.5) {
      console.warn("clinic chat: colours " + accent + "/" + accentText + " are below 4.5:1 contrast; using the defaults");
      return FALLBACK_COLOURS;
    }
    return { accent: accent, accentText: accentText };
  }

  // ---- what the browser keeps ----------------------------------------------------------------
  function newSessionId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function Store(config) {
    this.key = STORAGE_PREFIX + config.serverUrl;
    this.maxAgeMs = config.sessionMinutes * 60 * 1000;
  }

  Store.prototype.fresh = function () {
    return { sessionId: newSessionId(), lastActive: Date.now(), messages: [], outbox: [], open: false };
  };

  /** The kept conversation, or a new one when none is kept or the server has expired it. */
  Store.prototype.load = function () {
    var state = null;
    try {
      state = JSON.parse(localStorage.getItem(this.key) || "null");
    } catch (error) {
      state = null;
    }
    if (!state || !state.sessionId || !Array.isArray(state.messages) ||
        Date.now() - (state.lastActive || 0) > this.maxAgeMs) {
      state = this.fresh();
      this.save(state);
    }
    state.outbox = state.outbox || [];
    return state;
  };

  Store.prototype.save = function (state) {
    try {
      localStorage.setItem(this.key, JSON.stringify(state));
    } catch (error) {
      /* private mode or full: the chat still works, only not across a reload */
    }
  };

  Store.prototype.clear = function () {
    try {
      localStorage.removeItem(this.key);
    } catch (error) { /* nothing kept */ }
  };

  // ---- rendering: text nodes only ------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "className") node.className = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function telHref(number) {
    return number === "911" ? "tel:911" : "tel:+1" + number.replace(/\D/g, "");
  }

  function allowedUrl(raw, origins) {
    try {
      var url = new URL(raw);
      return origins.indexOf(url.origin) >= 0 ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  /** Appends `text` to `parent` as text nodes, with phone numbers and clinic URLs as links. */
  function appendLinked(parent, text, origins) {
    var rest = String(text);
    while (rest) {
      var phone = PHONE.exec(rest), url = URL_RE.exec(rest);
      var match = phone && (!url || phone.index <= url.index) ? phone : url;
      if (!match) {
        parent.appendChild(document.createTextNode(rest));
        return;
      }
      if (match.index) parent.appendChild(document.createTextNode(rest.slice(0, match.index)));
      if (match === phone) {
        parent.appendChild(el("a", { href: telHref(match[1]), className: "cc-tel", text: match[0] }));
      } else {
        var href = allowedUrl(match[0], origins);
        parent.appendChild(href ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: match[0] })
                                : document.createTextNode(match[0]));
      }
      rest = rest.slice(match.index + match[0].length);
    }
  }

  /** Rasa's buttons, or its socket.io quick replies, as [{title, payload, url}]. */
  function buttonsOf(message) {
    var list = message.buttons || message.quick_replies || [];
    return list.filter(function (b) { return b && b.title; }).map(function (b) {
      return { title: String(b.title), payload: b.payload ? String(b.payload) : "", url: b.url ? String(b.url) : "" };
    });
  }

  function tierOf(message) {
    var tier = message.tier || (message.metadata && message.metadata.tier) || (message.custom && message.custom.tier);
    return TIER_LABEL[tier] ? tier : "";
  }

  // ---- the widget ----------------------------------------------------------------------------
  function Widget(config) {
    this.config = config;
    this.store = new Store(config);
    this.state = this.store.load();
    this.socket = null;
    this.confirmed = false;
    this.sending = false;
    this.attempt = 0;
    this.build();
    this.renderAll();
    if (this.state.open) this.open(false);
    this.loadClient();
  }

  Widget.prototype.build = function () {
    var c = this.config;
    if (script && !document.querySelector("link[data-clinic-chat]")) {
      document.head.appendChild(el("link", { rel: "stylesheet", href: new URL("widget.css", script.src).href,
                                             "data-clinic-chat": "" }));
    }
    this.launcher = el("button", { type: "button", className: "cc-launcher", "aria-expanded": "false",
                                   "aria-controls": "cc-panel", text: "Chat with " + c.clinicName });
    this.title = el("h2", { id: "cc-title", className: "cc-title", text: c.title });
    this.restart = el("button", { type: "button", className: "cc-restart", text: "Start over" });
    this.closer = el("button", { type: "button", className: "cc-close", "aria-label": "Close chat", text: "\u00d7" });
    this.status = el("p", { className: "cc-status", role: "status", "aria-live": "polite" });
    this.log = el("div", { className: "cc-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
                          "aria-label": "Conversation", tabindex: "0" });
    this.typing = el("p", { className: "cc-typing", hidden: "", text: "The assistant is typing" },
                     [el("span", { className: "cc-dots", "aria-hidden": "true" })]);
    this.input = el("textarea", { id: "cc-input", className: "cc-input", rows: "1", maxlength: "1000",
                                  autocomplete: "off", placeholder: "Type your question" });
    this.send = el("button", { type: "submit", className: "cc-send", text: "Send" });
    this.form = el("form", { className: "cc-form" }, [
      el("label", { for: "cc-input", className: "cc-visually-hidden", text: "Your message" }), this.input, this.send]);
    this.disclaimer = el("p", { className: "cc-disclaimer" });
    appendLinked(this.disclaimer, c.disclaimer, c.linkOrigins);
    this.panel = el("section", { id: "cc-panel", className: "cc-panel", role: "dialog", "aria-labelledby": "cc-title",
                                 hidden: "" }, [
      el("header", { className: "cc-header" }, [this.title, this.restart, this.closer]),
      this.disclaimer,
      this.status, this.log, this.typing, this.form]);
    this.root = el("div", { className: "cc-root" }, [this.panel, this.launcher]);
    this.root.style.setProperty("--cc-accent", c.colours.accent);
    this.root.style.setProperty("--cc-accent-text", c.colours.accentText);
    document.body.appendChild(this.root);

    var self = this;
    this.launcher.addEventListener("click", function () { self.open(true); });
    this.closer.addEventListener("click", function () { self.close(); });
    this.restart.addEventListener("click", function () { self.startOver(); });
    this.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") self.close();
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    this.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        self.submit();
      }
    });
    // Phones: keep the form above the on-screen keyboard (the visual viewport shrinks).
    if (window.visualViewport) {
      var fit = function () {
        self.root.style.setProperty("--cc-viewport-height", window.visualViewport.height + "px");
      };
      window.visualViewport.addEventListener("resize", fit);
      fit();
    }
  };

  Widget.prototype.open = function (focus) {
    if (this.expired() && !this.state.outbox.length) this.renew();
    this.panel.hidden = false;
    this.launcher.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    this.state.open = true;
    this.store.save(this.state); // not a message: the session's clock (the server's) does not move
    this.log.scrollTop = this.log.scrollHeight;
    if (focus) this.input.focus();
  };

  Widget.prototype.close = function () {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    this.state.open = false;
    this.store.save(this.state);
    this.launcher.focus();
  };

  Widget.prototype.touch = function () {
    this.state.lastActive = Date.now();
    this.store.save(this.state);
  };

  Widget.prototype.renderAll = function () {
    this.log.textContent = "";
    this.log.appendChild(this.renderMessage({ from: "bot", text: this.config.greeting }, -1));
    var self = this;
    this.state.messages.forEach(function (message, index) {
      self.log.appendChild(self.renderMessage(message, index));
    });
  };

  Widget.prototype.renderMessage = function (message, index) {
    var self = this;
    var tier = message.from === "bot" ? tierOf(message) : "";
    var item = el("div", { className: "cc-message cc-" + message.from + (tier ? " cc-" + tier : "") });
    item.appendChild(el("span", { className: "cc-visually-hidden", text: message.from === "bot" ? "Assistant: " : "You: " }));
    if (tier) item.appendChild(el("strong", { className: "cc-banner", text: TIER_LABEL[tier] }));
    var body = el("p", { className: "cc-text" });
    appendLinked(body, message.text || "", this.config.linkOrigins);
    item.appendChild(body);
    if (message.pending) item.appendChild(el("span", { className: "cc-pending", text: "Not sent yet: will send when back online" }));
    var buttons = message.buttons || [];
    if (buttons.length) {
      var group = el("div", { className: "cc-choices", role: "group", "aria-label": "Choices" });
      buttons.forEach(function (button) {
        var tel = /^tel:\+?[0-9]+$/.test(button.url) ? button.url : "";
        var link = tel || (button.url && allowedUrl(button.url, self.config.linkOrigins));
        if (link) {
          group.appendChild(el("a", tel ? { href: link, className: "cc-choice cc-link", text: button.title }
                                        : { href: link, className: "cc-choice cc-link", target: "_blank",
                                            rel: "noopener noreferrer", text: button.title }));
        } else if (button.payload) {
          var node = el("button", { type: "button", className: "cc-choice", text: button.title });
          if (message.answered) node.disabled = true;
          node.addEventListener("click", function () {
            self.sendText(button.title, button.payload);
          });
          group.appendChild(node);
        }
      });
      if (group.childNodes.length) item.appendChild(group);
    }
    item.dataset.index = String(index);
    return item;
  };

  /** A reply (typed or chosen) answers every earlier question: their buttons are disabled. */
  Widget.prototype.markAnswered = function () {
    this.state.messages.forEach(function (message) { message.answered = true; });
    Array.prototype.forEach.call(this.log.querySelectorAll("button.cc-choice"), function (button) {
      button.disabled = true;
    });
  };

  Widget.prototype.append = function (message) {
    this.state.messages.push(message);
    this.touch();
    var node = this.renderMessage(message, this.state.messages.length - 1);
    this.log.appendChild(node);
    this.log.scrollTop = this.log.scrollHeight;
    return node;
  };

  Widget.prototype.submit = function () {
    var text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.sendText(text, text);
  };

  Widget.prototype.sendText = function (shown, payload) {
    if (this.expired() && !this.state.outbox.length) this.renew(); // a tab left open past the session
    this.markAnswered();
    var id = newSessionId();
    var offline = !this.connectedNow();
    this.append({ from: "user", text: shown, id: id, pending: offline });
    this.state.outbox.push({ id: id, message: payload });
    this.store.save(this.state);
    this.flush();
  };

  Widget.prototype.connectedNow = function () {
    return !!(this.socket && this.socket.connected && this.confirmed);
  };

  /** Sends what is waiting, oldest first; a message leaves the outbox when the server has answered it. */
  Widget.prototype.flush = function () {
    if (!this.connectedNow() || this.sending || !this.state.outbox.length) return;
    var self = this, next = this.state.outbox[0], attempt = ++this.attempt;
    this.sending = true;
    this.typing.hidden = false;
    this.socket.timeout(60000).emit("user_uttered", { message: next.message, session_id: this.state.sessionId },
      function (error, answer) {
        if (attempt !== self.attempt) return; // given up at a disconnection: sent again since
        self.sending = false;
        self.typing.hidden = true;
        if (error) return; // no answer: it stays in the outbox and goes again on reconnection
        self.state.outbox.shift();
        self.markSent(next.id);
        if (answer && answer.error) self.status.textContent = "That message was not sent: " + answer.error;
        self.touch();
        self.flush();
      });
  };

  Widget.prototype.markSent = function (id) {
    var index = -1;
    this.state.messages.forEach(function (message, i) {
      if (message.id === id) { index = i; delete message.pending; }
    });
    var node = this.log.querySelector('[data-index="' + index + '"] .cc-pending');
    if (node) node.remove();
  };

  Widget.prototype.receive = function (data) {
    if (!data || typeof data !== "object") return;
    var message = { from: "bot", text: typeof data.text === "string" ? data.text : "", buttons: buttonsOf(data),
                    tier: tierOf(data) };
    if (!message.text && !message.buttons.length) return;
    this.append(message);
  };

  Widget.prototype.setOnline = function (online) {
    this.status.textContent = online ? "" :
      "You are offline. Reconnecting\u2026 Messages you send now will be sent when the connection is back.";
    this.root.classList.toggle("cc-offline", !online);
  };

  /** A new conversation: new random session id, nothing kept of the old one. */
  Widget.prototype.startOver = function () {
    this.renew();
    this.input.focus();
  };

  Widget.prototype.renew = function () {
    var open = this.state.open;
    this.store.clear();
    this.state = this.store.fresh();
    this.state.open = open;
    this.store.save(this.state);
    this.renderAll();
    if (this.socket) {
      // A new connection leaves the old conversation's room: none of its replies can arrive here.
      this.attempt += 1;
      this.sending = false;
      this.socket.disconnect().connect();
    }
  };

  /** True when the server has ended this session (sessionMinutes without a message, as domain.yml). */
  Widget.prototype.expired = function () {
    return Date.now() - (this.state.lastActive || 0) > this.store.maxAgeMs;
  };

  Widget.prototype.requestSession = function () {
    this.confirmed = false;
    if (this.socket && this.socket.connected) {
      this.socket.emit("session_request", { session_id: this.state.sessionId });
    }
  };

  Widget.prototype.loadClient = function () {
    var self = this;
    if (window.io) return this.connect();
    var src = this.config.socketioClientUrl || new URL("vendor/socket.io.min.js", script.src).href;
    var tag = el("script", { src: src });
    tag.addEventListener("load", function () { self.connect(); });
    tag.addEventListener("error", function () { self.setOnline(false); });
    document.head.appendChild(tag);
  };

  Widget.prototype.connect = function () {
    var self = this;
    this.setOnline(false);
    this.socket = window.io(this.config.serverUrl, { path: this.config.socketPath, transports: ["websocket", "polling"],
                                                     reconnectionDelayMax: 5000 });
    this.socket.on("connect", function () { self.requestSession(); });
    this.socket.on("session_confirm", function (data) {
      var id = data && typeof data === "object" ? data.session_id : data;
      if (id !== self.state.sessionId) return; // an answer to a session given up (start over)
      self.confirmed = true;
      self.setOnline(true);
      self.flush();
    });
    this.socket.on("bot_uttered", function (data) { self.receive(data); });
    this.socket.on("disconnect", function () {
      self.attempt += 1;
      self.confirmed = false;
      self.sending = false;
      self.typing.hidden = true;
      self.setOnline(false);
    });
  };

  function start() {
    window.clinicChat = new Widget(readConfig());
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
