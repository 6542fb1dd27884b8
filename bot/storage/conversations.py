"""The patients' conversations as Rasa's tracker store keeps them: its `events` table (created and
owned by Rasa, bot/storage/tracker_store.py), read and deleted here without importing Rasa, so the
action server stays a small process.

Two uses: "delete my data" deletes the patient's events, and the check-in delivery finds the
sender id Rasa knows a patient by from the keyed hash the project's tables keep (the events table
is the one place that holds sender ids; nothing here copies them elsewhere).
"""
from __future__ import annotations

import asyncio
import time
from typing import Collection, Dict, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.storage.models import hash_sender

# The columns of Rasa 3.6's SQLTrackerStore.SQLEvent used here (table "events").
EVENTS = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("action_name"))
LISTEN = "action_listen"


class Conversations:
    """Rasa's events of one database; a short transaction per call, nothing cached."""

    def __init__(self, engine: Engine, hash_key: str) -> None:
        self._engine = engine
        self._key = hash_key

    def _exists(self) -> bool:
        return sa.inspect(self._engine).has_table("events")  # Rasa creates it at its first start

    def senders(self, hashes: Collection[str]) -> Dict[str, str]:
        """{keyed hash: sender id} for the conversations whose sender hashes to one of `hashes`."""
        if not hashes or not self._exists():
            return {}
        wanted = set(hashes)
        with self._engine.connect() as connection:
            ids = connection.execute(sa.select(EVENTS.c.sender_id).distinct()).scalars()
            found = {hash_sender(sender_id, self._key): sender_id for sender_id in ids}
        return {digest: sender_id for digest, sender_id in found.items() if digest in wanted}

    def count(self, sender_id: str) -> int:
        if not self._exists():
            return 0
        with self._engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(EVENTS)
                                      .where(EVENTS.c.sender_id == sender_id)).scalar_one()

    def delete(self, sender_id: str, up_to: Optional[int] = None) -> int:
        """Delete the conversation's events (those up to the row id `up_to`, if given); the count."""
        if not self._exists():
            return 0
        query = sa.delete(EVENTS).where(EVENTS.c.sender_id == sender_id)
        if up_to is not None:
            query = query.where(EVENTS.c.id <= up_to)
        with self._engine.begin() as connection:
            return connection.execute(query).rowcount

    def turn_end(self, sender_id: str, action: str) -> Optional[int]:
        """The row id of the `action_listen` that ended the turn in which `action` last ran, once
        the Rasa server has written that turn (it does after the action answered); else None."""
        if not self._exists():
            return None
        mine = EVENTS.c.sender_id == sender_id
        ran = sa.select(sa.func.max(EVENTS.c.id)).where(mine, EVENTS.c.action_name == action).scalar_subquery()
        query = sa.select(sa.func.min(EVENTS.c.id)).where(mine, EVENTS.c.action_name == LISTEN, EVENTS.c.id > ran)
        with self._engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    async def forget_turn(self, sender_id: str, action: str, wait: float = 60.0, every: float = 0.5) -> int:
        """Delete the turn in which `action` runs, once the Rasa server has written it: an action
        cannot delete the events Rasa writes after it (the patient's request, the answer). Gives
        up after `wait` seconds (the retention purge then deletes them); the count deleted."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            end = await loop.run_in_executor(None, self.turn_end, sender_id, action)
            if end is not None:
                return await loop.run_in_executor(None, self.delete, sender_id, end)
            await asyncio.sleep(every)
        return 0
