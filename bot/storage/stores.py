"""The one place the project's repositories are built: actions, staff commands and (later)
the review inbox and the SMS channels all get them from `Stores`, so each uses the same engine, hash key and clock.

What a patient's turn records (an escalation, a callback request) goes through the outbox
(bot/storage/outbox.py) so that a database outage loses none of it.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Tuple

from sqlalchemy.engine import Engine

from bot.settings import Settings
from bot.storage.callbacks import CallbackRepository
from bot.storage.conversations import Conversations
from bot.storage.database import engine_for
from bot.storage.escalations import EscalationRepository
from bot.storage.inbox import InboxRepository
from bot.storage.models import turn_key
from bot.storage.opt_outs import OptOutRepository
from bot.storage.outbox import Entry, Outbox
from bot.storage.recovery import RecoveryRepository
from bot.storage.repository import Repository

logger = logging.getLogger(__name__)


def outbox_path(settings: Settings) -> Path:
    return Path(settings.var_dir) / "outbox.db"


class Stores:
    """The repositories over one engine. Use as a context manager for a short-lived command
    (the engine is disposed of at the end), or keep one per process (the action server)."""

    def __init__(self, settings: Settings, engine: Engine = None) -> None:
        self.settings = settings
        self.engine = engine or engine_for(settings)
        self.escalations = EscalationRepository(self.engine, settings.sender_hash_key)
        self.callbacks = CallbackRepository(self.engine, settings.sender_hash_key)
        self.outbox = Outbox(outbox_path(settings))
        self.opt_outs = OptOutRepository(self.engine, settings.sender_hash_key)
        self.inbox = InboxRepository(self.engine, settings.sender_hash_key)
        self.recovery = RecoveryRepository(self.engine, settings.sender_hash_key)
        self.conversations = Conversations(self.engine, settings.sender_hash_key)
        self._by_kind: Dict[str, Repository] = {"escalation": self.escalations,
                                                "callback": self.callbacks}

    def record_escalation(self, sender_id: str, channel: Optional[str], tier: str,
                          flags: Iterable[str], turn: str) -> bool:
        """Keep an escalation of this turn (once, however often it is called for the turn);
        True when it already reached its table, False when it waits in the outbox."""
        values = self.escalations.prepare(sender_id, channel, tier, flags)
        return self._keep("escalation", turn_key("escalation", sender_id, turn, self.settings.sender_hash_key),
                          values)

    def request_callback(self, sender_id: str, channel: Optional[str], name: str, phone: str,
                         best_time: str, consent: bool, turn: str) -> bool:
        """As `record_escalation`, for a callback request (refused without consent)."""
        values = self.callbacks.prepare(sender_id, channel, name, phone, best_time, consent)
        return self._keep("callback", turn_key("callback", sender_id, turn, self.settings.sender_hash_key),
                          values)

    def _keep(self, kind: str, key: str, values: Dict[str, Any]) -> bool:
        self.outbox.put(kind, key, values)  # durable before anything else is tried
        self.deliver_pending()
        return not self.outbox.holds(key)

    def deliver(self, entry: Entry) -> int:
        """Write one outbox entry to its table (idempotent: the key is unique there)."""
        return self._by_kind[entry.kind].insert(entry.values, entry.key)

    def deliver_pending(self) -> Tuple[int, int]:
        """Deliver what the outbox holds: (delivered, still waiting)."""
        return self.outbox.drain(self.deliver)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Stores":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
