"""Rasa's SQL tracker store pointed at the project's one configured database.

endpoints.yml names this class instead of repeating host and credentials, so the
database (and its password) is configured in exactly one place: DATABASE_URL.
Rasa creates and owns the `events` table; this module adds its retention purge.

When the database goes away mid-conversation, conversations carry on from memory (the last
copy this process read or wrote, else a new conversation) and their events are written when it
is back: at the conversation's next turn, or by a background retry every few seconds, whichever
comes first. Those writes add only the events the table lacks, compared event by event (each
as Rasa serialises it, its time included), not by count, so a turn another replica wrote
meanwhile is neither overwritten nor doubled. What this cannot save: events kept in the memory
of a process that dies before the database returns (docs/OPERATIONS.md, "Conversation events during an outage").
"""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from collections import OrderedDict
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import settings as bot_settings
from bot.storage.database import create_engine, database_url, ensure_sqlite_dir, safe_url

logger = logging.getLogger(__name__)

# Connection arguments Rasa may pass from endpoints.yml; DATABASE_URL wins over all.
_IGNORED = ("host", "url", "dialect", "port", "db", "username", "password", "login_db", "query")
# Conversations kept in memory while the database is unreachable (oldest dropped first).
MAX_UNSAVED = 10_000
# Recently used conversations, read from memory when the database cannot be asked.
MAX_RECENT = 1_000
RETRY_SECONDS = 5.0


class ConfiguredSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose connection always comes from `bot.settings`."""

    engine: Engine  # made by SQLTrackerStore.__init__, replaced in ours

    def __init__(self, domain: Optional[Domain] = None,
                 event_broker: Optional[EventBroker] = None, **kwargs: Any) -> None:
        ignored = sorted(k for k in _IGNORED if kwargs.pop(k, None) is not None)
        if ignored:
            logger.warning("Ignoring tracker store %s from endpoints.yml; DATABASE_URL is used.",
                           ", ".join(ignored))
        url = database_url(bot_settings.load())
        ensure_sqlite_dir(url)
        super().__init__(
            domain=domain, dialect=url.drivername, host=url.host, port=url.port,
            db=url.database, username=url.username, password=url.password,
            event_broker=event_broker, query=dict(url.query) or None, **kwargs)
        # Swap Rasa's engine for one with pool_pre_ping, so a database restart costs
        # no failed patient messages; Rasa's pool/schema options are kept.
        self.engine.dispose()
        self.engine = create_engine(url, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self._unsaved: "OrderedDict[str, DialogueStateTracker]" = OrderedDict()
        self._recent: "OrderedDict[str, DialogueStateTracker]" = OrderedDict()
        # Conversations that went through memory: their next write merges event by event.
        self._via_memory: set = set()
        self._retrying: Optional[asyncio.Task] = None
        logger.info("Tracker store uses %s", safe_url(url))

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        if sender_id in self._unsaved:  # newer than what the database holds
            return self._unsaved[sender_id].copy()
        try:
            tracker = await super().retrieve(sender_id)
        except SQLAlchemyError as error:
            self._via_memory.add(sender_id)
            known = self._recent.get(sender_id)
            logger.error("Tracker store unreachable (%s); conversation %s from memory.",
                         type(error).__name__, "continued" if known else "started")
            return known.copy() if known else None
        if tracker is not None:  # a reference, not a copy: copying costs a replay of every turn
            _remember(self._recent, sender_id, tracker, MAX_RECENT, copy=False)
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Any:
        if tracker.sender_id not in self._via_memory:
            return super()._additional_events(session, tracker)
        # Rasa skips as many events as the table holds; after an outage the table may hold
        # other events (a new conversation's, another replica's turn), so compare each one.
        # An event is its serialised form (time included), exactly as Rasa's save writes it.
        events = self.SQLEvent
        stored = {data for (data,) in session.query(events.data).filter(events.sender_id == tracker.sender_id)}
        return (event for event in tracker.events if json.dumps(event.as_dict()) not in stored)

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
        except SQLAlchemyError as error:
            _remember(self._unsaved, tracker.sender_id, tracker, MAX_UNSAVED)
            self._via_memory.add(tracker.sender_id)
            logger.error("Tracker store unreachable (%s); %d conversation(s) kept in memory.",
                         type(error).__name__, len(self._unsaved))
            self._retry_later()
        else:
            self._unsaved.pop(tracker.sender_id, None)
            self._via_memory.discard(tracker.sender_id)
            _remember(self._recent, tracker.sender_id, tracker, MAX_RECENT, copy=False)

    async def save_unsaved(self) -> int:
        """Write every conversation kept in memory; returns how many are still waiting."""
        for sender_id in list(self._unsaved):
            tracker = self._unsaved.get(sender_id)
            if tracker is not None:
                await self.save(tracker.copy())
            if sender_id in self._unsaved:  # still down: the rest would fail too
                break
        return len(self._unsaved)

    def _retry_later(self) -> None:
        """Write the kept conversations when the database is back, without waiting for each
        patient's next turn (a patient who never writes again would otherwise lose them)."""
        if self._retrying is not None and not self._retrying.done():
            return
        try:
            self._retrying = asyncio.get_running_loop().create_task(self._retry_until_saved())
        except RuntimeError:  # no running loop (a test calling from sync code): next turn saves
            self._retrying = None

    async def _retry_until_saved(self) -> None:
        while self._unsaved:
            await asyncio.sleep(RETRY_SECONDS)
            try:
                left = await self.save_unsaved()
            except Exception as error:  # noqa: BLE001 - keep retrying
                logger.error("Retrying kept conversations failed (%s)", type(error).__name__)
                continue
            if not left:
                logger.info("Every conversation kept in memory is now in the tracker store.")


def _remember(kept: "OrderedDict[str, DialogueStateTracker]", sender_id: str,
              tracker: DialogueStateTracker, limit: int, copy: bool = True) -> None:
    kept[sender_id] = tracker.copy() if copy else tracker
    kept.move_to_end(sender_id)
    while len(kept) > limit:
        kept.popitem(last=False)


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
