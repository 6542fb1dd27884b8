"""The action server's one way to the database: repositories built once per process."""
from functools import lru_cache

from bot import settings as bot_settings
from bot.storage import CallbackRepository, EscalationRepository, engine_for


@lru_cache(maxsize=1)
def _engine():
    return engine_for(bot_settings.load())


def escalations() -> EscalationRepository:
    return EscalationRepository(_engine(), bot_settings.load().sender_hash_key)


def callbacks() -> CallbackRepository:
    return CallbackRepository(_engine(), bot_settings.load().sender_hash_key)
