"""Conversation lock store chosen by LOCK_STORE_URL, so endpoints.yml never changes.

Empty URL: Rasa's in-memory locks (one process). `redis://` or `rediss://` URL: Rasa's
Redis locks, needed as soon as several Rasa processes serve the same conversations.
Delegation keeps Rasa's own ticket logic (in LockStore) and swaps only the storage.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Dict, Optional
from urllib.parse import unquote, urlsplit

from rasa.constants import DEFAULT_SANIC_WORKERS, ENV_SANIC_WORKERS
from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.shared.exceptions import ConnectionException, RasaException
from rasa.utils.endpoints import EndpointConfig

from bot import settings as bot_settings

logger = logging.getLogger(__name__)

# Options endpoints.yml may still pass through to RedisLockStore.
_REDIS_OPTIONS = ("key_prefix", "socket_timeout")


def redis_options(url: str) -> Dict[str, Any]:
    """RedisLockStore arguments from a redis:// URL (database 0 unless the path says)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise RasaException("LOCK_STORE_URL must start with redis:// or rediss://")
    db = parts.path.strip("/")
    return {
        "host": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": int(db) if db else 0,
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "use_ssl": parts.scheme == "rediss",
    }


class ConfiguredLockStore(LockStore):
    """A LockStore that keeps its locks in memory or in Redis, as configured."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        url = bot_settings.load().lock_store_url
        extra = (endpoint_config.kwargs if endpoint_config else None) or {}
        if url:
            options = redis_options(url)
            options.update({k: v for k, v in extra.items() if k in _REDIS_OPTIONS})
            self.backend: LockStore = RedisLockStore(**options)
            where = f"{options['host']}:{options['port']}/{options['db']}"  # no password
            try:
                self.backend.red.ping()  # fail at start-up, not on a patient's message
            except Exception as error:
                raise ConnectionException(f"Cannot reach the Redis lock store at {where}.") \
                    from error
            logger.info("Conversation locks in Redis at %s", where)
        else:
            workers = os.environ.get(ENV_SANIC_WORKERS, str(DEFAULT_SANIC_WORKERS)).strip()
            if workers.isdigit() and int(workers) > 1:
                # Rasa only checks endpoints.yml, which names this class in both cases.
                raise RasaException(f"{ENV_SANIC_WORKERS}={workers} needs LOCK_STORE_URL: "
                                    "in-memory locks cannot be shared between workers.")
            self.backend = InMemoryLockStore()
            logger.info("Conversation locks in memory (single process)")
        super().__init__()

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return self.backend.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self.backend.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self.backend.save_lock(lock)
