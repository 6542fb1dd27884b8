"""Storage on a throw-away SQLite file: migrations, repositories, hashing, purge, Rasa stores."""
import asyncio
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.settings import Settings
from bot.storage.database import head_revision
from bot.storage import (CallbackRepository, ConsentRequired, EscalationRepository,
                         conversation_id, create_engine, database_url, hash_sender, migrate, safe_url)
from bot.storage.models import Base

KEY = "unit-test-key"
NOW = datetime(2025, 1, 31, 12, 0, tzinfo=timezone.utc)
DOMAIN_YAML = """
version: "3.1"
intents: [greet]
slots:
  tier:
    type: text
    mappings: [{type: custom}]
"""


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/var/assistant.db")
    yield engine
    engine.dispose()


def at(moment):
    return lambda: moment


# --- engine and migrations -------------------------------------------------------------

def test_engine_creates_missing_sqlite_directory(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/new/dir/x.db")
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    engine.dispose()
    assert (tmp_path / "new" / "dir" / "x.db").exists()


def test_a_sqlite_reader_never_stops_a_turn_being_saved_and_every_commit_is_synced(tmp_path):
    """The action server and the staff inbox read the file the Rasa server writes each turn to."""
    url = f"sqlite:///{tmp_path}/assistant.db"
    writer, reader = create_engine(url, connect_args={"timeout": 0.5}), create_engine(url)
    with writer.begin() as connection:
        connection.execute(sa.text("CREATE TABLE events (id INTEGER PRIMARY KEY, data TEXT)"))
    with reader.connect() as reading:
        reading.exec_driver_sql("BEGIN")
        assert reading.execute(sa.text("SELECT count(*) FROM events")).scalar() == 0
        with writer.begin() as connection:  # "database is locked" with SQLite's default journal
            connection.execute(sa.text("INSERT INTO events (data) VALUES ('turn')"))
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        reading.exec_driver_sql("ROLLBACK")
    with reader.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar() == 1
    writer.dispose()
    reader.dispose()


def test_database_url_defaults_to_sqlite_under_var_dir(tmp_path):
    url = database_url(Settings(var_dir=tmp_path))
    assert url.get_backend_name() == "sqlite"
    assert Path(url.database) == tmp_path / "assistant.db"
    assert database_url(Settings(database_url="postgres://u@h/db", sender_hash_key=KEY)).drivername == "postgresql"


def test_safe_url_hides_password():
    text = safe_url("postgresql://bot:hunter2@db:5432/assistant")
    assert "hunter2" not in text and "bot" in text and "assistant" in text


def test_migrate_creates_schema_matching_models_and_is_repeatable(engine):
    assert migrate(engine) == head_revision()
    assert migrate(engine) == head_revision()
    assert {"escalations", "callback_requests", "inbox_items", "recovery_profiles", "pain_scores"} <= set(
        sa.inspect(engine).get_table_names())
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_migrating_logs_one_line_when_the_schema_changes_and_nothing_of_alembic(engine, caplog):
    """The schema is checked on first use, mid-conversation in the action server: Alembic's INFO
    chatter used to land between a patient's message and the answer in `make shell`."""
    caplog.set_level(logging.DEBUG)
    migrate(engine)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == [
        f"Database schema upgraded from empty to {head_revision()}"]
    assert not [r for r in caplog.records if r.name.startswith("alembic")]
    caplog.clear()
    migrate(engine)
    assert [r for r in caplog.records if r.levelno >= logging.INFO] == []
    assert logging.getLogger("alembic").level == logging.NOTSET  # left as it was


def test_tables_are_created_on_first_use(engine):
    EscalationRepository(engine, KEY).since(NOW)
    assert "escalations" in sa.inspect(engine).get_table_names()


# --- hashing ---------------------------------------------------------------------------

def test_sender_hash_is_stable_keyed_and_not_the_id():
    assert hash_sender("patient-1", KEY) == hash_sender("patient-1", KEY)
    assert hash_sender("patient-1", KEY) != "patient-1"
    assert hash_sender("patient-1", KEY) != hash_sender("patient-1", "other-key")
    assert hash_sender("patient-1", KEY) != hash_sender("patient-2", KEY)
    with pytest.raises(ValueError):
        hash_sender("patient-1", "")


def test_one_id_on_two_channels_is_two_conversations():
    """A REST client that sends a patient's phone number as its sender must not land in the
    patient's SMS conversation (and read its replies)."""
    sms = conversation_id("twilio", "+15551234567", KEY)
    assert conversation_id("rest", "+15551234567", KEY) != sms
    assert conversation_id("twilio", "+15551234567", KEY) == sms  # the patient's next text: same one
    assert "15551234567" not in sms


@pytest.mark.parametrize("repository", [EscalationRepository, CallbackRepository])
def test_repositories_refuse_an_empty_key(engine, repository):
    with pytest.raises(ValueError, match="sender_hash_key"):
        repository(engine, "")


# --- escalations -----------------------------------------------------------------------

def test_record_and_list_escalations(engine):
    repo = EscalationRepository(engine, KEY, clock=at(NOW))
    new_id = repo.record("patient-1", "socketio", "emergency", ["cauda_equina", "fever"])
    [record] = repo.since(NOW - timedelta(minutes=1))
    assert record.id == new_id
    assert record.created_at == NOW and record.created_at.tzinfo is not None
    assert record.flags == ("cauda_equina", "fever")
    assert record.sender_hash == hash_sender("patient-1", KEY)
    assert repo.since(NOW + timedelta(seconds=1)) == []
    with pytest.raises(AttributeError):
        record.tier = "routine"  # frozen: callers cannot mistake it for a live ORM row


def test_sender_id_is_never_stored(engine):
    EscalationRepository(engine, KEY).record("patient-secret-id", None, "urgent", ["fever"])
    CallbackRepository(engine, KEY).add("patient-secret-id", "rest", "Ann", "555-123-4567",
                                        "mornings", consent=True)
    with engine.connect() as connection:
        for table in ("escalations", "callback_requests"):
            rows = connection.execute(sa.text("SELECT * FROM " + table)).fetchall()
            assert rows and "patient-secret-id" not in repr(rows)


@pytest.mark.parametrize("tier, flags", [
    ("critical", ["fever"]),                  # unknown tier
    ("urgent", ["my leg is numb"]),           # free text, not a flag id
    ("urgent", ["a,b"]),                      # would break the list format
])
def test_record_rejects_bad_input(engine, tier, flags):
    with pytest.raises(ValueError):
        EscalationRepository(engine, KEY).record("p", "rest", tier, flags)


def test_naive_datetimes_are_refused(engine):
    with pytest.raises(Exception, match="timezone-aware"):
        EscalationRepository(engine, KEY).since(datetime(2025, 1, 1))


# --- callbacks -------------------------------------------------------------------------

def test_callback_lifecycle(engine):
    repo = CallbackRepository(engine, KEY, clock=at(NOW))
    first = repo.add("p1", "rest", " Ann  Lee ", "555-123-4567", "after 3pm", consent=True)
    second = repo.add("p2", None, "Bo", "+1 (555) 987-6543", "any time", consent=True)
    assert [c.id for c in repo.open()] == [first, second]
    assert repo.open()[0].name == "Ann Lee" and repo.open()[1].channel == "unknown"
    assert repo.mark_done(first) is True
    assert repo.mark_done(first) is False      # already done
    assert repo.mark_done(9999) is False       # no such request
    assert [c.id for c in repo.open()] == [second]


@pytest.mark.parametrize("consent", [False, None, "yes", 1])
def test_callback_refused_without_explicit_consent(engine, consent):
    repo = CallbackRepository(engine, KEY)
    with pytest.raises(ConsentRequired):
        repo.add("p1", "rest", "Ann", "555-123-4567", "mornings", consent=consent)
    assert repo.open() == []


def test_database_refuses_rows_without_consent_and_keeps_values_out_of_errors(engine):
    migrate(engine)
    with pytest.raises(sa.exc.IntegrityError) as error, engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO callback_requests (created_at, sender_hash, channel, name, phone,"
            " best_time, consent, status) VALUES (:t, 'h', 'c', :name, '5551234567', 'b', :c,"
            " 'open')"), {"t": NOW.replace(tzinfo=None), "name": "Ann Patient", "c": False})
    assert "Ann Patient" not in str(error.value)  # error messages get logged


@pytest.mark.parametrize("phone", ["call me", "12", "555-123-4567 ext 9 please"])
def test_callback_rejects_non_phone_numbers(engine, phone):
    with pytest.raises(ValueError):
        CallbackRepository(engine, KEY).add("p", "rest", "Ann", phone, "mornings", True)


# --- purge -----------------------------------------------------------------------------

def test_purge_deletes_only_older_records(engine):
    old, new = NOW - timedelta(days=100), NOW - timedelta(days=1)
    cutoff = NOW - timedelta(days=90)
    for moment in (old, old, new):
        EscalationRepository(engine, KEY, clock=at(moment)).record("p", "rest", "routine", [])
        CallbackRepository(engine, KEY, clock=at(moment)).add("p", "rest", "A", "5551234567",
                                                                "am", True)
    escalations, callbacks = EscalationRepository(engine, KEY), CallbackRepository(engine, KEY)
    assert escalations.purge(cutoff) == 2 and callbacks.purge(cutoff) == 2
    assert len(escalations.since(cutoff)) == 1 and len(callbacks.open()) == 1
    assert escalations.purge(cutoff) == 0


# --- Rasa tracker store ----------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:Slot auto-fill")
def test_tracker_store_from_endpoint_config_round_trips(tmp_path, monkeypatch):
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.utils.endpoints import EndpointConfig

    from bot.storage.tracker_store import ConfiguredSQLTrackerStore, purge_tracker_events

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/sub/assistant.db")
    domain = Domain.from_yaml(DOMAIN_YAML)
    config = EndpointConfig(url="ignored-host", type=ConfiguredSQLTrackerStore.__module__
                            + ".ConfiguredSQLTrackerStore", db="ignored.db")
    store = TrackerStore.create(config, domain)
    assert isinstance(store, ConfiguredSQLTrackerStore)
    assert store.engine.url.database == f"{tmp_path}/sub/assistant.db"

    async def save_and_load():
        tracker = await store.get_or_create_tracker("patient-1")
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        tracker.update(SlotSet("tier", "urgent"))
        await store.save(tracker)
        return await store.retrieve("patient-1")

    loaded = asyncio.run(save_and_load())
    assert loaded.get_slot("tier") == "urgent"
    assert loaded.latest_message.text == "hello"
    now = datetime.now(timezone.utc)
    assert purge_tracker_events(store.engine, now - timedelta(days=1)) == 0
    assert purge_tracker_events(store.engine, now + timedelta(seconds=1)) == len(loaded.events)
    assert asyncio.run(store.retrieve("patient-1")) is None
    store.engine.dispose()


def test_purge_tracker_events_without_rasa_table(engine):
    from bot.storage.tracker_store import purge_tracker_events

    assert purge_tracker_events(engine, NOW) == 0


# --- Rasa lock store -------------------------------------------------------------------

LOCK_TYPE = "bot.storage.lock_store.ConfiguredLockStore"


def test_lock_store_is_in_memory_without_url(monkeypatch):
    from rasa.core.lock_store import InMemoryLockStore, LockStore
    from rasa.utils.endpoints import EndpointConfig

    from bot.storage.lock_store import ConfiguredLockStore

    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    store = LockStore.create(EndpointConfig(type=LOCK_TYPE))
    assert isinstance(store, ConfiguredLockStore)
    assert isinstance(store.backend, InMemoryLockStore)

    async def use_lock():
        async with store.lock("conversation-1"):
            assert store.get_lock("conversation-1") is not None
        return store.get_lock("conversation-1")

    assert asyncio.run(use_lock()) is None


def test_in_memory_lock_store_refuses_several_workers(monkeypatch):
    from rasa.shared.exceptions import RasaException

    from bot.storage.lock_store import ConfiguredLockStore

    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    monkeypatch.setenv("SANIC_WORKERS", "4")
    with pytest.raises(RasaException, match="LOCK_STORE_URL"):
        ConfiguredLockStore()


def test_redis_url_parsing():
    from bot.storage.lock_store import redis_options

    assert redis_options("redis://cache:6380/2") == {
        "host": "cache", "port": 6380, "db": 2, "username": None, "password": None,
        "use_ssl": False}
    secure = redis_options("rediss://user:p%40ss@cache")
    assert (secure["password"], secure["port"], secure["db"], secure["use_ssl"]) == \
        ("p@ss", 6379, 0, True)


def test_unreachable_redis_fails_at_start_without_leaking_password(monkeypatch):
    from rasa.shared.exceptions import ConnectionException

    from bot.storage.lock_store import ConfiguredLockStore

    monkeypatch.setenv("LOCK_STORE_URL", "redis://:hunter2@127.0.0.1:1/0")
    with pytest.raises(ConnectionException) as error:
        ConfiguredLockStore()
    assert "hunter2" not in str(error.value)


def _tracker_stores(tmp_path, monkeypatch, replicas=1):
    """The tracker store of each of `replicas` replicas, all on one SQLite file under tmp_path."""
    from rasa.shared.core.domain import Domain

    from bot.storage.tracker_store import ConfiguredSQLTrackerStore

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/assistant.db")
    domain = Domain.from_yaml(DOMAIN_YAML)
    return [ConfiguredSQLTrackerStore(domain=domain) for _ in range(replicas)]


def _unreachable():
    """A session scope while the database is down."""
    from sqlalchemy.exc import OperationalError

    raise OperationalError("connect", {}, Exception("database is down"))


@pytest.mark.filterwarnings("ignore:Slot auto-fill")
def test_conversations_survive_a_database_outage(tmp_path, monkeypatch):
    """While the database is down, turns carry on from memory; when it is back, none is lost."""
    from rasa.shared.core.events import UserUttered

    (store,) = _tracker_stores(tmp_path, monkeypatch)
    working_scope = store.session_scope

    async def conversation():
        tracker = await store.get_or_create_tracker("patient-1")
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        await store.save(tracker)
        monkeypatch.setattr(store, "session_scope", _unreachable)
        during = await store.get_or_create_tracker("patient-1")  # the database can't say
        during.update(UserUttered("i cant pee", {"name": "red_flag_emergency", "confidence": 1.0}))
        await store.save(during)  # must not raise
        next_turn = await store.retrieve("patient-1")  # from memory
        next_turn.update(UserUttered("still cant", {"name": "red_flag_emergency", "confidence": 1.0}))
        await store.save(next_turn)
        monkeypatch.setattr(store, "session_scope", working_scope)
        await store.save(await store.retrieve("patient-1"))  # the next turn after recovery
        store._unsaved.clear()  # what a restarted process would see: only the database
        return await store.retrieve_full_tracker("patient-1")

    after = asyncio.run(conversation())
    texts = [e.text for e in after.events if isinstance(e, UserUttered)]
    assert texts == ["hello", "i cant pee", "still cant"]
    store.engine.dispose()


def _texts(tracker):
    from rasa.shared.core.events import UserUttered

    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


@pytest.mark.filterwarnings("ignore:Slot auto-fill")
def test_an_outage_with_two_replicas_loses_and_doubles_no_turn(tmp_path, monkeypatch):
    """Replica A keeps a turn in memory during an outage; after it, replica B serves the next
    turn from the database; then A writes what it kept. Every turn is there, once, and the
    conversation A continued during the outage was the one from before it, not a new one."""
    from rasa.shared.core.events import SlotSet, UserUttered

    a, b = _tracker_stores(tmp_path, monkeypatch, replicas=2)
    working_scope = a.session_scope

    async def conversation():
        first = await a.get_or_create_tracker("patient-1")
        first.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        first.update(SlotSet("tier", "urgent"))
        await a.save(first)
        monkeypatch.setattr(a, "session_scope", _unreachable)
        during = await a.get_or_create_tracker("patient-1")
        assert during.get_slot("tier") == "urgent"  # the conversation goes on, not a new one
        during.update(UserUttered("my leg is numb", {"name": "red_flag_urgent", "confidence": 1.0}))
        await a.save(during)  # kept in memory
        after = await b.get_or_create_tracker("patient-1")  # the database is back, for B first
        after.update(UserUttered("thanks", {"name": "thank", "confidence": 1.0}))
        await b.save(after)
        monkeypatch.setattr(a, "session_scope", working_scope)
        assert await a.save_unsaved() == 0
        await a.save_unsaved()  # a second write doubles nothing
        return await b.retrieve_full_tracker("patient-1")

    final = asyncio.run(conversation())
    assert sorted(_texts(final)) == sorted(["hello", "my leg is numb", "thanks"])
    assert len(_texts(final)) == 3
    a.engine.dispose()
    b.engine.dispose()


@pytest.mark.filterwarnings("ignore:Slot auto-fill")
def test_a_write_committed_but_not_acknowledged_is_not_doubled(tmp_path, monkeypatch):
    """The database commits a turn but the connection is lost before it answers (PostgreSQL
    restarting mid-commit): the replica keeps the turn as unsaved, and its retry and the next turn
    must not store it a second time."""
    import contextlib

    from rasa.shared.core.events import UserUttered
    from sqlalchemy.exc import OperationalError

    (store,) = _tracker_stores(tmp_path, monkeypatch)
    working_scope = store.session_scope

    @contextlib.contextmanager
    def answer_lost():
        with working_scope() as session:
            yield session  # the insert and the commit happen
        raise OperationalError("commit", {}, Exception("server closed the connection unexpectedly"))

    async def conversation():
        tracker = await store.get_or_create_tracker("patient-3")
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        await store.save(tracker)
        monkeypatch.setattr(store, "session_scope", answer_lost)
        during = await store.retrieve("patient-3")
        during.update(UserUttered("i cant pee", {"name": "red_flag_emergency", "confidence": 1.0}))
        await store.save(during)  # committed, but the replica cannot know: kept as unsaved
        monkeypatch.setattr(store, "session_scope", working_scope)
        assert await store.save_unsaved() == 0
        following = await store.retrieve("patient-3")
        following.update(UserUttered("thanks", {"name": "thank", "confidence": 1.0}))
        await store.save(following)
        return await store.retrieve_full_tracker("patient-3")

    assert _texts(asyncio.run(conversation())) == ["hello", "i cant pee", "thanks"]
    store.engine.dispose()


@pytest.mark.filterwarnings("ignore:Slot auto-fill")
def test_turns_kept_in_memory_are_written_when_the_database_is_back_without_a_next_turn(tmp_path, monkeypatch):
    """With several replicas the next turn may go to another replica, which reads only the
    database: the replica holding the outage's turns must write them by itself."""
    from rasa.shared.core.events import UserUttered

    from bot.storage import tracker_store

    monkeypatch.setattr(tracker_store, "FLUSH_INTERVAL", 0.05)
    store, other_replica = _tracker_stores(tmp_path, monkeypatch, replicas=2)
    working_scope = store.session_scope

    async def conversation():
        tracker = await store.get_or_create_tracker("patient-2")
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        await store.save(tracker)
        monkeypatch.setattr(store, "session_scope", _unreachable)
        during = await store.get_or_create_tracker("patient-2")  # the database can't say
        during.update(UserUttered("i cant pee", {"name": "red_flag_emergency", "confidence": 1.0}))
        await store.save(during)
        await asyncio.sleep(0.2)  # still down: kept
        assert "patient-2" in store._unsaved
        monkeypatch.setattr(store, "session_scope", working_scope)
        for _ in range(100):  # the flusher's next rounds (no next turn comes)
            if not store._unsaved:
                break
            await asyncio.sleep(0.05)
        return await other_replica.retrieve_full_tracker("patient-2")

    after = asyncio.run(conversation())
    assert [e.text for e in after.events if isinstance(e, UserUttered)] == ["hello", "i cant pee"]
    store.engine.dispose()
    other_replica.engine.dispose()


@pytest.mark.filterwarnings("ignore:Slot auto-fill")
def test_a_turn_is_stored_when_another_replica_wrote_the_conversation_meanwhile(tmp_path, monkeypatch):
    """Rasa writes the events beyond the table's count: when the other replica wrote its
    outage turns between this turn's read and save, that count skipped this turn's events."""
    from rasa.shared.core.events import UserUttered

    replica_x, replica_y, reader = _tracker_stores(tmp_path, monkeypatch, replicas=3)

    async def conversation():
        first = await replica_y.get_or_create_tracker("patient-3")
        first.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        await replica_y.save(first)
        turn = await replica_y.retrieve("patient-3")  # replica Y reads ...
        held = await replica_x.retrieve("patient-3")  # ... while X writes what it held
        for text in ("during the outage", "still during it"):
            held.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
        await replica_x.save(held)
        turn.update(UserUttered("after it", {"name": "greet", "confidence": 1.0}))
        await replica_y.save(turn)
        return await reader.retrieve_full_tracker("patient-3")  # a third replica: the table only

    after = asyncio.run(conversation())
    texts = sorted(e.text for e in after.events if isinstance(e, UserUttered))
    assert texts == sorted(["hello", "during the outage", "still during it", "after it"])
    replica_x.engine.dispose()
    replica_y.engine.dispose()
