"""The storage layer against a real PostgreSQL server, in a database made for each test."""
import argparse
import asyncio
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot import staff
from bot.settings import PROJECT_ROOT, Settings
from bot.storage import (CallbackRepository, EscalationRepository, create_engine, hash_sender,
                         migrate)
from bot.storage.database import head_revision
from bot.storage.models import Base

pytestmark = pytest.mark.postgres
KEY = "pg-test-key"
DOMAIN_YAML = """
version: "3.1"
intents: [greet]
slots:
  tier:
    type: text
    mappings: [{type: custom}]
"""


@pytest.fixture
def engine(postgres_url):
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()


def test_migrations_build_the_modelled_schema(engine):
    assert migrate(engine) == head_revision()
    assert migrate(engine) == head_revision()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_replicas_migrating_at_once_do_not_collide(postgres_url):
    """Separate processes, as replicas are: the advisory lock must serialise them."""
    code = ("import os, sys; from bot.storage import create_engine, migrate; "
            "sys.stdout.write(migrate(create_engine(os.environ['URL'])))")
    env = {**os.environ, "URL": postgres_url.render_as_string(hide_password=False)}
    processes = [subprocess.Popen([sys.executable, "-c", code], env=env, cwd=PROJECT_ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
    results = [process.communicate(timeout=60) for process in processes]
    assert [(p.returncode, out) for p, (out, _) in zip(processes, results, strict=True)] == \
        [(0, head_revision())] * len(processes), [err[-500:] for _, err in results]


def test_threads_migrating_at_once_do_not_collide(postgres_url):
    engines = [create_engine(postgres_url) for _ in range(3)]
    try:
        with ThreadPoolExecutor(len(engines)) as pool:
            assert list(pool.map(migrate, engines)) == [head_revision()] * len(engines)
    finally:
        for engine in engines:
            engine.dispose()


def test_repositories(engine):
    moment = datetime(2025, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=-5)))
    escalations = EscalationRepository(engine, KEY, clock=lambda: moment)
    escalation_id = escalations.record("patient-1", "socketio", "urgent", ["fever", "wound"])
    [record] = escalations.since(moment - timedelta(hours=1))
    assert record.id == escalation_id and record.flags == ("fever", "wound")
    assert record.created_at == moment and record.created_at.utcoffset() == timedelta(0)
    assert record.sender_hash == hash_sender("patient-1", KEY)

    callbacks = CallbackRepository(engine, KEY, clock=lambda: moment)
    request_id = callbacks.add("patient-1", "socketio", "Ann", "555-123-4567", "noon", True)
    assert [c.id for c in callbacks.open()] == [request_id]
    assert callbacks.mark_done(request_id) and callbacks.open() == []

    later = moment + timedelta(days=1)
    assert escalations.purge(later) == 1 and callbacks.purge(later) == 1


def test_database_enforces_consent_and_tiers(engine):
    migrate(engine)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO escalations (created_at, channel, tier, flags, sender_hash)"
            " VALUES (now(), 'rest', 'whenever', '', 'h')"))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO callback_requests (created_at, sender_hash, channel, name, phone,"
            " best_time, consent, status) VALUES (now(), 'h', 'c', 'n', '5551234567', 'b',"
            " false, 'open')"))


@pytest.mark.filterwarnings("ignore:Slot auto-fill")
def test_tracker_store_and_event_purge(postgres_url, monkeypatch):
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.utils.endpoints import EndpointConfig

    from bot.storage.tracker_store import ConfiguredSQLTrackerStore, purge_tracker_events

    # trust auth ignores the password; it is here to prove it reaches the driver intact
    monkeypatch.setenv("DATABASE_URL", postgres_url.set(password="p@ss:w/rd")
                       .render_as_string(hide_password=False))
    monkeypatch.setenv("SENDER_HASH_KEY", KEY)  # the development key is refused with PostgreSQL
    config = EndpointConfig(type="bot.storage.tracker_store.ConfiguredSQLTrackerStore")
    store = TrackerStore.create(config, Domain.from_yaml(DOMAIN_YAML))
    assert isinstance(store, ConfiguredSQLTrackerStore)
    assert store.engine.url.database == postgres_url.database

    async def save_and_load():
        tracker = await store.get_or_create_tracker("patient-1")
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        tracker.update(SlotSet("tier", "routine"))
        await store.save(tracker)
        return await store.retrieve("patient-1")

    loaded = asyncio.run(save_and_load())
    assert loaded.get_slot("tier") == "routine"
    now = datetime.now(timezone.utc)
    assert purge_tracker_events(store.engine, now - timedelta(days=1)) == 0
    assert purge_tracker_events(store.engine, now + timedelta(seconds=1)) == len(loaded.events)
    store.engine.dispose()


def test_staff_commands_hide_the_password(postgres_url, capsys):
    url = postgres_url.set(password="hunter2").render_as_string(hide_password=False)
    settings = Settings(database_url=url, sender_hash_key=KEY)
    parser = argparse.ArgumentParser()
    staff.add_commands(parser.add_subparsers(dest="command", required=True))
    for argv in (["db", "upgrade"], ["escalations"], ["purge"]):
        args = parser.parse_args(argv)
        assert args.handler(args, settings) == 0
    out = capsys.readouterr().out
    assert f"schema revision {head_revision()}" in out and postgres_url.database in out
    assert "hunter2" not in out and KEY not in out


def test_inbox_on_postgresql_filters_reasons_and_keeps_one_copy(engine):
    from bot.storage.inbox import InboxRepository, Sighting

    now = datetime.now(timezone.utc)
    repo = InboxRepository(engine, KEY)
    sightings = [Sighting("p1", now, ("red_flag_disagreement", "low_confidence"), "bum odd", None, None, "none", None),
                 Sighting("p2", now - timedelta(minutes=1), ("fallback",), "leg fizzy", None, None, "none", None)]
    assert repo.add(sightings) == 2 and repo.add(sightings) == 0
    assert [i.text for i in repo.items(reason="low_confidence")] == ["bum odd"]
    assert [i.text for i in repo.items(reason="fallback")] == ["leg fizzy"]
    assert repo.safety_count() == 1


def test_checkins_and_deleting_a_conversation_on_postgresql(postgres_url, monkeypatch):
    """What survives a restart and what "delete my data" deletes, on PostgreSQL: a due check-in is
    claimed once, and the patient's conversation events go, another patient's stay."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.storage import RecoveryRepository
    from bot.storage.conversations import Conversations
    from bot.storage.tracker_store import ConfiguredSQLTrackerStore

    monkeypatch.setenv("DATABASE_URL", postgres_url.render_as_string(hide_password=False))
    monkeypatch.setenv("SENDER_HASH_KEY", KEY)
    domain = Domain.from_yaml(DOMAIN_YAML)
    store = ConfiguredSQLTrackerStore(domain)
    for sender in ("sms-a", "sms-b"):
        events = [UserUttered("my surgery was 3 days ago", {"name": "greet", "confidence": 1.0}),
                  ActionExecuted("action_delete_my_data"), ActionExecuted("action_listen")]
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events, domain.slots)))
    engine = create_engine(postgres_url)
    now = datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc)
    recovery = RecoveryRepository(engine, KEY, clock=lambda: now - timedelta(days=2))
    conversations = Conversations(engine, KEY)
    try:
        recovery.save_profile("sms-a", True, checkins=True)
        assert recovery.plan_checkins("sms-a", [(3, now), (14, now + timedelta(days=11))])
        assert recovery.due_checkins(now) == [hash_sender("sms-a", KEY)]
        assert conversations.senders(recovery.due_checkins(now)) == {hash_sender("sms-a", KEY): "sms-a"}
        assert recovery.keep_contact("sms-a", "twilio", "+15555550180")  # the week-2 check-in is left
        assert not recovery.keep_contact("sms-b", "twilio", "+15555550181")  # no consent, nothing kept
        assert [recovery.claim_checkins("sms-a", now), recovery.claim_checkins("sms-a", now)] == [1, 0]
        assert recovery.due_checkins(now) == []
        assert recovery.purge(now - timedelta(days=90)) == 0  # still needed for week 2
        assert recovery.contact("sms-a", "twilio") == "+15555550180"
        recovery.claim_checkins("sms-a", now + timedelta(days=11))
        assert recovery.purge(now - timedelta(days=90)) == 1  # none left to send: the number goes
        assert recovery.contact("sms-a", "twilio") is None

        assert conversations.turn_end("sms-a", "action_delete_my_data") is not None
        assert conversations.delete("sms-a") == 3 and conversations.count("sms-a") == 0
        assert conversations.count("sms-b") == 3
    finally:
        engine.dispose()
        store.engine.dispose()
