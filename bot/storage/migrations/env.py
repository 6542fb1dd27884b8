"""Alembic environment, configured from Python so no alembic.ini is needed at run time.

`bot.storage.database.migrate` hands over an open connection; the `alembic` CLI (with
bot/storage/alembic.ini, for writing new revisions) falls back to the configured URL.
"""
from typing import Any, Optional

import sqlalchemy as sa
from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.models import Base

# Any number for pg_advisory_xact_lock, shared by every replica of this project.
_MIGRATION_LOCK_ID = 7_311_204


def _include_object(obj: Any, name: Optional[str], type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave Rasa's `events` table (and any other foreign table) out of autogenerate."""
    return not (type_ == "table" and reflected and compare_to is None)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Replicas starting together would otherwise race to create the tables.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"),
                               {"id": _MIGRATION_LOCK_ID})
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from bot import settings
    from bot.storage.database import database_url, engine_for

    if context.is_offline_mode():
        context.configure(url=database_url(settings.load()), target_metadata=Base.metadata,
                          literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_for(settings.load())
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


_main()
