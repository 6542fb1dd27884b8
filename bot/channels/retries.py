"""Providers retry a webhook when the answer is slow (Slack after 3 s, Meta and Telegram until
they get a 200), and a retry carries the id of the message it repeats. `seen_messages()` knows
the ids taken lately, on every Rasa replica, so a patient gets one answer, not two, and an
escalation is recorded once.

A retry is answered 200 without reaching the tracker: any other status would make the provider
retry again. With LOCK_STORE_URL set the ids are shared in Redis (bot/storage/shared_state.py: a
keyed hash of channel and id, SET NX, expiring); without, and while Redis is down, each process
remembers its own. A message whose turn fails is forgotten, so the provider's retry is answered;
one whose replica dies mid-turn is taken again once TAKING_SECONDS have passed.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable, Dict, Optional, Tuple

from bot.settings import Settings
from bot.storage.models import hash_sender
from bot.storage.shared_state import SharedRedis, shared_redis

KEEP_SECONDS = 24 * 3600  # Telegram keeps an update for 24 hours; Twilio and Meta retry sooner
TAKING_SECONDS = 60  # a turn still unfinished after this is lost (Rasa's lock lifetime too)
MAX_IDS = 100_000


class SeenMessages:
    """Message ids seen in the last `keep_seconds`, per channel, in this process; thread-safe,
    bounded."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS, max_ids: int = MAX_IDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._keep = keep_seconds
        self._max = max_ids
        self._clock = clock
        self._seen: "OrderedDict[str, float]" = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, channel: str, message_id: Optional[str]) -> bool:
        """True the first time `message_id` arrives on `channel` (and when there is no id)."""
        if not message_id:
            return True
        key = f"{channel}:{message_id}"
        now = self._clock()
        with self._lock:
            while self._seen and (len(self._seen) >= self._max
                                  or next(iter(self._seen.values())) < now - self._keep):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def forget(self, channel: str, message_id: str) -> None:
        """The message's turn failed: its retry must be taken."""
        with self._lock:
            self._seen.pop(f"{channel}:{message_id}", None)


class SharedSeenMessages:
    """Message ids taken by any replica (Redis), with this process's memory as the fallback."""

    def __init__(self, redis: SharedRedis, hash_key: str, keep_seconds: float = KEEP_SECONDS,
                 local: Optional[SeenMessages] = None) -> None:
        self.redis = redis
        self._hash_key = hash_key
        self._keep = int(keep_seconds)
        self.local = local or SeenMessages(keep_seconds)

    def _key(self, channel: str, message_id: str) -> str:
        return f"{self.redis.prefix}seen:{hash_sender(f'{channel}:{message_id}', self._hash_key)}"

    @asynccontextmanager
    async def once(self, channel: str, message_id: Optional[str]) -> AsyncIterator[bool]:
        """True the first time `message_id` arrives on `channel` on any replica (and when there
        is no id): the body handles the message then. A body that raises forgets the id."""
        if not message_id:
            yield True
            return
        if not self.local.first_time(channel, message_id):
            yield False
            return
        key = self._key(channel, message_id)
        claimed = await self.redis.run(lambda client: bool(client.set(key, "taking", nx=True,
                                                                      ex=TAKING_SECONDS)))
        if claimed is False:  # another replica took it; None: no Redis, this process decides
            self.local.forget(channel, message_id)  # should that turn fail, its retry is ours too
            yield False
            return
        try:
            yield True
        except BaseException:
            self.local.forget(channel, message_id)
            if claimed:
                await self.redis.run(lambda client: client.delete(key))
            raise
        if claimed:
            await self.redis.run(lambda client: client.set(key, "taken", ex=self._keep))


_process: Dict[Tuple[str, str], SharedSeenMessages] = {}


def seen_messages(settings: Settings) -> SharedSeenMessages:
    """This process's view, shared by every channel: Redis when LOCK_STORE_URL is set."""
    key = (settings.lock_store_url, settings.sender_hash_key)
    if key not in _process:
        _process[key] = SharedSeenMessages(shared_redis(settings.lock_store_url), settings.sender_hash_key)
    return _process[key]
