"""Check-ins by text after a restart of the Rasa server, with the real servers and a local fake of
Twilio, Telegram and Meta (tests/integration/fake_providers.py): the database says a check-in is due (the controlled
clock), the Rasa server restarted and forgot its reminders, and the action server's delivery
sends it through the Rasa server to the number the patient gave with their consent, once; never
to a number that sent STOP; and "delete my data" leaves no number behind."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.machine_secrets import api_token
from bot.recovery import delivery
from bot.storage import Stores, conversation_id, session_scope
from bot.storage.models import RecoveryCheckin
from fake_providers import SMS_NUMBER  # tests/integration/, on the path as this file's folder
from test_channels import messenger_post, page_message, sms, telegram_message, telegram_post

pytestmark = [pytest.mark.servers, pytest.mark.model]

KEY = "checkin-text-key"
PATIENT, STOPPED, DELETED = "+15555550170", "+15555550171", "+15555550172"
CHAT, PSID = 7070, "PSID-checkins"


@pytest.fixture(scope="module")
def bot(channel_servers):
    return channel_servers(KEY, "sms", "telegram", "messenger")


def sender(number: str, channel: str = "twilio") -> str:
    return conversation_id(channel, number, KEY)


def bot_texts(bot, number: str) -> list:
    url = (f"{bot.rasa_url}/conversations/{urllib.parse.quote(sender(number))}/tracker"
           f"?token={api_token(bot.settings)}")
    with urllib.request.urlopen(url, timeout=30) as response:
        return [e.get("text") or "" for e in json.loads(response.read())["events"] if e["event"] == "bot"]


def checkins_by_sms(bot, fake, number: str) -> None:
    sms(bot, number, "I had my surgery yesterday")
    sms(bot, number, "yes")
    sms(bot, number, "can you check in on me")
    assert "I will check in on" in fake.received("twilio", number)[-1].text


def checkins_by_telegram_and_messenger(bot, fake) -> None:
    for number, text in enumerate(("I had my surgery yesterday", "yes", "can you check in on me"), 1):
        telegram_post(bot, telegram_message(7000 + number, CHAT, text))
        messenger_post(bot, page_message(PSID, text, f"mid.checkins.{number}"))
    assert "I will check in on" in fake.received("telegram", str(CHAT))[-1].text
    assert "I will check in on" in fake.received("messenger", PSID)[-1].text


def test_after_a_restart_each_patients_checkin_reaches_them_once(bot, fake):
    for number in (PATIENT, STOPPED, DELETED):
        checkins_by_sms(bot, fake, number)
    checkins_by_telegram_and_messenger(bot, fake)
    sms(bot, STOPPED, "STOP")
    sms(bot, DELETED, "delete my data")
    assert "I deleted" in fake.received("twilio", DELETED)[-1].text
    with Stores(bot.settings) as stores:
        assert stores.recovery.contact(sender(PATIENT), "twilio") == PATIENT
        assert stores.recovery.contact(sender(STOPPED), "twilio") is None  # STOP deleted it
        assert stores.recovery.contact(sender(DELETED), "twilio") is None  # "delete my data" did
        assert stores.opt_outs.has_stopped("twilio", STOPPED)
        now = datetime.now(timezone.utc)
        with session_scope(stores.engine) as session:  # the controlled clock: day 3 is due
            session.execute(sa.update(RecoveryCheckin).where(RecoveryCheckin.day == 3)
                            .values(due_at=now - delivery.GRACE - timedelta(minutes=1)))
        before = {number: len(fake.received("twilio", number)) for number in (PATIENT, STOPPED, DELETED)}
        before.update({"telegram": len(fake.received("telegram", str(CHAT))),
                       "messenger": len(fake.received("messenger", PSID))})

        bot.stop_rasa()  # its reminders, and the numbers it held in memory, are gone
        bot.start_rasa()
        trigger = delivery.rasa_trigger(bot.settings)
        # (the action server's own round, every minute, may be the one that sends it)
        delivery.send_due(stores, now, trigger)
        assert delivery.send_due(stores, now, trigger) == 0
        trigger(sender(PATIENT))  # triggered once more (another action server): nothing is sent

    [checkin] = fake.received("twilio", PATIENT)[before[PATIENT]:]
    assert "quick check-in" in checkin.text and "from 0 to 10" in checkin.text and "911" in checkin.text
    assert checkin.body["From"] == SMS_NUMBER
    assert len(fake.received("twilio", STOPPED)) == before[STOPPED]  # nothing to a number that sent STOP
    assert len(fake.received("twilio", DELETED)) == before[DELETED]
    # In the conversation as the reminder would have put it, so the patient's answer continues it.
    assert sum("quick check-in" in text for text in bot_texts(bot, PATIENT)) == 1
    sms(bot, PATIENT, "4")
    assert "I added 4 out of 10" in fake.received("twilio", PATIENT)[-1].text

    # The Telegram chat and the Messenger PSID kept with their consent got theirs once too.
    [telegram] = fake.received("telegram", str(CHAT))[before["telegram"]:]
    assert "quick check-in" in telegram.text
    assert "10" in telegram.body["reply_markup"]  # the 0-10 scale as buttons
    [messenger] = fake.received("messenger", PSID)[before["messenger"]:]
    assert "quick check-in" in messenger.text
    # Meta: a message answering none of the patient's needs a tag.
    assert (messenger.body["messaging_type"], messenger.body["tag"]) == ("MESSAGE_TAG", "CONFIRMED_EVENT_UPDATE")
