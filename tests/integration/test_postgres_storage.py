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
