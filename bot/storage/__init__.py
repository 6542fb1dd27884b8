"""Persistence for the assistant: the project's own tables, Rasa's tracker and lock stores.

Custom actions import from here; `bot.storage.tracker_store` and `bot.storage.lock_store`
are imported by Rasa itself from endpoints.yml (and pull in Rasa, so they are not
imported here).
"""
from bot.storage.callbacks import CallbackRecord, CallbackRepository, ConsentRequired
from bot.storage.database import (create_engine, database_url, engine_for, migrate, safe_url,
                                  session_scope)
from bot.storage.escalations import EscalationRecord, EscalationRepository
from bot.storage.models import conversation_id, hash_sender
from bot.storage.recovery import Profile, RecoveryRepository
from bot.storage.stores import Stores

__all__ = [
    "CallbackRecord", "CallbackRepository", "ConsentRequired", "EscalationRecord",
    "EscalationRepository", "Profile", "RecoveryRepository", "Stores", "conversation_id", "create_engine",
    "database_url", "engine_for", "hash_sender", "migrate", "safe_url", "session_scope",
]
