"""A patient's recovery data: the surgery date, the check-in choice and the pain diary.

Kept only with the patient's consent, under the keyed hash of their sender id; deleted by the
retention purge and, all of it at once, when the patient asks ("delete my data").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import List, Optional

import sqlalchemy as sa

from bot.recovery.diary import AREAS, Entry
from bot.storage.database import NO_SYNC, ensure_schema, session_scope
from bot.storage.models import PainScore, RecoveryProfile, hash_sender
from bot.storage.repository import Repository


@dataclass(frozen=True)
class Profile:
    surgery_date: Optional[date]
    checkins: bool


class RecoveryRepository(Repository):
    """Profiles and diary entries; one short transaction per call.

    Nothing is written for a patient without a profile: the profile is the consent record.
    """

    model = RecoveryProfile

    def _hash(self, sender_id: str) -> str:
        return hash_sender(sender_id, self._key)

    def profile(self, sender_id: str) -> Optional[Profile]:
        """The patient's saved profile, or None when they have not consented."""
        ensure_schema(self._engine)
        query = sa.select(RecoveryProfile).where(RecoveryProfile.sender_hash == self._hash(sender_id))
        with session_scope(self._engine) as session:
            row = session.execute(query).scalar_one_or_none()
            return Profile(row.surgery_date, bool(row.checkins)) if row else None

    def save_profile(self, sender_id: str, consent: bool, surgery_date: Optional[date] = None,
                     checkins: Optional[bool] = None) -> None:
        """Create or update the profile; refuses unless `consent is True`. None keeps a value."""
        if consent is not True:
            raise ValueError("the patient has not consented to keeping recovery data")
        ensure_schema(self._engine)
        sender_hash = self._hash(sender_id)
        with session_scope(self._engine) as session:
            row = session.execute(sa.select(RecoveryProfile).where(
                RecoveryProfile.sender_hash == sender_hash)).scalar_one_or_none()
            if row is None:
                row = RecoveryProfile(sender_hash=sender_hash, consent=True, checkins=False)
                session.add(row)
            row.created_at = self._clock()
            if surgery_date is not None:
                row.surgery_date = surgery_date
            if checkins is not None:
                row.checkins = checkins

    def add_score(self, sender_id: str, score: int, area: Optional[str] = None) -> bool:
        """Record a diary entry; False (nothing stored) when the patient has no profile."""
        if not 0 <= int(score) <= 10:
            raise ValueError("score must be 0 to 10")
        if area is not None and area not in AREAS:
            raise ValueError(f"area must be one of {', '.join(AREAS)}")
        ensure_schema(self._engine)
        sender_hash = self._hash(sender_id)
        with session_scope(self._engine) as session:
            # The profile is the consent record; an entry also counts as using it (retention).
            touched = session.execute(sa.update(RecoveryProfile)
                                      .where(RecoveryProfile.sender_hash == sender_hash)
                                      .values(created_at=self._clock()), execution_options=NO_SYNC)
            if touched.rowcount != 1:
                return False
            session.add(PainScore(created_at=self._clock(), sender_hash=sender_hash,
                                  score=int(score), area=area))
        return True

    def scores(self, sender_id: str) -> List[Entry]:
        """The patient's diary, oldest first."""
        ensure_schema(self._engine)
        query = (sa.select(PainScore).where(PainScore.sender_hash == self._hash(sender_id))
                 .order_by(PainScore.created_at, PainScore.id))
        with session_scope(self._engine) as session:
            return [Entry(row.created_at, row.score, row.area) for row in session.execute(query).scalars()]

    def delete(self, sender_id: str) -> int:
        """Delete everything kept for the patient (profile and diary); returns the rows deleted."""
        ensure_schema(self._engine)
        sender_hash = self._hash(sender_id)
        with session_scope(self._engine) as session:
            return sum(session.execute(sa.delete(model).where(model.sender_hash == sender_hash),
                                       execution_options=NO_SYNC).rowcount
                       for model in (PainScore, RecoveryProfile))

    def purge(self, older_than: datetime) -> int:
        """The retention rule over both tables: profiles not saved since, entries made before."""
        ensure_schema(self._engine)
        with session_scope(self._engine) as session:
            return sum(session.execute(sa.delete(model).where(model.created_at < older_than),
                                       execution_options=NO_SYNC).rowcount
                       for model in (PainScore, RecoveryProfile))
