"""Engine, unit-of-work sessions and schema migrations for the project's own tables.

The project's tables share one database with Rasa's tracker store, so one URL (from
settings) drives both; the schema is versioned with Alembic so production databases
can be upgraded in place instead of being recreated.
"""
from __future__ import annotations

import logging
import threading
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, Union

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session

from bot.settings import Settings

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_migrated: "weakref.WeakSet[Engine]" = weakref.WeakSet()
# Alembic keeps its running context in module globals: one migration per process at a time.
# (Separate processes are serialised by a PostgreSQL advisory lock in migrations/env.py.)
_migrate_lock = threading.Lock()
# For bulk UPDATE/DELETE: sessions here are fresh and hold no objects to refresh.
NO_SYNC = {"synchronize_session": False}


def database_url(settings: Settings) -> URL:
    """The configured URL, falling back to SQLite under var/ so a laptop needs no server."""
    raw = settings.database_url or f"sqlite:///{Path(settings.var_dir) / 'assistant.db'}"
    url = make_url(raw)
    if url.drivername in ("postgres", "postgres+psycopg2"):
        # Heroku-style URLs; SQLAlchemy 1.4 only knows the `postgresql` name.
        url = url.set(drivername="postgresql")
    return url


def safe_url(url: Union[str, URL]) -> str:
    """The URL as text with the password masked, the only form fit for logs and output."""
    return make_url(url).render_as_string(hide_password=True)


def ensure_sqlite_dir(url: URL) -> None:
    """SQLite cannot create missing directories, and var/ is not in the repository."""
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not url.database.startswith("file:"):
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: Union[str, URL], **kwargs: Any) -> Engine:
    """An engine whose pooled connections survive database restarts (pool_pre_ping).

    hide_parameters keeps bound values (names, phone numbers, message text in Rasa's
    events) out of SQL error messages, which callers log.
    """
    url = make_url(url)
    ensure_sqlite_dir(url)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("hide_parameters", True)
    logger.debug("Using database %s", safe_url(url))
    engine = sa.create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        sa.event.listen(engine, "connect", _write_ahead_log)
    return engine


def _write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    """A SQLite file journals to a write-ahead log, synced at every commit (as durable as SQLite's
    default rollback journal). The default syncs the journal and the database file two or three
    times a commit: one turn's save took a median 16 ms of wall time on a busy CI disk, against
    0.3 ms with the log (docs/BENCHMARKS.md); readers (the action server, the staff inbox) no longer
    wait for a writer either. `synchronous=NORMAL` would skip the sync, and a power cut could lose
    the last turns: not done, nothing stored may be lost."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def pool_options(settings: Settings, url: URL) -> Dict[str, Any]:
    """Bounded pool sizes for a server database; a pool for a SQLite file too.

    Every Rasa replica and action server holds up to pool + overflow connections, so the
    replica count times this must stay under PostgreSQL's max_connections
    (bot/tooling/production.py checks before it starts anything). Rasa's own default is 50 + 100.
    SQLAlchemy 1.4 opens a new connection to a SQLite file for every session: three a turn in the
    tracker store, 0.6 ms of a turn's 5.8 ms CPU (docs/BENCHMARKS.md). Kept connections, as
    SQLAlchemy 2.0 does by default, may be used by another thread than the one that opened them
    (the action server's stores run in worker threads), and need no ping: the file does not
    restart. An in-memory database keeps SQLAlchemy's own pool (one connection a thread).
    """
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return {}
        return {"poolclass": sa.pool.QueuePool, "pool_pre_ping": False,
                "connect_args": {"check_same_thread": False}}
    return {"pool_size": settings.database_pool_size,
            "max_overflow": settings.database_max_overflow}


def engine_for(settings: Settings) -> Engine:
    """The engine for the configured database; callers dispose of it when done."""
    url = database_url(settings)
    return create_engine(url, **pool_options(settings, url))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction per unit of work: commit on success, roll back on any error.

    Sessions are never shared or global, so a failed request cannot leave a
    half-finished transaction behind for the next one.
    """
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def _alembic_config(connection: sa.engine.Connection) -> Config:
    config = Config()  # no alembic.ini at run time: everything is set here
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _alembic_quiet() -> Iterator[None]:
    """Alembic logs "Context impl SQLiteImpl.", "Will assume non-transactional DDL." and each
    step at INFO on every check. The schema is checked on first use, which in the action server
    is the middle of a conversation: those lines then landed between a patient's message and
    the answer in `make shell`. What changed is logged once below instead."""
    alembic = logging.getLogger("alembic")
    level = alembic.level
    alembic.setLevel(max(logging.WARNING, level))
    try:
        yield
    finally:
        alembic.setLevel(level)


def head_revision() -> str:
    """The latest schema revision in migrations/ (what `migrate` brings a database to)."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return str(ScriptDirectory.from_config(config).get_current_head())


def migrate(engine: Engine, revision: str = "head") -> str:
    """Bring the schema to `revision` (the latest by default) and return the revision now current.

    Safe to call at every start: Alembic skips migrations already applied.
    """
    with _migrate_lock, engine.begin() as connection, _alembic_quiet():
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(_alembic_config(connection), revision)
        current = MigrationContext.configure(connection).get_current_revision()
    _migrated.add(engine)
    if current != before:
        logger.info("Database schema upgraded from %s to %s", before or "empty", current)
    else:
        logger.debug("Database schema at revision %s", current)
    return current or "base"


def ensure_schema(engine: Engine) -> None:
    """Migrate once per engine per process, so tables appear on first use."""
    if engine not in _migrated:
        migrate(engine)
