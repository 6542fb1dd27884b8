"""The check-ins' contact address (bot/channels/contacts.py) on a controlled clock: kept only with
the consent to check-ins on a channel that can send first, used after a restart to send the
check-in by text, never to a number that sent STOP, and gone with "unsubscribe", STOP, "delete my
data" and the retention purge."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import database
from actions.recovery import ActionCheckin, ActionStartCheckins, ActionStopCheckins
from bot.channels import contacts
from bot.channels.twilio import SmsOutput, TwilioSmsInput
from bot.settings import Settings
from bot.storage import conversation_id
from bot.vocabulary import CONTACT_KEY

KEY = "test-key"
NUMBER = "+15555550150"
SURGERY = date(2026, 11, 30)
PLANNED = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
DAY_3 = datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York
CONSENTED = {"recovery_consent": True, "surgery_date": SURGERY.isoformat()}


@pytest.fixture
def settings(tmp_path, monkeypatch, migrated_db):
    monkeypatch.setattr(database, "clinic_zone", lambda: ZoneInfo("America/New_York"))
    return Settings(var_dir=tmp_path, sender_hash_key=KEY, twilio_account_sid="AC1", twilio_auth_token="t",
                    twilio_sms_number="+18442880000")


@pytest.fixture
def texts(monkeypatch):
    """What Twilio is asked to deliver: (number, text), in order (SmsOutput's one sending place)."""
    sent = []

    async def send(output, body):
        sent.append((output.address, body))

    monkeypatch.setattr(SmsOutput, "_send", send)
    return sent


@pytest.fixture
def channel(settings):
    """The SMS connector of a Rasa server process; its stores are the process's."""
    yield TwilioSmsInput(settings)
    contacts.channel_stores(settings).close()
    contacts.channel_stores.cache_clear()


def ask_for_checkins(channel, action_server, tracker_for, domain_dict, number=NUMBER, name="twilio"):
    """ "Check in on me" by SMS: the action plans them, then the connector sends its answer."""
    sender = conversation_id(name, number, KEY)
    stores = action_server(PLANNED)
    stores.recovery.save_profile(sender, True, surgery_date=SURGERY)
    dispatcher = CollectingDispatcher()
    ActionStartCheckins().run(dispatcher, tracker_for("check in on me", "checkins_start", sender_id=sender,
                                                      slots=CONSENTED, channel=name), domain_dict)
    [answer] = dispatcher.messages
    message = {"text": "I will check in on you on December 3, ...", "custom": answer["custom"]}
    asyncio.run(channel.output_for(number).send_response(sender, message))
    stores.close()
    return sender


def restart_and_deliver(channel, action_server, tracker_for, domain_dict, sender):
    """After a restart: the action server's round triggers the check-in through Rasa's API, whose
    `output_channel=latest` is the connector's get_output_channel()."""
    stores = action_server(DAY_3)
    dispatcher = CollectingDispatcher()
    ActionCheckin().run(dispatcher, tracker_for("", "EXTERNAL_checkin", sender_id=sender), domain_dict)
    output = channel.get_output_channel()
    assert output.name() == "twilio"  # the conversation's latest input channel stays SMS
    for _ in dispatcher.messages:  # what the Rasa server then sends for each message of the action
        asyncio.run(output.send_response(sender, {"text": "Here is a quick check-in ..."}))
    stores.close()
    return [message["response"] for message in dispatcher.messages]


def test_after_a_restart_the_sms_patients_checkin_reaches_their_phone_once(
        channel, texts, action_server, tracker_for, domain_dict):
    sender = ask_for_checkins(channel, action_server, tracker_for, domain_dict)
    assert texts == [(NUMBER, "I will check in on you on December 3, ...")]  # the marker is never shown
    assert restart_and_deliver(channel, action_server, tracker_for, domain_dict, sender) == ["utter_checkin"]
    assert texts[1:] == [(NUMBER, "Here is a quick check-in ...")]
    # Triggered again (a second action server, the next round): marked sent, so nothing more.
    assert restart_and_deliver(channel, action_server, tracker_for, domain_dict, sender) == []
    assert len(texts) == 2


def test_a_number_that_sent_stop_gets_no_checkin_and_its_address_goes(
        channel, texts, action_server, tracker_for, domain_dict):
    sender = ask_for_checkins(channel, action_server, tracker_for, domain_dict)
    channel.stores().opt_outs.stop("twilio", NUMBER)  # a STOP recorded while the address stayed
    restart_and_deliver(channel, action_server, tracker_for, domain_dict, sender)
    assert len(texts) == 1  # only the confirmation, before the STOP

    async def no_bot(message):
        raise AssertionError("STOP never reaches the bot")

    asyncio.run(channel.handle(None, NUMBER, "STOP", no_bot))
    assert "no more messages" in texts[-1][1]
    assert channel.stores().recovery.contact(sender, "twilio") is None


def test_the_web_widget_and_rest_keep_no_address(channel, action_server, tracker_for, domain_dict):
    for name in ("socketio", "rest"):
        stores = action_server(PLANNED)
        stores.recovery.save_profile(f"{name}-patient", True, surgery_date=SURGERY)
        dispatcher = CollectingDispatcher()
        ActionStartCheckins().run(dispatcher, tracker_for("check in on me", "checkins_start",
                                                          sender_id=f"{name}-patient", slots=CONSENTED, channel=name),
                                  domain_dict)
        [answer] = dispatcher.messages
        assert answer["response"] == "utter_checkins_scheduled" and not answer.get("custom")
        stores.close()


def test_no_address_is_kept_without_checkins_to_send(channel, settings, texts):
    """Another answer, or the marker for a patient with no check-in planned: nothing is kept."""
    sender = conversation_id("twilio", NUMBER, KEY)
    output = channel.output_for(NUMBER)
    asyncio.run(output.send_response(sender, {"text": "You can drive when ..."}))
    asyncio.run(output.send_response(sender, {"text": "...", "custom": {CONTACT_KEY: True}}))
    assert channel.stores().recovery.contact(sender, "twilio") is None


def test_unsubscribe_and_delete_my_data_delete_the_address(channel, texts, action_server, tracker_for,
                                                           domain_dict):
    first = ask_for_checkins(channel, action_server, tracker_for, domain_dict)
    second = ask_for_checkins(channel, action_server, tracker_for, domain_dict, number="+15555550151")
    repository = channel.stores().recovery
    assert repository.contact(first, "twilio") == NUMBER and repository.contact(second, "twilio") == "+15555550151"
    assert repository.contact(first, "whatsapp") is None  # an address serves its own channel only

    stores = action_server(PLANNED)
    ActionStopCheckins().run(CollectingDispatcher(), tracker_for("unsubscribe", "checkins_stop", sender_id=first),
                             domain_dict)
    assert repository.contact(first, "twilio") is None
    assert stores.recovery.delete(second)["contact address"] == 1
    assert repository.contact(second, "twilio") is None
    stores.close()


def test_retention_deletes_the_address_once_no_checkin_is_left(channel, texts, action_server,
                                                               tracker_for, domain_dict):
    sender = ask_for_checkins(channel, action_server, tracker_for, domain_dict)
    repository = channel.stores().recovery
    assert repository.purge(PLANNED - timedelta(days=90)) == 0  # check-ins still ahead: kept
    assert repository.contact(sender, "twilio") == NUMBER
    repository.claim_checkins(sender, DAY_3 + timedelta(days=40))  # all three sent
    assert repository.purge(PLANNED - timedelta(days=90)) == 1
    assert repository.contact(sender, "twilio") is None
    # Check-ins still ahead or not, kept no longer than RETENTION_DAYS (the channel's clock is real).
    sender = ask_for_checkins(channel, action_server, tracker_for, domain_dict, number="+15555550152")
    repository.purge(datetime.now(timezone.utc) + timedelta(seconds=1))
    assert repository.contact(sender, "twilio") is None
