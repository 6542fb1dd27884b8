"""Record of red-flag escalations, so staff can see who the bot sent to urgent care.

Only the tier, the ids of the flags that matched, the channel and a keyed hash of the
sender are stored: enough to count and follow up, nothing a patient typed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa

from bot.storage.database import ensure_schema, session_scope
from bot.storage.models import Escalation, clean_channel, hash_sender, new_key
from bot.storage.repository import Repository
from bot.vocabulary import RECORDED_TIERS

# Flag ids are identifiers from our own rules; anything else (spaces, punctuation)
# would suggest free text is being passed in, which must never be stored.
_FLAG_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class EscalationRecord:
    id: int
    created_at: datetime
    channel: str
    tier: str
    flags: Tuple[str, ...]
    sender_hash: str


def _flags_text(flags: Iterable[str]) -> str:
    unique = list(dict.fromkeys(str(flag) for flag in flags))
    for flag in unique:
        if not _FLAG_ID.match(flag):
            # The value is not echoed: it may be exactly the free text we refuse to keep.
            raise ValueError("flag ids must be 1-64 letters, digits, '_', '.' or '-'")
    text = ",".join(unique)
    if len(text) > 512:
        raise ValueError("too many flags for one escalation")
    return text


def _record(row: Escalation) -> EscalationRecord:
    flags = tuple(row.flags.split(",")) if row.flags else ()
    return EscalationRecord(row.id, row.created_at, row.channel, row.tier, flags, row.sender_hash)


class EscalationRepository(Repository):
    """Write, read and purge escalations; one short transaction per call."""

    model = Escalation

    def prepare(self, sender_id: str, channel: Optional[str], tier: str,
                flags: Iterable[str]) -> Dict[str, Any]:
        """The row's values, checked and with the sender hashed, ready for `insert` or the outbox."""
        if tier not in RECORDED_TIERS:
            raise ValueError(f"tier must be one of {', '.join(RECORDED_TIERS)}")
        return {"created_at": self._clock(), "channel": clean_channel(channel), "tier": tier,
                "flags": _flags_text(flags), "sender_hash": hash_sender(sender_id, self._key)}

    def record(self, sender_id: str, channel: Optional[str], tier: str,
               flags: Iterable[str], key: Optional[str] = None) -> int:
        """Store one escalation now and return its id (actions go through the outbox: Stores)."""
        return self.insert(self.prepare(sender_id, channel, tier, flags), key or new_key())

    def since(self, when: datetime) -> List[EscalationRecord]:
        """Escalations created at or after `when` (aware datetime), oldest first."""
        ensure_schema(self._engine)
        query = (sa.select(Escalation).where(Escalation.created_at >= when)
                 .order_by(Escalation.created_at, Escalation.id))
        with session_scope(self._engine) as session:
            return [_record(row) for row in session.execute(query).scalars()]
