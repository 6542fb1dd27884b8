"""Rasa's SQL tracker store pointed at the project's one configured database.

endpoints.yml names this class instead of repeating host and credentials, so the
database (and its password) is configured in exactly one place: DATABASE_URL.
Rasa creates and owns the `events` table; this module adds its retention purge.

When the database goes away mid-conversation, conversations carry on from memory (the last
copy this process read or wrote, else a new conversation) and their events are written as soon
as it is back (a background retry every FLUSH_INTERVAL, not only at the patient's next turn), so
the safety advice never waits for the database and no turn is lost while the process lives.
Each replica writes the events after those it read or wrote itself, not after Rasa's count of
the table (which another replica's writes change), so with several replicas a conversation's
turns are neither lost nor doubled, though the table may hold an outage's turns replica by
replica, not interleaved by time. A write that failed may have been committed (the connection
lost on the commit's answer): the conversation's next write skips the rows the table already
holds. What this cannot save: events in the memory of a process that dies before the database
returns (docs/OPERATIONS.md).

Between turns a replica keeps each conversation's tracker as it wrote it (`keep_in_process`), so
the next turn does not rebuild it from every stored event of the session (that rebuild grew with
each earlier turn: docs/BENCHMARKS.md, "Per-turn cost"). It is used only when the table still
holds exactly what this replica read and wrote: the conversation's row count and last row id,
read before each turn, must be those this replica saw in its own last write's transaction.
Another replica's turn, a purge or an outage changes them, and the turn then reads the database
as before.
"""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import action_fallbacks, rasa_patches, settings as bot_settings
from bot.storage.database import (create_engine, database_url, ensure_sqlite_dir, pool_options,
                                  safe_url)

logger = logging.getLogger(__name__)
# Rasa imports this module when it starts (endpoints.yml names the class below): the place where
# the project's patches to Rasa's per-turn work are applied (bot/rasa_patches.py says why), and
# the answers given when no action server answers (bot/action_fallbacks.py).
rasa_patches.apply()
action_fallbacks.apply()

# Connection arguments Rasa may pass from endpoints.yml; DATABASE_URL wins over all.
_IGNORED = ("host", "url", "dialect", "port", "db", "username", "password", "login_db", "query")
# Conversations kept in memory while the database is unreachable (oldest dropped first).
MAX_UNSAVED = 10_000
# Conversations whose stored event count a replica remembers (recent turns).
MAX_REMEMBERED = 10_000
# Recently used conversations, continued from memory when the database cannot be asked.
MAX_RECENT = 1_000
# How often a replica holding unsaved conversations tries the database again.
FLUSH_INTERVAL = 1.0
# Conversations whose tracker a replica keeps between turns (least recently used dropped first);
# with what bot/rasa_patches.py keeps on each, about 150 KB for 10 turns, 550 KB for 50.
MAX_KEPT = 200

# What the table holds of a conversation: its number of rows and its last row's id.
Mark = Tuple[int, Optional[int]]


class ConfiguredSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose connection always comes from `bot.settings`."""

    engine: Engine  # made by SQLTrackerStore.__init__, replaced in ours

    def __init__(self, domain: Optional[Domain] = None,
                 event_broker: Optional[EventBroker] = None, **kwargs: Any) -> None:
        ignored = sorted(k for k in _IGNORED if kwargs.pop(k, None) is not None)
        if ignored:
            logger.warning("Ignoring tracker store %s from endpoints.yml; DATABASE_URL is used.",
                           ", ".join(ignored))
        settings = bot_settings.load()
        url = database_url(settings)
        ensure_sqlite_dir(url)
        super().__init__(
            domain=domain, dialect=url.drivername, host=url.host, port=url.port,
            db=url.database, username=url.username, password=url.password,
            event_broker=event_broker, query=dict(url.query) or None, **kwargs)
        # Swap Rasa's engine for one with pool_pre_ping, so a database restart costs
        # no failed patient messages; Rasa's schema option is kept, its pool (50 + 100
        # connections per replica) bounded by DATABASE_POOL_SIZE and DATABASE_MAX_OVERFLOW.
        self.engine.dispose()
        self.engine = create_engine(url, **{**create_engine_kwargs(url), **pool_options(settings, url)})
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self._unsaved: "OrderedDict[str, DialogueStateTracker]" = OrderedDict()
        # Conversations whose last write failed: the failure may have come after the database
        # committed (the connection lost on the commit's answer), so their next write skips the
        # rows the table already holds (`_not_yet_stored`) instead of doubling them.
        self._uncertain: Set[str] = set()
        # Per conversation, how many of its tracker's events the table holds, as this replica
        # last read or wrote them: the events after those are this replica's to write.
        self._stored: "OrderedDict[str, int]" = OrderedDict()
        self._recent: "OrderedDict[str, DialogueStateTracker]" = OrderedDict()
        self._flusher: Optional[asyncio.Task] = None
        # Trackers kept between turns, each with the table's mark right after this replica wrote
        # it; and, per conversation, the table's mark when its tracker was last handed out.
        self.keep_in_process = True
        self._kept: "OrderedDict[str, Tuple[DialogueStateTracker, Mark]]" = OrderedDict()
        self._marks: "OrderedDict[str, Mark]" = OrderedDict()
        events = self.SQLEvent.__table__
        self._mark_query = (sa.select(sa.func.count(), sa.func.max(events.c.id))
                            .where(events.c.sender_id == sa.bindparam("sender_id")))
        logger.info("Tracker store uses %s", safe_url(url))

    @property
    def _keeping(self) -> bool:
        # An event broker diffs each save against a retrieve, which must not hand out the tracker
        # being saved: no keeping then.
        return self.keep_in_process and self.event_broker is None

    def _mark(self, session: Any, sender_id: str) -> Mark:
        count, last = session.execute(self._mark_query, {"sender_id": sender_id}).one()
        return int(count), last

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        if sender_id in self._unsaved:  # newer than what the database holds
            return self._unsaved[sender_id].copy()
        kept = self._kept.pop(sender_id, None)  # handed out once: a failed turn leaves none
        mark: Optional[Mark] = None
        try:
            if not self._keeping:
                tracker = await super().retrieve(sender_id)
            else:
                with self.session_scope() as session:
                    # Read before the events: a row written in between makes the next turn read again.
                    mark = self._mark(session, sender_id)
                    if kept is not None and kept[1] == mark and \
                            len(kept[0].events) == self._stored.get(sender_id):
                        tracker = kept[0]
                    else:
                        tracker = self._read(session, sender_id)
        except SQLAlchemyError as error:
            known = self._recent.get(sender_id)
            logger.error("Tracker store unreachable (%s); conversation %s from memory.",
                         type(error).__name__, "continued" if known else "started")
            self._marks.pop(sender_id, None)
            if known is None:
                self._remember(sender_id, 0)  # a new conversation: all its events are new
                return None
            return known.copy()  # the table holds what `_stored` says: the rest is new
        self._remember(sender_id, len(tracker.events) if tracker else 0)
        if mark is None:
            self._marks.pop(sender_id, None)
        else:
            _keep(self._marks, sender_id, mark, MAX_REMEMBERED)
        if tracker is not None:
            _keep(self._recent, sender_id, tracker, MAX_RECENT)
        return tracker

    def _read(self, session: Any, sender_id: str) -> Optional[DialogueStateTracker]:
        """The conversation's latest session from the table: Rasa's SQLTrackerStore._retrieve
        (3.6.21), in the caller's transaction."""
        rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
        if not self.domain or not rows:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(row.data) for row in rows],
                                              self.domain.slots)

    def _remember(self, sender_id: str, stored: int) -> None:
        self._stored[sender_id] = stored
        self._stored.move_to_end(sender_id)
        while len(self._stored) > MAX_REMEMBERED:
            self._stored.popitem(last=False)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Any:
        # Rasa skips as many events as the table holds now. Another replica may have written
        # to this conversation since it was read here (its turns from an outage), and a
        # conversation restarted during an outage shares none of the table's events: either
        # way Rasa's count would skip this turn's events. What this replica read is exact.
        stored = self._stored.get(tracker.sender_id)
        if stored is None:  # saved without being read here (forgotten): Rasa's way
            return super()._additional_events(session, tracker)
        return iter(list(tracker.events)[stored:])

    async def save(self, tracker: DialogueStateTracker) -> None:
        error = await self._write(tracker)
        if error is None:
            return
        logger.error("Tracker store unreachable (%s); %d conversation(s) kept in memory.",
                     error, len(self._unsaved) + 1)
        _keep(self._unsaved, tracker.sender_id, tracker.copy(), MAX_UNSAVED)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _write(self, tracker: DialogueStateTracker) -> Optional[str]:
        """Save; None when done, else the error's name. The SQL runs without yielding to the
        event loop, so two writes of one conversation never interleave."""
        try:
            await self._insert(tracker)
        except SQLAlchemyError as error:
            self._uncertain.add(tracker.sender_id)
            return type(error).__name__
        self._uncertain.discard(tracker.sender_id)
        self._remember(tracker.sender_id, len(tracker.events))
        _keep(self._recent, tracker.sender_id, tracker, MAX_RECENT)  # a reference: copies cost a replay
        kept = self._unsaved.get(tracker.sender_id)
        if kept is not None and len(kept.events) <= len(tracker.events):
            del self._unsaved[tracker.sender_id]
        return None

    async def _insert(self, tracker: DialogueStateTracker) -> None:
        """Rasa's SQLTrackerStore.save (3.6.21), its rows inserted in one statement, plus the
        table's mark of the conversation read in the same transaction before and after the insert:
        the tracker is kept for the next turn only when nobody else wrote to the conversation
        since this replica read it."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        stored = self._stored.get(sender_id)
        with self.session_scope() as session:
            before = self._mark(session, sender_id) if self._keeping else None
            rows = [(event, self._row(sender_id, event)) for event in self._additional_events(session, tracker)]
            if rows and sender_id in self._uncertain:
                rows = self._not_yet_stored(session, sender_id, rows)
            if rows:  # one INSERT of all the turn's rows: the ORM's unit of work took ~1 ms a turn
                session.execute(self.SQLEvent.__table__.insert(), [row for _, row in rows])
            after = self._mark(session, sender_id) if self._keeping else None
            session.commit()
        new = [event for event, _ in rows]
        self._kept.pop(sender_id, None)
        restarted = bool(stored) and any(isinstance(event, SessionStarted) for event in new)
        if (before is not None and after is not None and before == self._marks.get(sender_id)
                and after[0] == before[0] + len(new) and not restarted):
            # Kept as written; a tracker that now spans two sessions is read again (Rasa loads
            # only the latest session).
            _keep(self._kept, sender_id, (tracker, after), MAX_KEPT,
                  dropped=lambda entry: rasa_patches.forget(entry[0]))
            _keep(self._marks, sender_id, after, MAX_REMEMBERED)
        else:
            self._marks.pop(sender_id, None)
            rasa_patches.forget(tracker)  # `_recent` may still hold it: only the tracker itself

    def _not_yet_stored(self, session: Any, sender_id: str,
                        rows: List[Tuple[Event, Dict[str, Any]]]) -> List[Tuple[Event, Dict[str, Any]]]:
        """The events (with their rows) that the table does not hold yet (the same data, from the
        first event's time on): after a write whose outcome was unknown, only on that
        conversation's next write."""
        table = self.SQLEvent.__table__
        since = min(event.timestamp for event, _ in rows)
        stored = {data for (data,) in session.execute(
            sa.select(table.c.data).where(table.c.sender_id == sender_id, table.c.timestamp >= since))}
        return [(event, row) for event, row in rows if row["data"] not in stored]

    def _row(self, sender_id: str, event: Event) -> Dict[str, Any]:
        """The table row of one event, the columns Rasa's SQLTrackerStore.save fills."""
        data = event.as_dict()
        return dict(
            sender_id=sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"), data=json.dumps(data))

    async def save_unsaved(self) -> int:
        """Write the conversations kept in memory; how many still wait (the database is down)."""
        for tracker in list(self._unsaved.values()):
            if await self._write(tracker) is not None:
                break  # still unreachable: the rest would fail too
        return len(self._unsaved)

    async def _flush(self) -> None:
        """Write the conversations kept in memory as soon as the database is back, not on their
        next turn: with several replicas that turn may go to another replica, which would read
        the database without them (they were lost that way before)."""
        while self._unsaved:
            await asyncio.sleep(FLUSH_INTERVAL)
            if await self.save_unsaved() == 0:
                logger.info("Tracker store reachable again; the conversations kept in memory are saved.")


def _keep(kept: "OrderedDict[str, Any]", sender_id: str, tracker: Any, limit: int,
          dropped: Callable[[Any], None] = lambda _value: None) -> None:
    kept[sender_id] = tracker
    kept.move_to_end(sender_id)
    while len(kept) > limit:
        dropped(kept.popitem(last=False)[1])


def purge_tracker_events(engine: Engine, older_than: datetime) -> int:
    """Delete Rasa events (which hold message text) older than `older_than`.

    Rasa stores event time as a float UNIX timestamp. Returns 0 when Rasa has not
    created its table yet in this database.
    """
    if older_than.tzinfo is None:
        raise ValueError("use a timezone-aware datetime")
    if not sa.inspect(engine).has_table("events"):
        return 0
    events = SQLTrackerStore.SQLEvent.__table__
    with engine.begin() as connection:
        result = connection.execute(
            sa.delete(events).where(events.c.timestamp < older_than.timestamp()))
        return result.rowcount
