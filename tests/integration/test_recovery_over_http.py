"""Personalised recovery with the real servers: the date, consent, the diary and its escalation,
a returning conversation, check-ins sent through the Rasa server, and "delete my data"."""
from __future__ import annotations

import json
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.machine_secrets import api_token
from bot.recovery import delivery
from bot.storage import Stores, conversation_id, session_scope
from bot.storage.models import RecoveryCheckin

pytestmark = [pytest.mark.servers, pytest.mark.model]


def rasa_id(servers, sender: str) -> str:
    """The id Rasa keeps a REST sender's conversation under: the keyed hash (docs/OPERATIONS.md)."""
    return conversation_id("rest", sender, servers.settings.sender_hash_key)


def test_date_consent_diary_trend_and_deletion(servers, capsys, monkeypatch):
    from bot.cli import main

    ask = servers.ask
    answer = ask("recovering", "I had my surgery 3 weeks ago")
    assert "You are 3 weeks after surgery" in answer and "Your 6-week mark is" in answer
    assert "remember your surgery date" in answer
    assert "I saved it" in ask("recovering", "yes")
    # With the date kept in the conversation, "is this normal?" names the stage.
    assert "You are 3 weeks after surgery" in ask("recovering", "is it normal that my leg still hurts?")

    for score in ("7", "5", "3"):
        assert f"I added {score} out of 10" in ask("recovering", f"my pain is {score}/10 today")
    jumped = ask("recovering", "my pain is 6/10 today")
    assert "had been getting better" in jumped and "call your surgeon's office" in jumped
    assert "Do you also have any of these right now?" in jumped

    monkeypatch.setenv("DATABASE_URL", servers.settings.database_url)
    assert main(["escalations", "--since", "1h"]) == 0
    assert "pain_diary_trend" in capsys.readouterr().out

    trend = ask("recovering", "how am I doing?")
    assert "7, 5, 3, 6" in trend and "higher than last time" in trend

    patient = rasa_id(servers, "recovering")
    with Stores(servers.settings) as stores:
        assert stores.conversations.count(patient) > 0
        assert "our conversation" in ask("recovering", "delete my data")
        deadline = time.monotonic() + 10  # the request's own turn goes once the Rasa server wrote it
        while stores.conversations.count(patient) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert stores.conversations.count(patient) == 0
        assert stores.recovery.profile(patient) is None and stores.recovery.scores(patient) == []
    assert "Your pain diary is empty" in ask("recovering", "how am I doing?")


def bot_texts(servers, sender):
    url = f"{servers.rasa_url}/conversations/{rasa_id(servers, sender)}/tracker?token={api_token(servers.settings)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return [event.get("text") or "" for event in json.loads(response.read())["events"] if event["event"] == "bot"]


def test_a_due_checkin_goes_out_through_the_rasa_server_once(servers):
    """The action server's delivery (bot/recovery/delivery.py), as after a restart: the database
    says what is due, the Rasa server asks the question in the patient's conversation, once."""
    ask = servers.ask
    ask("checked-in", "I had my surgery yesterday")
    ask("checked-in", "yes")
    assert "I will check in on" in ask("checked-in", "can you check in on me")
    with Stores(servers.settings) as stores:
        with session_scope(stores.engine) as session:  # the controlled clock: day 3 is due now
            session.execute(sa.update(RecoveryCheckin).where(RecoveryCheckin.day == 3)
                            .values(due_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        trigger = delivery.rasa_trigger(servers.settings)
        # (the action server's own round, every minute, may be the one that sends it)
        delivery.send_due(stores, datetime.now(timezone.utc), trigger)
        assert delivery.send_due(stores, datetime.now(timezone.utc), trigger) == 0
        trigger(rasa_id(servers, "checked-in"))  # triggered once more (another action server): nothing is said
    checkins = [text for text in bot_texts(servers, "checked-in") if "quick check-in" in text]
    assert len(checkins) == 1 and "from 0 to 10" in checkins[0]
    assert "unsubscribe" in checkins[0]


def test_nothing_is_kept_without_consent(servers):
    ask = servers.ask
    ask("private", "my operation was 10 days ago")
    assert "won't save anything" in ask("private", "no")
    answer = ask("private", "pain 4/10")
    assert "You told me your pain is 4 out of 10" in answer and "remember" not in answer
    assert "Your pain diary is empty" in ask("private", "how am I doing?")


def test_an_unclear_date_is_asked_again(servers):
    assert "which day you mean" in servers.ask("unclear", "my surgery was on 3/4")
