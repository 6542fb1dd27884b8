"""SMS and WhatsApp numbers that sent STOP, kept as a keyed hash only (bot/channels/keywords.py).

Retention: a number silent for RETENTION_DAYS is forgotten (`purge`); one that writes while
stopped is kept, its `updated_at` refreshed, so it never starts getting answers by itself.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from bot.storage.database import NO_SYNC, ensure_schema, session_scope
from bot.storage.models import SmsOptOut, clean_channel, hash_sender
from bot.storage.repository import Repository


class OptOutRepository(Repository):
    """stop / start / is_stopped per (channel, sender); one transaction per call."""

    model = SmsOptOut

    def _where(self, channel: str, sender_id: str) -> sa.sql.ColumnElement:
        return sa.and_(SmsOptOut.channel == clean_channel(channel),
                       SmsOptOut.sender_hash == hash_sender(sender_id, self._key))

    def stop(self, channel: str, sender_id: str) -> None:
        """Record STOP (again: refreshes the date)."""
        ensure_schema(self._engine)
        with session_scope(self._engine) as session:
            touched = session.execute(
                sa.update(SmsOptOut).where(self._where(channel, sender_id))
                .values(updated_at=self._clock()), execution_options=NO_SYNC).rowcount
            if not touched:
                session.add(SmsOptOut(updated_at=self._clock(), channel=clean_channel(channel),
                                      sender_hash=hash_sender(sender_id, self._key)))

    def start(self, channel: str, sender_id: str) -> bool:
        """Forget a STOP; True when the number had stopped."""
        ensure_schema(self._engine)
        with session_scope(self._engine) as session:
            return session.execute(sa.delete(SmsOptOut).where(self._where(channel, sender_id)),
                                   execution_options=NO_SYNC).rowcount > 0

    def is_stopped(self, channel: str, sender_id: str) -> bool:
        """Whether the number has stopped; a stopped number writing refreshes its date."""
        ensure_schema(self._engine)
        with session_scope(self._engine) as session:
            return session.execute(
                sa.update(SmsOptOut).where(self._where(channel, sender_id))
                .values(updated_at=self._clock()), execution_options=NO_SYNC).rowcount > 0

    def has_stopped(self, channel: str, sender_id: str) -> bool:
        """Whether the number has stopped, read only: the bot writing to it (a check-in after a
        restart, bot/channels/contacts.py) is not the number writing, so its date stays."""
        ensure_schema(self._engine)
        with session_scope(self._engine) as session:
            return session.execute(sa.select(SmsOptOut.id).where(self._where(channel, sender_id))).first() is not None

    def purge(self, older_than: datetime) -> int:
        """Forget numbers silent since before `older_than`."""
        ensure_schema(self._engine)
        with session_scope(self._engine) as session:
            return session.execute(sa.delete(SmsOptOut).where(SmsOptOut.updated_at < older_than),
                                   execution_options=NO_SYNC).rowcount
