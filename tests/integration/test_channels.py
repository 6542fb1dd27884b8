"""The real Rasa server with every messaging channel on, against a local fake of each
provider's API (tests/integration/fake_providers.py): inbound webhooks in the providers'
documented shapes, signed as they sign them, and assertions on what the patient receives.
Every forged, unsigned, stale or replayed variant is refused and never reaches the tracker.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, Optional, Tuple

import pytest
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

from bot.channels.plain_text import MAX_CHARS, is_gsm7
from bot.storage.models import conversation_id
from fake_providers import (APP_SECRET, SID, SLACK_SECRET, SMS_NUMBER, TELEGRAM_SECRET,  # tests/integration/
                            TOKEN, VERIFY_TOKEN, WHATSAPP_NUMBER)

pytestmark = [pytest.mark.servers, pytest.mark.model]

CLINIC = "844-288-7474"


@pytest.fixture(scope="module")
def bot(fake, channel_servers):
    running = channel_servers("channel-test-key")  # every channel
    running.provider_calls_at_start = list(fake.calls)
    return running


def post(url: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get(url: str) -> Tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def user_texts(bot, address: str, channel: str = "twilio") -> list:
    """The patient messages the tracker holds for `address` on `channel` (Rasa's HTTP API)."""
    from bot.tooling.servers import api_token

    sender = urllib.parse.quote(conversation_id(channel, address, bot.settings.sender_hash_key))
    status, body = get(f"{bot.rasa_url}/conversations/{sender}/tracker?token={api_token(bot.settings)}")
    assert status == 200
    return [e.get("text") for e in json.loads(body).get("events") or [] if e.get("event") == "user"]


# --- Twilio: SMS and WhatsApp ---------------------------------------------------------------

def sms(bot, sender: str, text: str, sid: Optional[str] = None, channel: str = "twilio",
        signature: Optional[str] = "sign", to: str = SMS_NUMBER) -> int:
    """Send `text` as Twilio posts an incoming message, signed with the account's auth token."""
    url = f"{bot.rasa_url}/webhooks/{channel}/webhook"
    fields = {"MessageSid": sid or f"SM{time.time_ns()}", "AccountSid": SID, "From": sender,
              "To": to, "Body": text, "NumMedia": "0"}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "sign":
        headers["X-Twilio-Signature"] = RequestValidator(TOKEN).compute_signature(url, fields)
    elif signature:
        headers["X-Twilio-Signature"] = signature
    return post(url, urllib.parse.urlencode(fields).encode(), headers)[0]


def test_start_up_log_says_which_channels_are_on(bot):
    log = (bot.log_dir / "rasa.log").read_text()
    for channel in ("twilio", "whatsapp", "facebook", "telegram", "slack"):
        assert f"Channel {channel}: on" in log


def test_sms_question_gets_the_article_answer_in_plain_gsm7_text(bot, fake):
    assert sms(bot, "+15555550101", "how long will my leg hurt?") == 200
    [reply] = fake.received("twilio", "+15555550101")
    assert "4 to 6 weeks" in reply.text and reply.body["From"] == SMS_NUMBER
    assert len(reply.text) <= MAX_CHARS and is_gsm7(reply.text)


def test_sms_red_flag_is_escalated_with_911_and_the_clinic_number(bot, fake):
    assert sms(bot, "+15555550102", "i peed myself and didnt feel it") == 200
    text = fake.text_to("twilio", "+15555550102")
    assert "Call 911 now" in text and CLINIC in text and is_gsm7(text)


def test_sms_numbered_choice_answered_with_2(bot, fake):
    patient = "+15555550103"
    sms(bot, patient, "my leg pain is getting worse")
    question = fake.text_to("twilio", patient)
    assert "two quick questions" in question and "1 Yes\n2 No\n3 Not sure" in question
    sms(bot, patient, "2")
    urgent = fake.received("twilio", patient)[-1].text
    assert "Do you have any of these?" in urgent and "38 degrees C" in urgent and is_gsm7(urgent)
    sms(bot, patient, "No")  # the choice's word works as well as its number
    assert "don't point to a warning sign" in fake.received("twilio", patient)[-1].text
    assert user_texts(bot, patient)[1:] == ["/deny", "/deny"]


def test_sms_stop_ends_messages_until_start(bot, fake):
    patient = "+15555550104"
    sms(bot, patient, "STOP")
    [confirmation] = fake.received("twilio", patient)
    assert "no more messages" in confirmation.text and "START" in confirmation.text
    sms(bot, patient, "how long will my leg hurt?")
    assert len(fake.received("twilio", patient)) == 1  # nothing goes to a stopped number
    assert user_texts(bot, patient) == []
    sms(bot, patient, "HELP")
    assert CLINIC in fake.received("twilio", patient)[-1].text
    sms(bot, patient, "START")
    assert "back on" in fake.received("twilio", patient)[-1].text
    sms(bot, patient, "how long will my leg hurt?")
    assert "4 to 6 weeks" in fake.received("twilio", patient)[-1].text


def test_a_retried_sms_is_answered_once(bot, fake):
    for _ in range(3):
        assert sms(bot, "+15555550105", "can i drive?", sid="SMretried0001") == 200
    assert len(fake.received("twilio", "+15555550105")) == 1
    assert user_texts(bot, "+15555550105") == ["can i drive?"]


@pytest.mark.parametrize("variant,status", [
    ("unsigned", 401), ("forged", 403), ("other token", 403), ("tampered", 403)])
def test_forged_sms_is_refused_and_never_reaches_the_tracker(bot, fake, variant, status):
    patient = f"+1555555020{len(variant)}"
    url = f"{bot.rasa_url}/webhooks/twilio/webhook"
    fields = {"MessageSid": f"SMforged{variant}", "AccountSid": SID, "From": patient,
              "To": SMS_NUMBER, "Body": "i peed myself"}
    signature = RequestValidator(TOKEN if variant != "other token" else "guess").compute_signature(
        url, fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if variant == "forged":
        signature = "bm90IGEgc2lnbmF0dXJl"
    if variant == "tampered":  # a captured request replayed with another body
        fields["Body"] = "how long will my leg hurt?"
    if variant != "unsigned":
        headers["X-Twilio-Signature"] = signature
    assert post(url, urllib.parse.urlencode(fields).encode(), headers)[0] == status
    assert fake.received("twilio", patient) == [] and user_texts(bot, patient) == []
    assert "peed" not in (bot.log_dir / "rasa.log").read_text()


def test_whatsapp_question_gets_the_answer_from_the_whatsapp_sender(bot, fake):
    patient = "whatsapp:+15555550106"
    assert sms(bot, patient, "can i drive?", channel="whatsapp", to=f"whatsapp:{WHATSAPP_NUMBER}") == 200
    [reply] = fake.received("twilio", patient)
    assert "Don't drive until your doctor says it is OK" in reply.text
    assert reply.body["From"] == f"whatsapp:{WHATSAPP_NUMBER}"


# --- Messenger --------------------------------------------------------------------------------

def messenger_post(bot, body: dict, secret: Optional[str] = APP_SECRET) -> int:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return post(f"{bot.rasa_url}/webhooks/facebook/webhook", raw, headers)[0]


def page_message(psid: str, text: str, mid: str, quick_reply: Optional[str] = None) -> dict:
    message = {"mid": mid, "text": text}
    if quick_reply:
        message["quick_reply"] = {"payload": quick_reply}
    return {"object": "page", "entry": [{"id": "PAGE", "time": 1, "messaging": [{
        "sender": {"id": psid}, "recipient": {"id": "PAGE"}, "timestamp": 1, "message": message}]}]}


def test_messenger_handshake_answers_only_the_verify_token(bot):
    base = f"{bot.rasa_url}/webhooks/facebook/webhook?hub.mode=subscribe&hub.challenge=1158201444"
    assert get(f"{base}&hub.verify_token={VERIFY_TOKEN}") == (200, b"1158201444")
    assert get(f"{base}&hub.verify_token=guess")[0] == 403


def test_messenger_question_and_quick_replies(bot, fake):
    assert messenger_post(bot, page_message("PSID1", "can someone call me back", "mid.1")) == 200
    [reply] = fake.received("messenger", "PSID1")
    assert "Is that OK?" in reply.text
    assert [q["title"] for q in reply.body["message"]["quick_replies"]] == ["Yes", "No"]
    messenger_post(bot, page_message("PSID1", "Yes", "mid.2", quick_reply="/affirm"))
    assert "What name" in fake.received("messenger", "PSID1")[-1].text


def test_messenger_red_flag_and_a_retry_answered_once(bot, fake):
    for _ in range(2):
        assert messenger_post(bot, page_message("PSID2", "i cant feel my groin", "mid.3")) == 200
    text = fake.text_to("messenger", "PSID2")
    assert text.count("Call 911 now") == 1 and CLINIC in text


@pytest.mark.parametrize("secret", [None, "guess"])
def test_forged_messenger_webhook_is_refused(bot, fake, secret):
    psid = f"PSID-forged-{secret}"
    status = messenger_post(bot, page_message(psid, "hello", f"mid.f{secret}"), secret)
    assert status == (401 if secret is None else 403)
    assert fake.received("messenger", psid) == [] and user_texts(bot, psid, "facebook") == []


# --- Telegram ---------------------------------------------------------------------------------

def telegram_post(bot, update: dict, secret: Optional[str] = TELEGRAM_SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return post(f"{bot.rasa_url}/webhooks/telegram/webhook", json.dumps(update).encode(), headers)[0]


def telegram_message(update_id: int, chat: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "from": {"id": chat, "is_bot": False, "first_name": "P"},
        "chat": {"id": chat, "type": "private", "first_name": "P"}}}


def test_the_server_started_without_calling_any_provider(bot):
    """Rasa's Telegram connector calls setWebhook at start: without a network, no server."""
    assert bot.provider_calls_at_start == []


def test_telegram_red_flag_inline_keyboard_and_button_press(bot, fake):
    assert telegram_post(bot, telegram_message(1001, 777, "my leg pain is getting worse")) == 200
    replies = fake.received("telegram", "777")
    keyboard = json.loads(replies[-1].body["reply_markup"])["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == ["/affirm", "/deny", "/unsure"]
    press = {"update_id": 1002, "callback_query": {
        "id": "cb1", "from": {"id": 777, "is_bot": False, "first_name": "P"}, "chat_instance": "1",
        "data": "/affirm", "message": {"message_id": 5, "date": 1, "chat": {"id": 777, "type": "private"}}}}
    telegram_post(bot, press)
    telegram_post(bot, press)  # Telegram's retry of the same update
    text = fake.text_to("telegram", "777")
    assert text.count("Call 911 now") == 1 and CLINIC in text
    assert [s.body["callback_query_id"] for s in fake.sent if s.method == "answerCallbackQuery"] == ["cb1"]


@pytest.mark.parametrize("secret,status", [(None, 401), ("guess", 403)])
def test_telegram_update_without_the_secret_is_refused(bot, fake, secret, status):
    assert telegram_post(bot, telegram_message(2000 + status, 888, "hello"), secret) == status
    assert fake.received("telegram", "888") == [] and user_texts(bot, "888", "telegram") == []


def test_register_telegram_webhook_is_an_explicit_command(bot, fake, monkeypatch, capsys):
    from bot.cli import main

    for name, value in bot.settings.as_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PUBLIC_URL", "https://bot.example.org")
    assert main(["channels", "register", "telegram"]) == 0
    [registered] = [s for s in fake.sent if s.method == "setWebhook"]
    assert registered.body["url"] == "https://bot.example.org/webhooks/telegram/webhook"
    assert registered.body["secret_token"] == TELEGRAM_SECRET
    assert "https://bot.example.org/webhooks/telegram/webhook" in capsys.readouterr().out


# --- Slack ------------------------------------------------------------------------------------

def slack_post(bot, body: bytes, content_type: str = "application/json", age: int = 0,
               secret: str = SLACK_SECRET, extra: Optional[Dict[str, str]] = None) -> Tuple[int, bytes]:
    timestamp = str(int(time.time()) - age)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": signature, **(extra or {})}
    return post(f"{bot.rasa_url}/webhooks/slack/webhook", body, headers)


def slack_dm(event_id: str, user: str, text: str) -> bytes:
    return json.dumps({"type": "event_callback", "event_id": event_id, "team_id": "T1", "event": {
        "type": "message", "channel_type": "im", "channel": f"D{user}", "user": user, "text": text,
        "ts": "1.1"}}).encode()


def test_slack_url_verification_handshake(bot):
    status, body = slack_post(bot, json.dumps({"type": "url_verification", "challenge": "3eZbrw1a"}).encode())
    assert status == 200 and json.loads(body) == {"challenge": "3eZbrw1a"}


def test_slack_message_and_a_retry_answered_once(bot, fake):
    body = slack_dm("Ev1", "U1", "how long will my leg hurt?")
    assert slack_post(bot, body)[0] == 200
    assert slack_post(bot, body, extra={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})[0] == 200
    [reply] = fake.received("slack", "DU1")
    assert "4 to 6 weeks" in reply.text


def test_slack_buttons_and_a_click(bot, fake):
    slack_post(bot, slack_dm("Ev2", "U2", "my leg pain is getting worse"))
    blocks = fake.received("slack", "DU2")[-1].body["blocks"]
    assert [e["value"] for e in blocks[-1]["elements"]] == ["/affirm", "/deny", "/unsure"]
    click = {"type": "block_actions", "trigger_id": "T2", "user": {"id": "U2"}, "channel": {"id": "DU2"},
             "actions": [{"type": "button", "value": "/affirm", "action_ts": "2.2"}]}
    form = urllib.parse.urlencode({"payload": json.dumps(click)}).encode()
    assert slack_post(bot, form, content_type="application/x-www-form-urlencoded")[0] == 200
    assert "Call 911 now" in fake.received("slack", "DU2")[-1].text


@pytest.mark.parametrize("variant", ["stale replay", "other secret"])
def test_forged_or_replayed_slack_request_is_refused(bot, fake, variant):
    user = "U9" + variant.split()[0]
    body = slack_dm(f"Ev-{variant}", user, "hello")
    status, _ = slack_post(bot, body, age=6 * 60 if variant == "stale replay" else 0,
                           secret="guess" if variant == "other secret" else SLACK_SECRET)
    assert status == 401
    assert fake.received("slack", f"D{user}") == [] and user_texts(bot, user, "slack") == []
