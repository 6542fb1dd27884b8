"""A sender's messages per minute, for the channels a stranger can write to (REST, the widget).

At most MESSAGES_PER_MINUTE messages per sender in any 60 seconds, counted across every replica
in Redis when LOCK_STORE_URL is set (bot/storage/shared_state.py), in the process otherwise and
while Redis is down. A sender over it is told so politely, with the emergency number: the patient
may be upset, and an emergency must not wait on us. Senders are keyed hashes, never raw ids.
"""
from __future__ import annotations

import math
import time
import uuid
from collections import OrderedDict, deque
from typing import Callable, Deque, Optional, Tuple

from bot.settings import Settings
from bot.storage.shared_state import SharedRedis, shared_redis

WINDOW_SECONDS = 60.0
MAX_SENDERS_TRACKED = 100_000  # the limiter's memory stays bounded (oldest forgotten first)
# Said, not shown as an error: the patient may be upset, and an emergency must not wait on us.
SLOW_DOWN = ("You're sending messages faster than I can read them. Please wait a moment and "
             "send your message again. If this is an emergency, call 911 now.")


class RateLimiter:
    """At most `per_minute` messages per sender in any 60 seconds (a sliding window)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: "OrderedDict[str, Deque[float]]" = OrderedDict()

    def allow(self, sender: str) -> Tuple[bool, int]:
        """(allowed, seconds to wait before the next message would be)."""
        now = self._clock()
        times = self._seen.pop(sender, None) or deque()
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        self._seen[sender] = times
        while len(self._seen) > MAX_SENDERS_TRACKED:
            self._seen.popitem(last=False)
        if len(times) >= self.per_minute:
            return False, max(1, int(WINDOW_SECONDS - (now - times[0])) + 1)
        times.append(now)
        return True, 0


# The same sliding window in Redis, atomic, on Redis's clock (replicas' clocks may differ):
# the sender's key is a sorted set of the times of their messages of the last minute. (A script
# that reads TIME and then writes needs Redis 5 or later, which replicates its effects.)
SLIDING_WINDOW = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, window - (ms - tonumber(oldest[2]))}
end
redis.call('ZADD', KEYS[1], ms, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0}
"""


class SharedRateLimiter:
    """`RateLimiter` counted across every replica in Redis, or in this process without Redis
    and while it is down (then each replica allows `per_minute`: the patient is answered).
    The sender must already be a hash: it is the key."""

    def __init__(self, redis: SharedRedis, per_minute: int, local: Optional[RateLimiter] = None) -> None:
        self.redis = redis
        self.per_minute = per_minute
        self.local = local or RateLimiter(per_minute)
        self._script = redis.client.register_script(SLIDING_WINDOW) if redis.client else None

    async def allow(self, sender: str) -> Tuple[bool, int]:
        """(allowed, seconds to wait before the next message would be)."""
        script, key = self._script, f"{self.redis.prefix}rate:{sender}"
        if script is None:  # no Redis configured
            return self.local.allow(sender)
        args = [self.per_minute, int(WINDOW_SECONDS * 1000), uuid.uuid4().hex]
        counted = await self.redis.run(lambda client: script(keys=[key], args=args, client=client))
        if counted is None:  # Redis down
            return self.local.allow(sender)
        allowed, wait_ms = (int(value) for value in counted)
        return (True, 0) if allowed else (False, max(1, math.ceil(wait_ms / 1000)))


def limiter(settings: Settings, per_minute: Optional[int] = None) -> SharedRateLimiter:
    """The limiter of a channel: MESSAGES_PER_MINUTE, shared through LOCK_STORE_URL's Redis."""
    return SharedRateLimiter(shared_redis(settings.lock_store_url), per_minute or settings.messages_per_minute)
