"""Staff commands, run through argparse exactly as `python -m bot ...` would run them."""
import argparse
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot import staff
from bot.settings import Settings
from bot.storage import (CallbackRepository, EscalationRepository, RecoveryRepository, create_engine,
                         hash_sender)
from bot.storage.database import head_revision
from bot.storage.opt_outs import OptOutRepository
from bot.storage.outbox import Outbox
from bot.storage.stores import outbox_path
from bot.storage.inbox import InboxRepository, Sighting

KEY = "staff-test-key-do-not-print"


@pytest.fixture
def settings(tmp_path):
    return Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/assistant.db",
                    sender_hash_key=KEY)


@pytest.fixture
def engine(settings):
    engine = create_engine(settings.database_url)
    yield engine
    engine.dispose()


def run(argv, settings):
    parser = argparse.ArgumentParser(prog="python -m bot")
    staff.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args, settings)


def ago(**delta):
    moment = datetime.now(timezone.utc) - timedelta(**delta)
    return lambda: moment


@pytest.mark.parametrize("text, expected", [
    ("30m", timedelta(minutes=30)), ("24h", timedelta(hours=24)), ("7d", timedelta(days=7))])
def test_parse_since(text, expected):
    assert staff.parse_since(text) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "0h", "1w", "-2d", "1.5h"])
def test_bad_since_is_a_usage_error(settings, capsys, text):
    with pytest.raises(SystemExit):
        run(["escalations", f"--since={text}"], settings)
    assert "expected e.g. 30m, 24h or 7d" in capsys.readouterr().err


def test_escalations_lists_recent_escalations_and_open_callbacks(engine, settings, capsys):
    escalations = EscalationRepository(engine, KEY, clock=ago(hours=2))
    escalations.record("patient-7", "socketio", "emergency", ["cauda_equina", "saddle_numbness"])
    EscalationRepository(engine, KEY, clock=ago(days=3)).record("patient-8", "rest", "routine", [])
    callbacks = CallbackRepository(engine, KEY)
    callbacks.add("patient-7", "socketio", "Ann Lee", "555-123-4567", "after 3pm", True)
    callbacks.mark_done(callbacks.add("patient-9", "rest", "Bo Day", "555-000-1111", "am", True))

    assert run(["escalations", "--since", "24h"], settings) == 0
    out = capsys.readouterr().out
    assert "Escalations since" in out and ": 1\n" in out
    assert "emergency" in out and "cauda_equina,saddle_numbness" in out and "socketio" in out
    assert hash_sender("patient-7", KEY)[:10] in out
    assert "routine" not in out                      # older than 24h
    assert "Open callback requests: 1" in out
    assert "Ann Lee" in out and "555-123-4567" in out and "after 3pm" in out
    assert "Bo Day" not in out                       # already called back
    assert "patient-7" not in out and KEY not in out

    run(["escalations", "--since", "7d"], settings)
    assert "routine" in capsys.readouterr().out


def test_escalations_when_empty(settings, capsys):
    assert run(["escalations"], settings) == 0
    out = capsys.readouterr().out
    assert "Escalations since" in out and ": 0" in out and "Open callback requests: 0" in out


def test_callbacks_done(engine, settings, capsys):
    request_id = CallbackRepository(engine, KEY).add("p", "rest", "Ann", "5551234567", "am", True)
    assert run(["callbacks", "done", str(request_id)], settings) == 0
    assert f"Callback request #{request_id} marked done." in capsys.readouterr().out
    assert run(["callbacks", "done", str(request_id)], settings) == 1
    assert f"No open callback request #{request_id}." in capsys.readouterr().out
    assert CallbackRepository(engine, KEY).open() == []


def test_purge_applies_retention_to_every_store(engine, settings, capsys):
    from bot.storage.tracker_store import ConfiguredSQLTrackerStore

    for clock in (ago(days=120), ago(days=1)):
        EscalationRepository(engine, KEY, clock=clock).record("p", "rest", "urgent", ["fever"])
        CallbackRepository(engine, KEY, clock=clock).add("p", "rest", "A", "5551234567", "am", True)
        OptOutRepository(engine, KEY, clock=clock).stop("twilio", f"+1555{clock().day:07d}")
        InboxRepository(engine, KEY).add([Sighting("p", clock(), ("fallback",), "leg odd", None, None, "none", None)])
    for clock, patient in ((ago(days=120), "old"), (ago(days=1), "new")):
        recovery = RecoveryRepository(engine, KEY, clock=clock)
        recovery.save_profile(patient, True)
        recovery.add_score(patient, 4)
        recovery.plan_checkins(patient, [(42, clock() + timedelta(days=42))])
    events = ConfiguredSQLTrackerStore.SQLEvent.__table__
    events.create(engine)  # normally created by Rasa's tracker store
    with engine.begin() as connection:
        connection.execute(sa.insert(events), [
            {"sender_id": "p", "type_name": "user", "timestamp": clock().timestamp()}
            for clock in (ago(days=95), ago(days=91), ago(days=2))])

    for clock in (ago(days=91), ago(days=1)):  # kept while the database was unreachable
        Outbox(outbox_path(settings), clock=clock).put("escalation", f"key-{clock()}", {"tier": "urgent"})

    assert run(["purge"], settings) == 0
    out = capsys.readouterr().out
    assert "older than 90 days" in out
    lines = {line.rsplit(None, 1)[0].strip(): line.split()[-1] for line in out.splitlines()[2:]}
    assert lines == {"escalations": "1", "callback requests": "1", "SMS opt-outs (silent numbers)": "1",
                     "review inbox items": "1", "recovery data": "3", "conversation events": "2",
                     "outbox entries": "1"}

    run(["purge"], settings)
    assert re.search(r"conversation events +0\n", capsys.readouterr().out)


def test_purge_refuses_zero_retention(settings, capsys):
    zero = Settings(var_dir=settings.var_dir, database_url=settings.database_url,
                    sender_hash_key=KEY, retention_days=0)
    assert run(["purge"], zero) == 1
    assert "nothing deleted" in capsys.readouterr().out


def test_db_upgrade(settings, capsys):
    assert run(["db", "upgrade"], settings) == 0
    out = capsys.readouterr().out
    assert f"schema revision {head_revision()}" in out and KEY not in out
    assert run(["db", "upgrade"], settings) == 0   # idempotent


def test_subcommand_groups_need_an_action(settings):
    for argv in (["callbacks"], ["db"], ["callbacks", "done", "x"]):
        with pytest.raises(SystemExit):
            run(argv, settings)
