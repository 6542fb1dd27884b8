"""The review inbox's table: redacted messages the assistant missed, and what staff did with them.

Only text that went through bot/inbox/redact.py is accepted (the collector redacts; this
repository refuses text longer than the column rather than cutting a placeholder in half), the
sender as a keyed hash, and retention deletes items like every other store.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from bot.storage.database import NO_SYNC, ensure_schema, session_scope
from bot.storage.models import INBOX_STATUSES, InboxItem, hash_sender
from bot.storage.repository import Repository
from bot.vocabulary import INBOX_REASONS, REASON_DISAGREEMENT

TEXT_LIMIT = 1000


@dataclass(frozen=True)
class Sighting:
    """One collected message, before storage: what the collector found in a tracker."""

    sender_id: str
    sent_at: datetime
    reasons: Tuple[str, ...]
    text: str  # already redacted
    intent: Optional[str]
    confidence: Optional[float]
    detector: str
    suggested: Optional[str]


@dataclass(frozen=True)
class InboxRecord:
    id: int
    created_at: datetime
    reasons: Tuple[str, ...]
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    detector: str
    suggested: Optional[str]
    status: str
    resolution: Optional[str]

    @property
    def safety(self) -> bool:
        """Shown and counted first: the two red-flag readers disagreed, or a reviewer found a miss."""
        return REASON_DISAGREEMENT in self.reasons or self.status == "missed_red_flag"


def _record(row: InboxItem) -> InboxRecord:
    return InboxRecord(row.id, row.created_at, tuple(row.reasons.split(",")), row.text, row.intent,
                       row.confidence, row.detector, row.suggested, row.status, row.resolution)


class InboxRepository(Repository):
    """Add sightings (idempotent), list and resolve items, count the safety ones, purge."""

    model = InboxItem

    def add(self, sightings: Iterable[Sighting]) -> int:
        """Store the sightings not stored before (same sender and message time); returns how many."""
        ensure_schema(self._engine)
        added = 0
        with session_scope(self._engine) as session:
            for seen in sightings:
                unknown = [r for r in seen.reasons if r not in INBOX_REASONS]
                if unknown or not seen.reasons:
                    raise ValueError(f"reasons must be among {', '.join(INBOX_REASONS)}")
                if len(seen.text) > TEXT_LIMIT:
                    raise ValueError(f"text longer than {TEXT_LIMIT} characters")
                key = hash_sender(f"{seen.sender_id}|{seen.sent_at.timestamp():.6f}", self._key)
                if session.execute(sa.select(InboxItem.id).where(InboxItem.message_key == key)).first():
                    continue
                session.add(InboxItem(
                    created_at=seen.sent_at, message_key=key, sender_hash=hash_sender(seen.sender_id, self._key),
                    reasons=",".join(seen.reasons), text=seen.text, intent=seen.intent, confidence=seen.confidence,
                    detector=seen.detector[:200], suggested=seen.suggested, status="open"))
                added += 1
        return added

    def items(self, status: Optional[str] = "open", reason: Optional[str] = None,
              since: Optional[datetime] = None, until: Optional[datetime] = None) -> List[InboxRecord]:
        """Items filtered by status (None: all), reason and sending date, safety first, then newest."""
        ensure_schema(self._engine)
        query = sa.select(InboxItem)
        if status is not None:
            query = query.where(InboxItem.status == status)
        if reason is not None:
            if reason not in INBOX_REASONS:
                raise ValueError(f"reason must be one of {', '.join(INBOX_REASONS)}")
            query = query.where(("," + InboxItem.reasons + ",").contains(f",{reason},", autoescape=True))
        if since is not None:
            query = query.where(InboxItem.created_at >= since)
        if until is not None:
            query = query.where(InboxItem.created_at < until)
        with session_scope(self._engine) as session:
            found = [_record(row) for row in session.execute(query.order_by(InboxItem.created_at.desc(),
                                                                             InboxItem.id.desc())).scalars()]
        return sorted(found, key=lambda item: not item.safety)  # stable: newest first within each

    def get(self, item_id: int) -> Optional[InboxRecord]:
        ensure_schema(self._engine)
        with session_scope(self._engine) as session:
            row = session.get(InboxItem, int(item_id))
            return _record(row) if row else None

    def resolve(self, item_ids: Sequence[int], status: str, resolution: Optional[str] = None) -> int:
        """Record the reviewer's decision on open items; returns how many changed."""
        if status not in INBOX_STATUSES or status == "open":
            raise ValueError(f"status must be one of {', '.join(INBOX_STATUSES[1:])}")
        ensure_schema(self._engine)
        update = (sa.update(InboxItem)
                  .where(InboxItem.id.in_([int(i) for i in item_ids]), InboxItem.status == "open")
                  .values(status=status, resolution=resolution, reviewed_at=self._clock()))
        with session_scope(self._engine) as session:
            return session.execute(update, execution_options=NO_SYNC).rowcount

    def safety_count(self) -> int:
        """Open disagreements plus the misses reviewers found (still within retention)."""
        return sum(1 for item in self.items(status=None)
                   if (item.status == "open" and REASON_DISAGREEMENT in item.reasons)
                   or item.status == "missed_red_flag")

    def content_requests(self) -> List[InboxRecord]:
        """What reviewers marked "needs new content", newest first (grouped by bot/inbox/group.py)."""
        return self.items(status="new_content")
