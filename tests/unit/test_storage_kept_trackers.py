"""Trackers kept in process between turns (bot/storage/tracker_store.py, `keep_in_process`): a
turn never misses what another replica wrote, nor sees what a failed turn did not save."""
import asyncio

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered

from bot.storage.tracker_store import ConfiguredSQLTrackerStore

pytestmark = pytest.mark.filterwarnings("ignore:Slot auto-fill")
DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, thank]
""")


@pytest.fixture
def replicas(tmp_path, monkeypatch):
    """Two replicas (tracker stores) on one database, and a count of their full reads."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/assistant.db")
    reads = []
    query = SQLTrackerStore._event_query

    def counted(self, session, sender_id, fetch_events_from_all_sessions):
        if not fetch_events_from_all_sessions:  # a turn's read of the latest session
            reads.append(sender_id)
        return query(self, session, sender_id, fetch_events_from_all_sessions)

    monkeypatch.setattr(SQLTrackerStore, "_event_query", counted)
    a, b = ConfiguredSQLTrackerStore(domain=DOMAIN), ConfiguredSQLTrackerStore(domain=DOMAIN)
    yield a, b, reads
    a.engine.dispose()
    b.engine.dispose()


def say(tracker, text):
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(ActionExecuted("action_listen"))


async def turn(replica, text):
    """One turn of the patient's on `replica`: read the tracker, the message and its answer, save."""
    tracker = await replica.get_or_create_tracker("patient")
    say(tracker, text)
    await replica.save(tracker)


def texts(tracker):
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


def stored(sender_id):
    """What a restarted process would read: only the database."""
    async def read():
        store = ConfiguredSQLTrackerStore(domain=DOMAIN)
        try:
            return await store.retrieve_full_tracker(sender_id)
        finally:
            store.engine.dispose()
    return asyncio.run(read())


def test_a_replica_continues_its_conversation_without_reading_every_event_again(replicas):
    a, _, reads = replicas

    async def conversation():
        for text in ("hello", "my leg hurts", "thanks"):
            await turn(a, text)
        return await a.retrieve("patient")

    assert texts(asyncio.run(conversation())) == ["hello", "my leg hurts", "thanks"]
    assert reads == ["patient"]  # the first turn only; then the kept tracker
    assert texts(stored("patient")) == ["hello", "my leg hurts", "thanks"]


def test_a_turn_another_replica_wrote_is_seen_by_the_next_turn(replicas):
    a, b, _ = replicas

    async def conversation():
        await turn(a, "hello")
        await turn(b, "my leg is numb")  # the next turn went to replica B
        back = await a.get_or_create_tracker("patient")  # and the one after to A again
        seen = texts(back)
        say(back, "thanks")
        await a.save(back)
        return seen

    assert asyncio.run(conversation()) == ["hello", "my leg is numb"]
    assert texts(stored("patient")) == ["hello", "my leg is numb", "thanks"]


def test_a_turn_written_by_another_replica_during_this_turn_is_seen_by_the_next(replicas):
    a, b, _ = replicas

    async def conversation():
        await turn(a, "hello")
        this_turn = await a.get_or_create_tracker("patient")
        await turn(b, "during the outage")  # B writes what it held (an outage)
        say(this_turn, "after it")
        await a.save(this_turn)
        return texts(await a.get_or_create_tracker("patient"))

    expected = ["hello", "during the outage", "after it"]
    assert asyncio.run(conversation()) == expected
    assert texts(stored("patient")) == expected


def test_what_a_failed_turn_did_not_save_is_not_seen_by_the_next_turn(replicas):
    a, _, _ = replicas

    async def conversation():
        await turn(a, "hello")
        failed = await a.get_or_create_tracker("patient")
        say(failed, "a turn that failed before it was saved")
        return texts(await a.get_or_create_tracker("patient"))

    assert asyncio.run(conversation()) == ["hello"]


def test_a_new_session_is_read_like_rasa_reads_it(replicas):
    """Rasa loads only the latest session: a tracker spanning two is not kept."""
    a, _, _ = replicas

    async def conversation():
        await turn(a, "yesterday")
        later = await a.get_or_create_tracker("patient")
        later.update(ActionExecuted("action_session_start"))
        later.update(SessionStarted())
        later.update(ActionExecuted("action_listen"))
        say(later, "today")
        await a.save(later)
        return texts(await a.get_or_create_tracker("patient"))

    assert asyncio.run(conversation()) == ["today"]


def test_without_keeping_every_turn_reads_the_database(replicas):
    a, _, reads = replicas
    a.keep_in_process = False

    async def conversation():
        for text in ("hello", "thanks"):
            await turn(a, text)

    asyncio.run(conversation())
    assert reads == ["patient", "patient"]
    assert texts(stored("patient")) == ["hello", "thanks"]


def test_the_rows_written_are_those_rasas_own_store_writes(tmp_path, monkeypatch):
    """A turn's rows go in as one INSERT, with the columns and values Rasa's SQLTrackerStore
    (3.6.21) writes row by row."""
    import sqlalchemy as sa

    def rows(store):
        with store.engine.connect() as connection:
            table = store.SQLEvent.__table__
            return [tuple(row) for row in connection.execute(sa.select(table).order_by(table.c.id))]

    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
              UserUttered("hi", {"name": "greet", "confidence": 1.0}), ActionExecuted("utter_greet"),
              ActionExecuted("action_listen")]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/ours.db")
    ours = ConfiguredSQLTrackerStore(domain=DOMAIN)
    rasas = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasas.db"))
    try:
        for store in (ours, rasas):
            tracker = store.init_tracker("patient")
            for event in events:
                tracker.update(event)
            asyncio.run(store.save(tracker))
        assert rows(ours) == rows(rasas)
        assert len(rows(ours)) == len(events)
        asyncio.run(ours.save(tracker))  # nothing new: no row, no empty INSERT
        assert len(rows(ours)) == len(events)
    finally:
        ours.engine.dispose()
        rasas.engine.dispose()
