"""What every table's repository shares: its engine, the sender-hash key, a clock, retention."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.storage.database import NO_SYNC, ensure_schema, session_scope
from bot.storage.models import utcnow


class Repository:
    """One table; one short transaction per call. Subclasses set `model` (with `created_at`)."""

    model: Any

    def __init__(self, engine: Engine, hash_key: str,
                 clock: Callable[[], datetime] = utcnow) -> None:
        if not hash_key:  # fail at start-up, not at the first patient who needs it
            raise ValueError("sender_hash_key must not be empty")
        self._engine = engine
        self._key = hash_key
        self._clock = clock

    def purge(self, older_than: datetime) -> int:
        """Delete the rows created before `older_than` (the retention rule); returns the count."""
        ensure_schema(self._engine)
        delete = sa.delete(self.model).where(self.model.created_at < older_than)
        with session_scope(self._engine) as session:
            return session.execute(delete, execution_options=NO_SYNC).rowcount
