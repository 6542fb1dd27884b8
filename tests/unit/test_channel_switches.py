"""A channel turns on from its settings alone; one missing a setting stays off, says which in
the start-up log, and never talks to its provider (no network at start)."""
from __future__ import annotations

import logging

import pytest

from bot.channels.messenger import MessengerInput
from bot.channels.slack import SlackVerifiedInput
from bot.channels.telegram import TelegramVerifiedInput
from bot.channels.twilio import TwilioSmsInput, TwilioWhatsAppInput
from bot.vocabulary import CONTACT_CHANNELS

CHANNELS = {
    TwilioSmsInput: {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_SMS_NUMBER": "+18442880000"},
    TwilioWhatsAppInput: {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t",
                          "TWILIO_WHATSAPP_NUMBER": "+18442880001"},
    MessengerInput: {"MESSENGER_PAGE_TOKEN": "p", "MESSENGER_APP_SECRET": "s", "MESSENGER_VERIFY_TOKEN": "v"},
    TelegramVerifiedInput: {"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_SECRET": "s"},
    SlackVerifiedInput: {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"},
}


@pytest.fixture(autouse=True)
def no_channel_settings(monkeypatch):
    for variables in CHANNELS.values():
        for name in variables:
            monkeypatch.delenv(name, raising=False)


async def no_handler(_message):
    raise AssertionError("an off channel must not pass messages on")


@pytest.mark.parametrize("channel", list(CHANNELS), ids=lambda c: c.name())
def test_missing_settings_keep_the_channel_off_and_the_log_says_which(channel, caplog, monkeypatch):
    first, *others = CHANNELS[channel]
    for name in others:
        monkeypatch.setenv(name, CHANNELS[channel][name])
    with caplog.at_level(logging.INFO, logger="bot.channels"):
        connector = channel.from_credentials(None)
    assert f"Channel {channel.name()}: off (set {first};" in caplog.text
    assert connector.blueprint(no_handler).name == f"{channel.name()}_webhook_off"


@pytest.mark.parametrize("channel", list(CHANNELS), ids=lambda c: c.name())
def test_all_settings_turn_the_channel_on(channel, caplog, monkeypatch):
    for name, value in CHANNELS[channel].items():
        monkeypatch.setenv(name, value)
    with caplog.at_level(logging.INFO, logger="bot.channels"):
        connector = channel.from_credentials(None)
    assert f"Channel {channel.name()}: on, webhook /webhooks/{channel.name()}/webhook" in caplog.text
    assert connector.blueprint(no_handler).name == f"{channel.name()}_webhook"
    # nothing made, nothing called, at start; the channels that can send first have an output for
    # the check-ins a restart lost (bot/channels/contacts.py), which reads the database only to send
    output = connector.get_output_channel()
    assert (output is None) == (channel.name() not in CONTACT_CHANNELS)


def test_secrets_never_appear_in_the_start_up_log(caplog, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    with caplog.at_level(logging.INFO, logger="bot.channels"):
        SlackVerifiedInput.from_credentials(None)
    assert "xoxb-very-secret" not in caplog.text


def test_an_sms_is_answered_even_when_the_opt_out_store_is_down():
    """A red flag must get its advice: the STOP check failing does not drop the message."""
    import asyncio
    from types import SimpleNamespace

    from bot.settings import Settings

    settings = Settings(database_url="postgresql://nobody@127.0.0.1:9/none", sender_hash_key="k" * 32,
                        twilio_account_sid="AC1",
                        twilio_auth_token="t", twilio_sms_number="+18442880000")
    received = []

    async def on_new_message(message):
        received.append(message)

    request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace()))
    connector = TwilioSmsInput(settings)
    asyncio.run(connector.handle(request, "+15555550100", "i peed myself", on_new_message))
    [message] = received
    assert message.text == "i peed myself" and message.sender_id != "+15555550100"


def test_credentials_yml_names_every_channel_and_holds_no_value():
    """An unset ${VAR} in credentials.yml stops the whole server; secrets belong in settings."""
    import yaml

    from bot.settings import PROJECT_ROOT
    from rasa.shared.utils.common import class_from_module_path

    text = (PROJECT_ROOT / "credentials.yml").read_text()
    channels = yaml.safe_load(text)
    assert "${" not in text
    named = {class_from_module_path(name): value for name, value in channels.items() if name != "rest"}
    assert set(CHANNELS) <= set(named)
    assert all(named[channel] is None for channel in CHANNELS)
