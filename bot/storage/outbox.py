"""A durable local queue for the rows no outage may lose: escalations and callback requests.

An action first writes the row here (a SQLite file under var/, on the action server's own disk,
so it works while the shared database is down), then delivers it. Whatever could not be
delivered stays in the file and is delivered later by the action server's background task
(bot/action_server.py) or `python -m bot outbox drain`, also after a restart.

Exactly once: every entry carries an idempotency key, unique in the target table too. A retry
after a delivery whose acknowledgement was lost (the process died between the database's commit
and the entry's removal, or two action servers drained the same file) finds its key already
there and only removes the entry. The key is derived from the turn (`turn_key` in bot/storage/models.py), so
Rasa re-running an action for the same message does not double a row either.

The file holds what the target row holds (a callback's name and number, never message text),
is readable by its owner only, and entries older than RETENTION_DAYS are purged like the rest.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

from bot.storage.models import utcnow

logger = logging.getLogger(__name__)

KINDS = ("escalation", "callback")
_SCHEMA = """CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL,
    created_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)"""


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str
    values: Dict[str, Any]
    attempts: int


Deliver = Callable[[Entry], Any]


class Outbox:
    """One SQLite file; each call is its own short transaction, safe across threads and processes."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = utcnow) -> None:
        self.path = Path(path)
        self._clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # owner-only before the first callback's number lands in it
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._drain_lock = threading.Lock()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("PRAGMA synchronous=FULL")  # on disk when put() returns, power cut or not
            with db:  # commit, or roll back on error
                yield db

    def put(self, kind: str, key: str, values: Dict[str, Any]) -> bool:
        """Keep an entry until it is delivered; False when that key is already waiting."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        payload = json.dumps(values, default=_jsonable, sort_keys=True)
        with self._connect() as db:
            cursor = db.execute("INSERT OR IGNORE INTO outbox (key, kind, payload, created_at) "
                                "VALUES (?, ?, ?, ?)", (key, kind, payload, self._clock().timestamp()))
            return cursor.rowcount == 1

    def pending(self) -> List[Entry]:
        """Entries not delivered yet, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT key, kind, payload, attempts FROM outbox "
                              "ORDER BY created_at, key").fetchall()
        return [Entry(key, kind, json.loads(payload), attempts) for key, kind, payload, attempts in rows]

    def holds(self, key: str) -> bool:
        """Whether the entry with this key is still waiting."""
        with self._connect() as db:
            return db.execute("SELECT 1 FROM outbox WHERE key = ?", (key,)).fetchone() is not None

    def drain(self, deliver: Deliver) -> Tuple[int, int]:
        """Deliver every waiting entry, oldest first; stop at the first failure (the database is
        most likely down: the rest would fail too). Returns (delivered, still waiting)."""
        delivered = 0
        with self._drain_lock:  # one drain per process; other processes are made safe by the keys
            entries = self.pending()
            for entry in entries:
                try:
                    deliver(entry)
                except Exception as error:  # noqa: BLE001 - kept for the next try, whatever it was
                    with self._connect() as db:
                        db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE key = ?", (entry.key,))
                    # The type only: a database error's text may quote the row.
                    logger.warning("Outbox: %s %s not delivered yet (%s); %d waiting.", entry.kind,
                                   entry.key[:12], type(error).__name__, len(entries) - delivered)
                    break
                with self._connect() as db:
                    db.execute("DELETE FROM outbox WHERE key = ?", (entry.key,))
                delivered += 1
        return delivered, len(entries) - delivered

    def purge(self, older_than: datetime) -> int:
        """The retention rule: drop entries kept since before `older_than`, delivered or not."""
        with self._connect() as db:
            return db.execute("DELETE FROM outbox WHERE created_at < ?", (older_than.timestamp(),)).rowcount


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot keep a {type(value).__name__} in the outbox")
