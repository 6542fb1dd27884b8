"""Tables the project owns. They hold the least the clinic needs: no message text,
and patients appear only as a keyed hash of Rasa's sender id.
"""
from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

from bot.vocabulary import RECORDED_TIERS

STATUSES = ("open", "done")
# A review inbox item: waiting, or what the reviewer did with it (bot/inbox/review.py).
INBOX_STATUSES = ("open", "assigned", "new_content", "missed_red_flag", "dismissed")

# Deterministic constraint names, so later migrations can refer to them on every database.
metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
})
# SQLAlchemy 1.4 ships no type information: to mypy the declarative base is a class of type Any.
Base: Any = declarative_base(metadata=metadata)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def hash_sender(sender_id: str, key: str) -> str:
    """HMAC-SHA256 of the sender id: stable per patient, useless without the key."""
    if not key:
        raise ValueError("sender_hash_key must not be empty")
    return hmac.new(key.encode(), str(sender_id).encode(), hashlib.sha256).hexdigest()


def conversation_id(channel: str, identity: str, key: str) -> str:
    """The sender id every channel hands Rasa, and so the events table's: a keyed hash of the
    channel and the patient's id on it (REST sender, widget session, phone number, PSID, chat or
    user id). The raw id never reaches Rasa; the channel keeps it in memory to send the reply.
    The channel's name is hashed with it, so one id on two channels (a REST sender written as a
    patient's phone number) is two conversations, never a way into the other."""
    return hash_sender(f"{channel}:{identity}", key)


def new_key() -> str:
    """An idempotency key for a row written once, outside any conversation turn."""
    return uuid.uuid4().hex


def turn_key(kind: str, sender_id: str, turn: str, key: str) -> str:
    """The idempotency key of what a conversation turn records: the same turn (Rasa retrying an
    action for the same message) gives the same key; the sender id is not readable from it."""
    return hmac.new(key.encode(), f"{kind}\x00{sender_id}\x00{turn}".encode(), hashlib.sha256).hexdigest()


def clean_channel(channel: Optional[str]) -> str:
    """Rasa may not know the channel (tests, REST without one); keep the name short."""
    value = (channel or "unknown").strip() or "unknown"
    if len(value) > 64:
        raise ValueError("channel name longer than 64 characters")
    return value


class UTCDateTime(sa.TypeDecorator):
    """Stores naive UTC (portable across SQLite and PostgreSQL), returns aware UTC.

    Naive datetimes are refused because a local time silently stored as UTC would
    shift every retention cut-off by the server's offset.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("use a timezone-aware datetime (e.g. datetime.now(timezone.utc))")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Escalation(Base):
    """A red-flag triage outcome, kept so staff can follow up; never the patient's words."""

    __tablename__ = "escalations"
    __table_args__ = (sa.CheckConstraint(sa.column("tier").in_(RECORDED_TIERS), name="tier"),)

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    channel = sa.Column(sa.String(64), nullable=False)
    tier = sa.Column(sa.String(16), nullable=False)
    flags = sa.Column(sa.String(512), nullable=False)  # comma-separated flag ids
    sender_hash = sa.Column(sa.String(64), nullable=False)
    # Unique: a retried delivery from the outbox (bot/storage/outbox.py) never doubles a row.
    idempotency_key = sa.Column(sa.String(64), nullable=True, unique=True)


class CallbackRequest(Base):
    """A patient's request to be called; contact details only with explicit consent."""

    __tablename__ = "callback_requests"
    __table_args__ = (
        sa.CheckConstraint(sa.column("consent") == sa.true(), name="consent"),
        sa.CheckConstraint(sa.column("status").in_(STATUSES), name="status"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    sender_hash = sa.Column(sa.String(64), nullable=False)
    channel = sa.Column(sa.String(64), nullable=False)
    name = sa.Column(sa.String(100), nullable=False)
    phone = sa.Column(sa.String(32), nullable=False)
    best_time = sa.Column(sa.String(100), nullable=False)
    consent = sa.Column(sa.Boolean(create_constraint=False), nullable=False)
    status = sa.Column(sa.String(8), nullable=False, default="open")
    done_at = sa.Column(UTCDateTime, nullable=True)
    idempotency_key = sa.Column(sa.String(64), nullable=True, unique=True)  # as in Escalation


class SmsOptOut(Base):
    """A number that sent STOP (SMS or WhatsApp): no message goes to it until it sends START.

    `updated_at` is refreshed whenever the number writes while stopped, so the retention purge
    forgets only numbers silent for RETENTION_DAYS: never one that is still writing.
    """

    __tablename__ = "sms_opt_outs"
    __table_args__ = (sa.UniqueConstraint("channel", "sender_hash", name="uq_sms_opt_outs_sender"),)

    id = sa.Column(sa.Integer, primary_key=True)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    channel = sa.Column(sa.String(64), nullable=False)
    sender_hash = sa.Column(sa.String(64), nullable=False)


class InboxItem(Base):
    """A message the assistant missed, for staff review: redacted text only, never the raw
    message, and the sender as a keyed hash (bot/inbox/). `message_key` makes collection idempotent."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(INBOX_STATUSES), name="status"),
        sa.UniqueConstraint("message_key"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)  # when it was sent
    message_key = sa.Column(sa.String(64), nullable=False)  # keyed hash of sender and message time
    sender_hash = sa.Column(sa.String(64), nullable=False)
    reasons = sa.Column(sa.String(128), nullable=False)  # comma-separated, bot.vocabulary.INBOX_REASONS
    text = sa.Column(sa.String(1000), nullable=False)  # redacted
    intent = sa.Column(sa.String(64), nullable=True)
    confidence = sa.Column(sa.Float, nullable=True)
    detector = sa.Column(sa.String(200), nullable=False)  # "none", or the tier and flag ids
    suggested = sa.Column(sa.String(64), nullable=True)
    status = sa.Column(sa.String(16), nullable=False, default="open")
    resolution = sa.Column(sa.String(64), nullable=True)  # the intent assigned, or the flag id
    reviewed_at = sa.Column(UTCDateTime, nullable=True)


class RecoveryProfile(Base):
    """A patient's surgery date and check-in choice, kept only with their consent.

    `created_at` is when it was last saved or a diary entry was added: retention counts from there.
    """

    __tablename__ = "recovery_profiles"
    __table_args__ = (sa.CheckConstraint(sa.column("consent") == sa.true(), name="consent"),)

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    sender_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    surgery_date = sa.Column(sa.Date, nullable=True)
    consent = sa.Column(sa.Boolean(create_constraint=False), nullable=False)
    checkins = sa.Column(sa.Boolean(create_constraint=False), nullable=False, default=False)


class PainScore(Base):
    """One pain-diary entry: when, the 0-10 score, and leg or back if the patient said."""

    __tablename__ = "pain_scores"
    __table_args__ = (
        sa.CheckConstraint(sa.column("score").between(0, 10), name="score"),
        sa.CheckConstraint(sa.or_(sa.column("area").is_(None), sa.column("area").in_(("leg", "back"))),
                           name="area"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    sender_hash = sa.Column(sa.String(64), nullable=False, index=True)
    score = sa.Column(sa.Integer, nullable=False)
    area = sa.Column(sa.String(8), nullable=True)


class RecoveryCheckin(Base):
    """A planned check-in message (bot/recovery/checkins.py): the database, not the Rasa server's
    memory, says which are due, so a restart loses none; `sent_at` is set once, when one is sent.
    Only for a patient with a profile (consent); deleted with it and by the retention purge."""

    __tablename__ = "recovery_checkins"
    __table_args__ = (sa.UniqueConstraint("sender_hash", "day", name="uq_recovery_checkins_day"),)

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    sender_hash = sa.Column(sa.String(64), nullable=False)
    day = sa.Column(sa.Integer, nullable=False)  # the milestone: days after surgery
    due_at = sa.Column(UTCDateTime, nullable=False, index=True)
    sent_at = sa.Column(UTCDateTime, nullable=True)


class CheckinContact(Base):
    """Where a patient's check-ins go when no message of theirs is being answered (after a
    restart of the Rasa server): the channel and the provider's address on it (phone number,
    WhatsApp number, Messenger PSID, Telegram chat id). Kept with the consent to check-ins and
    only for them: deleted on "unsubscribe", an SMS STOP, "delete my data", and by the retention
    purge once no check-in is left to send (bot/storage/recovery.py)."""

    __tablename__ = "checkin_contacts"

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    sender_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    channel = sa.Column(sa.String(64), nullable=False)
    address = sa.Column(sa.String(128), nullable=False)
