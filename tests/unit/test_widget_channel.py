"""The website widget's socket.io channel, the demo page server and the widget's fixed text:
what they do with bad input, with the clinic's origins and with red-flag advice."""
from __future__ import annotations

import asyncio
import re
import threading
import urllib.error
import urllib.request
from functools import partial
from http.server import ThreadingHTTPServer

import pytest
import yaml
from rasa.shared.core.events import SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.socketio import ClinicSocketIOInput, input_error, reply_payload
from bot.responses import ClinicResponseGenerator
from bot.settings import PROJECT_ROOT, Settings
from bot.tooling import demo_site

SESSION = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize("data, problem", [
    ("hello", "must be an object"),
    (None, "must be an object"),
    ({"message": "hi"}, "session_id"),
    ({"message": "hi", "session_id": "1"}, "session_id"),  # guessable
    ({"message": "hi", "session_id": "x" * 31}, "session_id"),
    ({"message": "hi", "session_id": SESSION + "<>"}, "session_id"),
    ({"session_id": SESSION}, "non-empty text"),
    ({"message": "   ", "session_id": SESSION}, "non-empty text"),
    ({"message": 42, "session_id": SESSION}, "non-empty text"),
    ({"message": "a" * 1001, "session_id": SESSION}, "longer than 1000"),
])
def test_bad_input_gets_a_clear_error(data, problem):
    assert problem in (input_error(data) or "")


def test_a_patients_message_is_accepted():
    assert input_error({"message": "how long will my leg hurt?", "session_id": SESSION}) is None


def generated(domain, name):
    tracker = DialogueStateTracker.from_events("p1", [SessionStarted(), UserUttered("help")], domain.slots)
    message = asyncio.run(ClinicResponseGenerator(domain=domain).generate(name, tracker, "socketio"))
    return {**message, "metadata": message.get("metadata") or {}}


@pytest.mark.parametrize("response, tier", [("utter_red_flag_emergency", "emergency"),
                                            ("utter_red_flag_urgent", "urgent")])
def test_red_flag_advice_reaches_the_widget_with_its_tier_and_phone_links(domain, response, tier):
    payload = reply_payload(generated(domain, response))
    assert payload["tier"] == tier
    assert payload["text"].startswith("I'm a chat bot")  # one message, the disclaimer included
    assert all(button["url"].startswith("tel:") for button in payload["buttons"])
    if tier == "emergency":
        assert {"title": "Call 911", "payload": "/red_flag_emergency", "url": "tel:911"} in payload["buttons"]
    # the domain's own metadata is not changed by marking one reply
    assert "tier" not in (domain.responses[response][0].get("metadata") or {})


@pytest.mark.parametrize("response", ["utter_greet", "utter_contact_clinic", "utter_red_flag_routine"])
def test_other_replies_carry_no_tier(domain, response):
    assert "tier" not in reply_payload(generated(domain, response))


def test_a_tier_that_is_not_an_escalation_is_not_passed_on():
    assert "tier" not in reply_payload({"text": "hi", "metadata": {"tier": "<b>routine</b>"}})


def test_only_configured_origins_may_connect(monkeypatch):
    monkeypatch.setenv("WIDGET_ORIGINS", "https://www.clinic.example, https://clinic.example/")
    channel = ClinicSocketIOInput.from_credentials({"user_message_evt": "user_uttered"})
    assert channel.session_persistence
    channel.blueprint(on_new_message=None)  # type: ignore[arg-type]
    assert channel.sio is not None
    assert channel.sio.eio.cors_allowed_origins == ["https://www.clinic.example", "https://clinic.example"]


def test_a_session_sending_faster_than_a_person_types_is_told_to_wait(monkeypatch):
    monkeypatch.setenv("MESSAGES_PER_MINUTE", "2")
    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    received = []

    async def on_new_message(message):
        received.append(message.text)

    channel = ClinicSocketIOInput.from_credentials({"user_message_evt": "user_uttered"})
    channel.blueprint(on_new_message)
    handle = channel.sio.handlers[channel.namespace or "/"]["user_uttered"]
    acks = [asyncio.run(handle("sid-1", {"message": f"question {n}", "session_id": SESSION})) for n in range(3)]
    assert acks[:2] == [{"ok": True}, {"ok": True}]
    assert "call 911" in acks[2]["error"] and acks[2]["retry_after"] > 0
    assert received == ["question 0", "question 1"]
    other = asyncio.run(handle("sid-2", {"message": "hi", "session_id": SESSION.replace("0f8f", "1f8f")}))
    assert other == {"ok": True}  # per session, not for everyone


def test_without_configured_origins_only_the_demo_page_may_connect():
    assert Settings(demo_site_port=5999).allowed_origins == ["http://localhost:5999", "http://127.0.0.1:5999"]


def test_the_widget_says_the_bots_own_disclaimer():
    domain = yaml.load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    disclaimer = domain["responses"]["utter_disclaimer"][0]["text"]
    widget = (PROJECT_ROOT / "widget" / "widget.js").read_text(encoding="utf-8")
    assert re.search(r'disclaimer: "([^"]+)"', widget).group(1) == disclaimer


def test_the_widget_never_renders_html():
    widget = (PROJECT_ROOT / "widget" / "widget.js").read_text(encoding="utf-8")
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", widget)


@pytest.fixture(scope="module")
def demo():
    """One demo page server for the module: it keeps no state between requests. It polls for the
    stop every 0.05 s, not the default 0.5 s the stop would wait."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(demo_site.DemoHandler, rasa_url="http://localhost:5005"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_demo_page_has_the_widget_its_config_and_a_strict_csp(demo):
    with urllib.request.urlopen(demo + "/") as response:
        csp = response.headers["Content-Security-Policy"]
        html = response.read().decode()
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "connect-src http://localhost:5005 ws://localhost:5005" in csp
    assert "frame-ancestors 'none'" in csp
    assert html.count("<script") == 1 and 'src="/widget/widget.js"' in html
    assert '"serverUrl": "http://localhost:5005"' in html
    domain = yaml.load((PROJECT_ROOT / "domain.yml").read_text(), Loader=yaml.CSafeLoader)
    minutes = domain["session_config"]["session_expiration_time"]
    assert f'"sessionMinutes": {minutes}' in html and "__" not in html


@pytest.mark.parametrize("path", ["/../Makefile", "/widget/../bot/settings.py", "/widget/",
                                  "/node_modules/ws/package.json", "/.env"])
def test_the_demo_server_serves_only_its_files(demo, path):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(demo + path)
    assert error.value.code == 404


def test_the_demo_server_answers_head_with_the_same_headers(demo):
    with urllib.request.urlopen(urllib.request.Request(demo + "/widget/widget.js", method="HEAD")) as response:
        assert response.status == 200 and response.read() == b""
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
