"""What every table's repository shares: its engine, the sender-hash key, a clock, retention."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Dict, Optional

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

    def insert(self, values: Dict[str, Any], key: str) -> int:
        """Write one row prepared by the subclass under its idempotency key and return its id;
        the same key again writes nothing and returns the first row's id (outbox retries)."""
        values = {**values, "idempotency_key": key}
        if isinstance(values.get("created_at"), str):  # as kept in the outbox's JSON
            values["created_at"] = datetime.fromisoformat(values["created_at"])
        ensure_schema(self._engine)
        try:
            with session_scope(self._engine) as session:
                row = self.model(**values)
                session.add(row)
                session.flush()
                return row.id
        except sa.exc.IntegrityError:
            existing = self.id_for(key)
            if existing is None:  # a real constraint failure, not a repeat
                raise
            return existing

    def id_for(self, key: str) -> Optional[int]:
        """The id of the row written under `key`, if any."""
        ensure_schema(self._engine)
        query = sa.select(self.model.id).where(self.model.idempotency_key == key)
        with session_scope(self._engine) as session:
            return session.execute(query).scalar_one_or_none()

    def purge(self, older_than: datetime) -> int:
        """Delete the rows created before `older_than` (the retention rule); returns the count."""
        ensure_schema(self._engine)
        delete = sa.delete(self.model).where(self.model.created_at < older_than)
        with session_scope(self._engine) as session:
            return session.execute(delete, execution_options=NO_SYNC).rowcount
