"""Conversation lock store chosen by LOCK_STORE_URL, so endpoints.yml never changes.

Empty URL: Rasa's in-memory locks (one process). `redis://` or `rediss://` URL: Rasa's
Redis locks, needed as soon as several Rasa processes serve the same conversations.
Delegation keeps Rasa's own ticket logic (in LockStore) and swaps only the storage.

Redis down (decided for safety, docs/OPERATIONS.md): a turn that cannot reach Redis takes an
in-memory lock in its replica instead of failing, and Redis is tried again after
REDIS_RETRY_SECONDS. The patient still gets an answer, red-flag advice above all; what is lost
for the outage is only the ordering of two messages of one conversation that arrive at the same
moment on two replicas (a double send). Failing closed would answer an emergency with an error.
A replica that starts while Redis is down refuses to start: a wrong LOCK_STORE_URL must be seen.
"""
from __future__ import annotations

import logging
import os
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, Optional
from urllib.parse import unquote, urlsplit

from rasa.constants import DEFAULT_SANIC_WORKERS, ENV_SANIC_WORKERS
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore
from redis.exceptions import RedisError
from rasa.shared.exceptions import ConnectionException, RasaException
from rasa.utils.endpoints import EndpointConfig

from bot import settings as bot_settings

logger = logging.getLogger(__name__)

# Options endpoints.yml may still pass through to RedisLockStore.
_REDIS_OPTIONS = ("key_prefix", "socket_timeout")
# Rasa's 10 s would hold every patient's turn that long when Redis hangs.
REDIS_SOCKET_TIMEOUT = 2.0
# After Redis failed, turns use in-memory locks this long before Redis is tried again.
REDIS_RETRY_SECONDS = 5.0


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


def redis_failure(error: BaseException) -> bool:
    """A Redis error, or Rasa's LockError wrapping one (issue_ticket wraps every error)."""
    return isinstance(error, RedisError) or isinstance(error.__context__, RedisError)


class ConfiguredLockStore(LockStore):
    """A LockStore that keeps its locks in memory or in Redis, as configured."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        url = bot_settings.load().lock_store_url
        extra = (endpoint_config.kwargs if endpoint_config else None) or {}
        if url:
            options: Dict[str, Any] = {**redis_options(url), "socket_timeout": REDIS_SOCKET_TIMEOUT}
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
        self.fallback = InMemoryLockStore()  # while Redis is unreachable
        self._redis_retry_at = 0.0
        super().__init__()

    @property
    def degraded(self) -> bool:
        """True while turns take in-memory locks because Redis failed."""
        return time.monotonic() < self._redis_retry_at

    def _redis_failed(self, error: BaseException) -> None:
        if not self.degraded:
            cause = error if isinstance(error, RedisError) else error.__context__
            logger.error("Redis lock store unreachable (%s): in-memory locks in this replica for "
                         "%.0f s, then Redis again.", type(cause).__name__, REDIS_RETRY_SECONDS)
        self._redis_retry_at = time.monotonic() + REDIS_RETRY_SECONDS

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
        """Rasa's lock, from Redis while it answers, from this process's memory when not."""
        store: LockStore = self.fallback if self.degraded else self.backend
        try:
            ticket = store.issue_ticket(conversation_id, lock_lifetime)
            acquired = await store._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        except (RedisError, LockError) as error:
            if not redis_failure(error):  # e.g. the lock expired while waiting: Rasa's case
                raise
            self._redis_failed(error)
            store = self.fallback
            ticket = store.issue_ticket(conversation_id, lock_lifetime)
            acquired = await store._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        try:
            yield acquired
        finally:
            try:
                store.cleanup(conversation_id, ticket)
            except RedisError as error:  # the ticket expires in Redis after lock_lifetime
                self._redis_failed(error)

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return self.backend.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self.backend.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self.backend.save_lock(lock)
