"""Each provider's webhook check, without a server: the genuine request passes, and every
forged, unsigned, stale or tampered variant is refused with 401 or 403."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

from bot.channels import messenger, slack, telegram, twilio

URL = "https://bot.example.org/webhooks/twilio/webhook"
FORM = {"MessageSid": "SM1", "From": "+15555550100", "To": "+18442887474", "Body": "hello"}


class Form(dict):
    """Form fields the way sanic hands them over (a list per name, with getlist)."""

    def getlist(self, name):
        return self[name]


def twilio_form(fields):
    return Form({name: [value] for name, value in fields.items()})


def test_twilio_accepts_its_own_signature():
    validator = RequestValidator("twilio-token")
    signature = validator.compute_signature(URL, FORM)
    assert twilio.check_signature(validator, URL, twilio_form(FORM), signature) is None


@pytest.mark.parametrize("variant", ["unsigned", "other key", "body changed", "other url", "garbage"])
def test_twilio_refuses_forged_and_unsigned_requests(variant):
    validator = RequestValidator("twilio-token")
    signature = validator.compute_signature(URL, FORM)
    form, url = dict(FORM), URL
    if variant == "unsigned":
        signature = ""
    elif variant == "other key":
        signature = RequestValidator("guessed").compute_signature(URL, FORM)
    elif variant == "body changed":
        form["Body"] = "call me at 555"
    elif variant == "other url":
        url = "https://attacker.example/webhooks/twilio/webhook"
    else:
        signature = "not-base64!"
    refusal = twilio.check_signature(validator, url, twilio_form(form), signature)
    assert refusal is not None and refusal.status == (401 if variant == "unsigned" else 403)


def meta_header(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_meta_accepts_x_hub_signature_256():
    body = b'{"object":"page","entry":[]}'
    assert messenger.check_signature("app-secret", body, meta_header("app-secret", body)) is None


@pytest.mark.parametrize("header,status", [
    (None, 401), ("", 401),
    ("sha256=" + "0" * 64, 403),
    ("sha1=" + hmac.new(b"app-secret", b'{"object":"page","entry":[]}', hashlib.sha1).hexdigest(), 403),
    (meta_header("other-secret", b'{"object":"page","entry":[]}'), 403),
    (meta_header("app-secret", b'{"object":"page","entry":[{}]}'), 403),
])
def test_meta_refuses_forged_old_and_missing_signatures(header, status):
    refusal = messenger.check_signature("app-secret", b'{"object":"page","entry":[]}', header)
    assert refusal is not None and refusal.status == status


def slack_headers(secret: str, body: bytes, when: int):
    verifier = SignatureVerifier(secret)
    return str(when), verifier.generate_signature(timestamp=str(when), body=body)


def test_slack_accepts_a_fresh_signed_request():
    body = b'{"type":"event_callback"}'
    timestamp, signature = slack_headers("signing", body, int(time.time()))
    assert slack.check_signature(SignatureVerifier("signing"), body, timestamp, signature) is None


@pytest.mark.parametrize("variant", ["unsigned", "stale replay", "future", "other secret", "tampered",
                                     "bad timestamp"])
def test_slack_refuses_forged_stale_and_unsigned_requests(variant):
    body = b'{"type":"event_callback"}'
    now = int(time.time())
    timestamp, signature = slack_headers("signing", body, now)
    if variant == "unsigned":
        signature = None
    elif variant == "stale replay":  # a captured request sent again 6 minutes later
        timestamp, signature = slack_headers("signing", body, now - 6 * 60)
    elif variant == "future":
        timestamp, signature = slack_headers("signing", body, now + 6 * 60)
    elif variant == "other secret":
        timestamp, signature = slack_headers("guessed", body, now)
    elif variant == "tampered":
        body = b'{"type":"event_callback","x":1}'
    else:
        timestamp = "yesterday"
    refusal = slack.check_signature(SignatureVerifier("signing"), body, timestamp, signature)
    assert refusal is not None and refusal.status == 401


def test_telegram_checks_the_secret_token():
    assert telegram.check_secret("s3cret_token", "s3cret_token") is None
    assert telegram.check_secret("s3cret_token", None).status == 401
    assert telegram.check_secret("s3cret_token", "guess").status == 403
    assert telegram.check_secret("", "").status == 401


def test_messaging_events_read_texts_quick_replies_and_postbacks_but_not_echoes():
    payload = {"object": "page", "entry": [{"messaging": [
        {"sender": {"id": "P1"}, "message": {"mid": "m1", "text": "hello"}},
        {"sender": {"id": "P1"}, "message": {"mid": "m2", "text": "No", "quick_reply": {"payload": "/deny"}}},
        {"sender": {"id": "PAGE"}, "message": {"mid": "m3", "text": "bot said", "is_echo": True}},
        {"sender": {"id": "P1"}, "postback": {"mid": "m4", "payload": "/affirm", "title": "Yes"}},
        {"sender": {"id": "P1"}, "delivery": {"mids": ["m1"]}},
    ]}]}
    assert list(messenger.messaging_events(payload)) == [
        ("m1", "P1", "hello"), ("m2", "P1", "/deny"), ("m4", "P1", "/affirm")]


def test_slack_reads_direct_messages_mentions_and_button_clicks_but_not_its_own_posts():
    def event(**fields):
        return json.dumps({"type": "event_callback", "event_id": "Ev1", "event": fields}).encode()

    assert slack.patient_message(event(type="message", channel_type="im", user="U1", channel="D1",
                                       text="hi"), {}) == ("message", ("Ev1", "U1", "D1", "hi"))
    assert slack.patient_message(event(type="message", channel_type="im", bot_id="B1", channel="D1",
                                       text="bot"), {})[0] == "ignore"
    assert slack.patient_message(event(type="message", channel_type="channel", user="U1",
                                       channel="C1", text="<@B> hi"), {})[0] == "ignore"
    mention = slack.patient_message(event(type="app_mention", user="U1", channel="C1",
                                          text="<@U0BOT> how long will my leg hurt?"), {})
    assert mention == ("message", ("Ev1", "U1", "C1", "how long will my leg hurt?"))
    challenge = json.dumps({"type": "url_verification", "challenge": "abc"}).encode()
    assert slack.patient_message(challenge, {}) == ("challenge", "abc")
    click = {"payload": json.dumps({"type": "block_actions", "trigger_id": "T1", "user": {"id": "U1"},
                                    "channel": {"id": "D1"},
                                    "actions": [{"value": "/deny", "action_ts": "1.2"}]})}
    assert slack.patient_message(b"", click) == ("message", ("T1:1.2", "U1", "D1", "/deny"))


def test_telegram_reads_messages_and_button_presses():
    assert telegram.patient_update({"update_id": 1, "message": {
        "message_id": 5, "from": {"id": 7, "is_bot": False}, "chat": {"id": 7}, "text": "hi"}}) == ("7", "hi")
    assert telegram.patient_update({"update_id": 2, "callback_query": {
        "id": "q", "data": "/deny", "message": {"chat": {"id": 7}}}}) == ("7", "/deny")
    assert telegram.patient_update({"update_id": 3, "edited_message": {"chat": {"id": 7}}}) is None


class SeenByTheServer:
    """What a request looks like to the Rasa server behind a proxy (plain http, inner host)."""

    url = "http://10.0.0.5:5005/webhooks/twilio/webhook?retry=1"
    path = "/webhooks/twilio/webhook"
    query_string = "retry=1"


def test_behind_a_proxy_the_twilio_signature_is_checked_against_public_url():
    from bot.settings import Settings

    behind = twilio.TwilioSmsInput(Settings(public_url="https://bot.example.org/", twilio_auth_token="t"))
    public = "https://bot.example.org/webhooks/twilio/webhook?retry=1"
    assert behind.signed_url(SeenByTheServer()) == public
    validator = RequestValidator("t")
    signature = validator.compute_signature(public, FORM)
    assert twilio.check_signature(validator, behind.signed_url(SeenByTheServer()), twilio_form(FORM),
                                  signature) is None
    direct = twilio.TwilioSmsInput(Settings(twilio_auth_token="t"))  # no PUBLIC_URL: as seen
    assert twilio.check_signature(validator, direct.signed_url(SeenByTheServer()), twilio_form(FORM),
                                  signature).status == 403
