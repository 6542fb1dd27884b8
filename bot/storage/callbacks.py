"""Callback requests: the only place a patient's name and phone number are kept.

They are stored only with explicit consent, read by staff, marked done once the call
is made, and deleted by the retention purge like everything else.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from bot.phone import patient_number
from bot.storage.database import NO_SYNC, ensure_schema, session_scope
from bot.storage.models import CallbackRequest, clean_channel, hash_sender, new_key
from bot.storage.repository import Repository


class ConsentRequired(ValueError):
    """Raised instead of storing contact details the patient did not agree to share."""


@dataclass(frozen=True)
class CallbackRecord:
    id: int
    created_at: datetime
    sender_hash: str
    channel: str
    name: str
    phone: str
    best_time: str
    status: str
    done_at: Optional[datetime]


def _text(value: str, field: str, limit: int) -> str:
    value = " ".join(str(value or "").split())
    if not value or len(value) > limit:
        raise ValueError(f"{field} must be 1-{limit} characters")
    return value


def _record(row: CallbackRequest) -> CallbackRecord:
    return CallbackRecord(row.id, row.created_at, row.sender_hash, row.channel, row.name,
                          row.phone, row.best_time, row.status, row.done_at)


class CallbackRepository(Repository):
    """Create, list, close and purge callback requests; one transaction per call.

    Retention deletes open requests too: it is a hard limit, and a months-old request is stale.
    """

    model = CallbackRequest

    def prepare(self, sender_id: str, channel: Optional[str], name: str, phone: str,
                best_time: str, consent: bool) -> Dict[str, Any]:
        """The row's values, checked (consent first) and with the sender hashed."""
        if consent is not True:  # not merely truthy: "no" is a truthy string
            raise ConsentRequired("the patient has not consented to be called back")
        number = patient_number(phone)
        if number is None:
            raise ValueError("phone must be a phone number with its area code (bot/phone.py)")
        return {"created_at": self._clock(), "sender_hash": hash_sender(sender_id, self._key),
                "channel": clean_channel(channel), "name": _text(name, "name", 100), "phone": number,
                "best_time": _text(best_time, "best_time", 100), "consent": True, "status": "open"}

    def add(self, sender_id: str, channel: Optional[str], name: str, phone: str,
            best_time: str, consent: bool, key: Optional[str] = None) -> int:
        """Store a request now and return its id; refuses unless `consent is True`."""
        return self.insert(self.prepare(sender_id, channel, name, phone, best_time, consent),
                           key or new_key())

    def open(self) -> List[CallbackRecord]:
        """Requests still waiting for a call, oldest first."""
        ensure_schema(self._engine)
        query = (sa.select(CallbackRequest).where(CallbackRequest.status == "open")
                 .order_by(CallbackRequest.created_at, CallbackRequest.id))
        with session_scope(self._engine) as session:
            return [_record(row) for row in session.execute(query).scalars()]

    def mark_done(self, request_id: int) -> bool:
        """Close an open request; False when there is no open request with that id."""
        ensure_schema(self._engine)
        update = (sa.update(CallbackRequest)
                  .where(CallbackRequest.id == int(request_id), CallbackRequest.status == "open")
                  .values(status="done", done_at=self._clock()))
        with session_scope(self._engine) as session:
            return session.execute(update, execution_options=NO_SYNC).rowcount == 1
