"""The chat widget on the demo clinic page, in Debian's chromium, against the real servers
(issue 14, point 7): what a patient sees and can do, with the mouse, the keyboard and a phone."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.servers, pytest.mark.model, pytest.mark.browser]

TIMEOUT = 60_000  # ms; a turn is far faster, a restarted Rasa server takes up to a minute
XSS = "<img src=x onerror=alert(1)>"


def open_chat(page: Page) -> None:
    page.get_by_role("button", name=re.compile("^Chat with")).click()
    expect(page.locator("#cc-input")).to_be_focused()
    online(page)


def online(page: Page) -> None:
    expect(page.locator(".cc-root")).not_to_have_class(re.compile("cc-offline"), timeout=TIMEOUT)


def settled(page: Page) -> None:
    """Every message sent and answered (the widget's outbox is empty)."""
    page.wait_for_function("() => window.clinicChat.state.outbox.length === 0 && !window.clinicChat.sending",
                           timeout=TIMEOUT)


def ask(page: Page, text: str) -> str:
    """Types `text`, sends it with Enter, and returns the text of the bot's replies to it."""
    before = page.locator(".cc-bot").count()
    page.locator("#cc-input").fill(text)
    page.locator("#cc-input").press("Enter")
    settled(page)
    expect(page.locator(".cc-bot").nth(before)).to_be_visible()
    return "\n".join(page.locator(".cc-bot .cc-text").all_inner_texts()[before:])


def last_bot(page: Page):
    return page.locator(".cc-bot").last


def test_a_question_gets_the_articles_answer_after_the_disclaimer(page, shot):
    expect(page.locator(".cc-panel")).to_be_hidden()
    open_chat(page)
    expect(page.locator(".cc-disclaimer")).to_contain_text("not a doctor")
    answer = ask(page, "how long will my leg hurt?")
    assert "not medical advice" in answer  # the first reply of the conversation
    assert "4 to 6 weeks" in answer and "longer than 6 weeks" in answer
    expect(page.locator(".cc-user").last).to_have_text(re.compile("how long will my leg hurt"))
    shot(page, "widget-desktop")


def test_an_emergency_is_shown_as_one_with_a_working_911_link(page, shot):
    open_chat(page)
    ask(page, "hi")
    answer = ask(page, "i peed myself and didnt feel it")
    assert "Call 911 now" in answer
    reply = last_bot(page)
    expect(reply).to_have_class(re.compile("cc-emergency"))
    expect(reply.locator(".cc-banner")).to_have_text(re.compile("Emergency"))
    normal = page.locator(".cc-bot").first.evaluate("node => getComputedStyle(node).backgroundColor")
    assert reply.evaluate("node => getComputedStyle(node).backgroundColor") != normal
    call = reply.get_by_role("link", name="Call 911")
    expect(call).to_have_attribute("href", "tel:911")
    expect(reply.locator("a.cc-tel", has_text="911").first).to_have_attribute("href", "tel:911")
    clinic = reply.get_by_role("link", name=re.compile(r"Call 844-288-7474"))
    expect(clinic).to_have_attribute("href", "tel:+18442887474")
    shot(page, "widget-emergency")


def test_an_urgent_reply_is_shown_as_urgent(page):
    open_chat(page)
    answer = ask(page, "temp 38.5 and the wound is leaking")
    assert "today" in answer
    advice = page.locator(".cc-bot", has_text="doctor's attention today")
    expect(advice).to_have_class(re.compile("cc-urgent"))
    expect(advice.locator(".cc-banner")).to_have_text(re.compile("Urgent"))
    expect(page.locator(".cc-urgent")).to_have_count(1)  # what follows the advice is not styled as it


def test_buttons_answer_and_are_disabled_once_answered(page):
    open_chat(page)
    ask(page, "how do I reach the clinic")
    offer = page.locator(".cc-bot", has_text="You can reach")
    expect(offer.get_by_role("link", name=re.compile("Call 844-288-7474"))).to_have_attribute(
        "href", "tel:+18442887474")
    callback = offer.get_by_role("button", name="Ask for a callback")
    callback.click()
    settled(page)
    expect(page.locator(".cc-user").last).to_have_text(re.compile("Ask for a callback"))
    expect(last_bot(page)).to_contain_text("Is that OK?")
    expect(callback).to_be_disabled()
    consent = page.locator(".cc-bot", has_text="Is that OK?")
    consent.get_by_role("button", name="No").click()
    settled(page)
    expect(consent.get_by_role("button", name="Yes")).to_be_disabled()
    # the phone link is not an answer: it keeps working
    expect(offer.get_by_role("link", name=re.compile("Call 844-288-7474"))).to_be_enabled()


def test_a_reload_keeps_the_conversation_and_start_over_clears_it(page):
    open_chat(page)
    ask(page, "how long will my leg hurt?")
    page.reload()
    expect(page.locator(".cc-panel")).to_be_visible()  # it was open: it opens again
    expect(page.locator(".cc-user")).to_have_text([re.compile("how long will my leg hurt")])
    expect(page.locator(".cc-bot").last).to_contain_text("4 to 6 weeks")
    online(page)
    later = ask(page, "can i drive?")
    assert "drive" in later and "not medical advice" not in later  # the same conversation on the server

    page.get_by_role("button", name="Start over").click()
    expect(page.locator(".cc-user")).to_have_count(0)
    expect(page.locator(".cc-bot")).to_have_count(1)  # the greeting only
    online(page)
    assert "not medical advice" in ask(page, "can i drive?")  # a new conversation
    page.reload()
    expect(page.locator(".cc-user")).to_have_count(1)


def test_after_the_session_expiry_the_widget_starts_a_new_conversation(page):
    open_chat(page)
    ask(page, "how long will my leg hurt?")
    kept = page.evaluate("() => window.clinicChat.state.sessionId")
    minutes = page.evaluate("() => window.clinicChat.config.sessionMinutes")
    page.evaluate("""minutes => {  // as if the tab had been left alone for longer than the session
        const key = Object.keys(localStorage).find(k => k.startsWith('clinic-chat:'));
        const state = JSON.parse(localStorage.getItem(key));
        state.lastActive -= (minutes + 1) * 60 * 1000;
        localStorage.setItem(key, JSON.stringify(state));
    }""", minutes)
    page.reload()
    expect(page.locator(".cc-user")).to_have_count(0)
    assert page.evaluate("() => window.clinicChat.state.sessionId") != kept
    open_chat(page)
    assert "not medical advice" in ask(page, "can i drive?")  # a new conversation on the server too


def test_html_typed_by_the_patient_and_returned_in_a_reply_stays_text(page):
    """The Rasa server never echoes a patient's words, so the test makes it: each reply from the
    real server is rewritten in flight to include what the patient typed."""
    def echo(ws):
        server = ws.connect_to_server()

        def from_server(message):
            if isinstance(message, str) and message.startswith('42["bot_uttered"'):
                event, data = json.loads(message[2:])
                data["text"] += f"\n\nYou wrote: {XSS}"
                message = "42" + json.dumps([event, data])
            ws.send(message)
        server.on_message(from_server)

    page.route_web_socket(re.compile(r"/socket\.io/"), echo)
    page.reload()
    open_chat(page)
    ask(page, XSS)
    expect(page.locator(".cc-user").last).to_have_text(re.compile(re.escape(XSS)))
    expect(last_bot(page)).to_contain_text(f"You wrote: {XSS}")
    assert page.locator(".cc-root img").count() == 0
    page.reload()  # the history, drawn again from the browser's storage
    expect(page.locator(".cc-user").last).to_have_text(re.compile(re.escape(XSS)))
    assert page.locator(".cc-root img").count() == 0
    # the page fixture fails the test if alert() opened a dialog or the page raised


def test_keyboard_alone_opens_sends_and_closes(page):
    launcher = page.get_by_role("button", name=re.compile("^Chat with"))
    for _ in range(20):
        if launcher.evaluate("node => node === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#cc-input")).to_be_focused()
    online(page)
    page.keyboard.type("can i drive?")
    page.keyboard.press("Enter")
    settled(page)
    expect(last_bot(page)).to_contain_text("drive")
    close = page.get_by_role("button", name="Close chat")
    for _ in range(10):
        if close.evaluate("node => node === document.activeElement"):
            break
        page.keyboard.press("Shift+Tab")
    expect(close).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".cc-panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")  # and Escape closes it too
    expect(page.locator("#cc-input")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(".cc-panel")).to_be_hidden()
    expect(launcher).to_be_focused()


def axe_violations(page: Page):
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page."""
    results = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_axe_finds_no_serious_violations(new_context, stack, size, shot, phone_width):
    page = new_context(size, axe=True).new_page()
    page.goto(stack.demo_url + "/")
    assert axe_violations(page) == []  # closed
    open_chat(page)
    ask(page, "is it normal that my leg still hurts?")
    ask(page, "how do I reach the clinic")
    ask(page, "i peed myself and didnt feel it")
    assert axe_violations(page) == []  # open, with buttons and an emergency reply
    if size == "phone":
        panel = page.locator(".cc-panel").bounding_box()
        assert panel and panel["width"] <= phone_width
        assert page.evaluate("() => document.documentElement.scrollWidth") <= phone_width
        shot(page, "widget-phone")
        # the on-screen keyboard takes half the screen: the message box stays in sight
        page.set_viewport_size({"width": phone_width, "height": 380})
        # widget.js refits on the visual viewport's resize event, which fires after the resize
        page.wait_for_function("() => document.querySelector('#cc-input').getBoundingClientRect().bottom <= 380",
                               timeout=5000)
        box = page.locator("#cc-input").bounding_box()
        assert box and box["y"] + box["height"] <= 380


def test_reduced_motion_turns_the_animations_off(new_context, stack):
    page = new_context(reduced_motion="reduce").new_page()
    page.goto(stack.demo_url + "/")
    page.get_by_role("button", name=re.compile("^Chat with")).click()
    assert page.locator(".cc-panel").evaluate("node => getComputedStyle(node).animationName") == "none"


@pytest.mark.parametrize("origin, status", [("demo", 200), ("https://evil.example", 400)])
def test_socket_io_accepts_only_the_configured_origins(stack, origin, status):
    import urllib.error
    import urllib.request

    origin = stack.demo_url if origin == "demo" else origin
    request = urllib.request.Request(f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling",
                                     headers={"Origin": origin})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            got = response.status
    except urllib.error.HTTPError as error:
        got = error.code
        assert b"not an accepted origin" in error.read()
    assert got == status


def test_the_chat_carries_on_after_the_server_restarts(page, stack):
    """Last in the module: it restarts the Rasa server the other tests use."""
    open_chat(page)
    ask(page, "hi")
    stack.stop_rasa()
    expect(page.locator(".cc-status")).to_contain_text("offline", timeout=TIMEOUT)
    page.locator("#cc-input").fill("can i drive?")
    page.locator("#cc-input").press("Enter")
    expect(page.locator(".cc-user").last.locator(".cc-pending")).to_be_visible()
    stack.start_rasa()
    online(page)
    settled(page)
    expect(page.locator(".cc-pending")).to_have_count(0)
    answer = last_bot(page).inner_text()
    assert "drive" in answer and "not medical advice" not in answer  # the same conversation, carried on
    expect(page.locator(".cc-status")).to_have_text("")
