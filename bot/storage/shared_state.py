"""What the Rasa replicas must agree on besides the conversations: which provider retries were
already taken (bot/channels/retries.py) and how many messages a sender sent in the last minute
(bot/channels/rest.py). In Redis when LOCK_STORE_URL is set, the server the conversation locks
already need (several replicas); in each process's memory when it is not (`make run`, one
process, no server).

Redis rather than the database: both are a few-microsecond key operation, but Redis expires a
key by itself (a seen message id after 24 hours, a rate window after a minute), so nothing grows
and the retention command has nothing to purge; a database table would add a migration, a purge
rule and a write on the busiest path of every turn, to the server whose outage the turns must
already ride out (docs/OPERATIONS.md). Keys hold keyed hashes only, never a raw id.

Redis down, decided like the lock store (bot/storage/lock_store.py): answer, never drop. A
call that fails makes this process use its own memory for REDIS_RETRY_SECONDS (logged once),
then Redis is tried again. Meanwhile a retry that lands on another replica may be answered a
second time, and a sender may send the limit to each replica: the patient is answered.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Dict, Optional, TypeVar

import redis
from redis.exceptions import RedisError

from bot.storage.lock_store import REDIS_RETRY_SECONDS, REDIS_SOCKET_TIMEOUT

logger = logging.getLogger(__name__)
T = TypeVar("T")
KEY_PREFIX = "bot:"  # beside Rasa's "lock:" keys in the same database


class SharedRedis:
    """The Redis of LOCK_STORE_URL for the channels' shared state; `run` answers None when there
    is none (empty URL) or it failed, and the caller then uses its in-memory state."""

    def __init__(self, url: str, prefix: str = KEY_PREFIX,
                 socket_timeout: float = REDIS_SOCKET_TIMEOUT) -> None:
        self.prefix = prefix
        self.client: Optional[redis.Redis] = redis.Redis.from_url(
            url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout) if url else None
        self._retry_at = 0.0

    @property
    def degraded(self) -> bool:
        """True while this process uses its memory because Redis failed."""
        return time.monotonic() < self._retry_at

    async def run(self, call: Callable[[redis.Redis], T]) -> Optional[T]:
        """`call(client)` off the event loop (a hung Redis must not stall other patients' turns),
        or None without Redis or while it is down."""
        client = self.client
        if client is None or self.degraded:
            return None
        try:
            return await asyncio.to_thread(call, client)
        except RedisError as error:
            logger.error("Redis unreachable for provider retries and rate limits (%s): this "
                         "replica's memory for %.0f s, then Redis again.", type(error).__name__,
                         REDIS_RETRY_SECONDS)  # never the URL: it may hold a password
            self._retry_at = time.monotonic() + REDIS_RETRY_SECONDS
            return None


_shared: Dict[str, SharedRedis] = {}


def shared_redis(url: str) -> SharedRedis:
    """One SharedRedis per process and URL (its connection pool is shared by every channel)."""
    if url not in _shared:
        _shared[url] = SharedRedis(url)
    return _shared[url]
