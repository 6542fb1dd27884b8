"""Rasa's SQL tracker store pointed at the project's one configured database.

endpoints.yml names this class instead of repeating host and credentials, so the
database (and its password) is configured in exactly one place: DATABASE_URL.
Rasa creates and owns the `events` table; this module adds its retention purge.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import Engine

from bot import settings as bot_settings
from bot.storage.database import create_engine, database_url, ensure_sqlite_dir, safe_url

logger = logging.getLogger(__name__)

# Connection arguments Rasa may pass from endpoints.yml; DATABASE_URL wins over all.
_IGNORED = ("host", "url", "dialect", "port", "db", "username", "password", "login_db", "query")


class ConfiguredSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose connection always comes from `bot.settings`."""

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
        logger.info("Tracker store uses %s", safe_url(url))


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
