"""A patient's recovery data: the surgery date, the check-in choice, the planned check-ins (and
the contact address they go to after a restart, on the channels that can send first) and the
pain diary.

Kept only with the patient's consent, under the keyed hash of their sender id; deleted by the
retention purge and, all of it at once, when the patient asks ("delete my data").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from bot.recovery.diary import AREAS, Entry
from bot.storage.database import NO_SYNC, ensure_schema, session_scope
from bot.storage.models import (CheckinContact, PainScore, RecoveryCheckin, RecoveryProfile, clean_channel,
                               hash_sender)
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

    def plan_checkins(self, sender_id: str, moments: Sequence[Tuple[int, datetime]]) -> bool:
        """Keep the check-ins (milestone day, when) in place of those not yet sent; one already
        sent is never planned again. False (nothing kept) when the patient has no profile."""
        ensure_schema(self._engine)
        sender_hash = self._hash(sender_id)
        mine = RecoveryCheckin.sender_hash == sender_hash
        with session_scope(self._engine) as session:
            if session.execute(sa.select(RecoveryProfile.id).where(
                    RecoveryProfile.sender_hash == sender_hash)).first() is None:
                return False
            session.execute(sa.delete(RecoveryCheckin).where(mine, RecoveryCheckin.sent_at.is_(None)),
                            execution_options=NO_SYNC)
            sent = set(session.execute(sa.select(RecoveryCheckin.day).where(mine)).scalars())
            session.add_all(RecoveryCheckin(created_at=self._clock(), sender_hash=sender_hash, day=day,
                                            due_at=when) for day, when in moments if day not in sent)
        return True

    def cancel_checkins(self, sender_id: str) -> int:
        """Forget the check-ins not yet sent, and the address they were for ("unsubscribe");
        returns how many check-ins."""
        ensure_schema(self._engine)
        sender_hash = self._hash(sender_id)
        with session_scope(self._engine) as session:
            session.execute(sa.delete(CheckinContact).where(CheckinContact.sender_hash == sender_hash),
                            execution_options=NO_SYNC)
            return session.execute(sa.delete(RecoveryCheckin).where(
                RecoveryCheckin.sender_hash == sender_hash, RecoveryCheckin.sent_at.is_(None)),
                execution_options=NO_SYNC).rowcount

    def keep_contact(self, sender_id: str, channel: str, address: str) -> bool:
        """Keep the channel's address of the patient (phone number, PSID, chat id) so that a
        check-in can reach them after a restart; only while they want check-ins and one is still
        to be sent (the consent it serves). False (nothing kept) otherwise."""
        ensure_schema(self._engine)
        sender_hash = self._hash(sender_id)
        with session_scope(self._engine) as session:
            if session.execute(self._waiting().where(RecoveryCheckin.sender_hash == sender_hash)).first() is None:
                return False
            row = session.execute(sa.select(CheckinContact).where(
                CheckinContact.sender_hash == sender_hash)).scalar_one_or_none()
            if row is None:
                row = CheckinContact(sender_hash=sender_hash)
                session.add(row)
            row.created_at, row.channel, row.address = self._clock(), clean_channel(channel), address
        return True

    def contact(self, sender_id: str, channel: str) -> Optional[str]:
        """The address kept for the patient's check-ins on `channel`, if any."""
        ensure_schema(self._engine)
        query = sa.select(CheckinContact.address).where(CheckinContact.sender_hash == self._hash(sender_id),
                                                        CheckinContact.channel == clean_channel(channel))
        with session_scope(self._engine) as session:
            return session.execute(query).scalar_one_or_none()

    def forget_contact(self, sender_id: str) -> int:
        """Delete the patient's kept address (an SMS STOP); how many rows."""
        ensure_schema(self._engine)
        with session_scope(self._engine) as session:
            return session.execute(sa.delete(CheckinContact).where(
                CheckinContact.sender_hash == self._hash(sender_id)), execution_options=NO_SYNC).rowcount

    def planned_checkins(self, sender_id: str) -> List[Tuple[int, datetime, Optional[datetime]]]:
        """(day, due, sent or None) of the patient's check-ins, soonest first."""
        ensure_schema(self._engine)
        query = (sa.select(RecoveryCheckin.day, RecoveryCheckin.due_at, RecoveryCheckin.sent_at)
                 .where(RecoveryCheckin.sender_hash == self._hash(sender_id)).order_by(RecoveryCheckin.due_at))
        with session_scope(self._engine) as session:
            return [tuple(row) for row in session.execute(query)]

    @staticmethod
    def _waiting() -> sa.sql.Select:
        """Check-ins not sent, of patients who still want them (a profile, checkins on)."""
        return (sa.select(RecoveryCheckin.sender_hash)
                .join(RecoveryProfile, RecoveryProfile.sender_hash == RecoveryCheckin.sender_hash)
                .where(RecoveryCheckin.sent_at.is_(None), RecoveryProfile.checkins.is_(True)))

    def _due(self, now: datetime) -> sa.sql.Select:
        """Check-ins due and not sent, of patients who still want them."""
        return self._waiting().where(RecoveryCheckin.due_at <= now)

    def due_checkins(self, now: datetime) -> List[str]:
        """The sender hashes with a check-in due at `now` (each once), for bot/recovery/delivery.py."""
        ensure_schema(self._engine)
        with session_scope(self._engine) as session:
            return sorted(set(session.execute(self._due(now)).scalars()))

    def claim_checkins(self, sender_id: str, now: datetime) -> int:
        """Mark the patient's due check-ins sent and return how many: the one caller that gets
        more than 0 sends the message, so however often a check-in is triggered (a restart, two
        action servers) the patient gets it once; never after "unsubscribe" or deletion."""
        ensure_schema(self._engine)
        sender_hash = self._hash(sender_id)
        wanted = sa.select(RecoveryProfile.id).where(RecoveryProfile.sender_hash == sender_hash,
                                                     RecoveryProfile.checkins.is_(True))
        with session_scope(self._engine) as session:
            return session.execute(
                sa.update(RecoveryCheckin)
                .where(RecoveryCheckin.sender_hash == sender_hash, RecoveryCheckin.sent_at.is_(None),
                       RecoveryCheckin.due_at <= now, sa.exists(wanted))
                .values(sent_at=now), execution_options=NO_SYNC).rowcount

    def delete(self, sender_id: str) -> Dict[str, int]:
        """Delete everything kept for the patient; rows deleted per kind (diary, check-ins, the
        check-ins' contact address, profile)."""
        ensure_schema(self._engine)
        sender_hash = self._hash(sender_id)
        with session_scope(self._engine) as session:
            return {kind: session.execute(sa.delete(model).where(model.sender_hash == sender_hash),
                                          execution_options=NO_SYNC).rowcount
                    for kind, model in self._KINDS}

    _KINDS = (("pain scores", PainScore), ("check-ins", RecoveryCheckin), ("contact address", CheckinContact),
              ("profile", RecoveryProfile))

    def purge(self, older_than: datetime) -> int:
        """The retention rule over the four tables: profiles not saved since, entries, check-ins
        and contact addresses made before, whatever belongs to a profile that is gone, and an
        address with no check-in left to send (all sent, or check-ins turned off)."""
        ensure_schema(self._engine)
        with session_scope(self._engine) as session:
            deleted = sum(session.execute(sa.delete(model).where(model.created_at < older_than),
                                          execution_options=NO_SYNC).rowcount
                          for _, model in self._KINDS)
            profiles = sa.select(RecoveryProfile.sender_hash)
            deleted += sum(session.execute(sa.delete(model).where(model.sender_hash.not_in(profiles)),
                                           execution_options=NO_SYNC).rowcount
                           for model in (PainScore, RecoveryCheckin))
            return deleted + session.execute(
                sa.delete(CheckinContact).where(CheckinContact.sender_hash.not_in(self._waiting())),
                execution_options=NO_SYNC).rowcount
