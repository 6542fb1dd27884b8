"""The REST channel (`POST /webhooks/rest/webhook`), strict about what it accepts.

Rasa's RestInput answered a 2 MB message, a numeric message or a body that is not JSON with
`200 []`, took the channel name from the request, shared one "default" conversation among
clients that sent no sender, and logged the message text when a turn failed. Here bad input
gets a JSON error a client can act on (400, 413), a sender who sends faster than a person
types gets a polite 429 (per sender, counted across the replicas in Redis when LOCK_STORE_URL
is set, bot/storage/shared_state.py), and a failed turn a 503, with no text in the log. Rasa
sees the sender only as a keyed hash (bot/storage/models.py `conversation_id`); the client's
own id is put back in the replies' `recipient_id`. Typed commands are handled for every
channel by bot/nlu/typed_commands.py.

credentials.yml names this class under the key `bot.channels.rest.StrictRestInput`; its
URL stays /webhooks/rest/webhook. Limits: MAX_BODY_BYTES and MESSAGES_PER_MINUTE.
"""
from __future__ import annotations

import inspect
import json
import logging
import math
import time
import uuid
from asyncio import CancelledError
from collections import OrderedDict, deque
from typing import Any, Awaitable, Callable, Deque, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings as bot_settings
from bot.storage.models import conversation_id
from bot.storage.shared_state import SharedRedis, shared_redis

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
WINDOW_SECONDS = 60.0
MAX_SENDERS_TRACKED = 100_000  # the limiter's memory stays bounded (oldest forgotten first)
# Said, not shown as an error: the patient may be upset, and an emergency must not wait on us.
SLOW_DOWN = ("You're sending messages faster than I can read them. Please wait a moment and "
             "send your message again. If this is an emergency, call 911 now.")


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


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


def read_body(request: Request, max_bytes: int) -> Tuple[str, str]:
    """(sender, message) from the request, or BadRequest saying what is wrong."""
    if len(request.body or b"") > max_bytes:
        raise BadRequest(413, f"the request body is larger than {max_bytes} bytes")
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, 'the body must be JSON: {"sender": "...", "message": "..."}') from None
    if not isinstance(body, dict):
        raise BadRequest(400, 'the body must be a JSON object: {"sender": "...", "message": "..."}')
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(400, f"sender must be a non-empty string of at most {MAX_SENDER_CHARS} characters")
    if not isinstance(message, str):
        raise BadRequest(400, "message must be a string")
    return sender, message


def error(status: int, message: str, headers: Optional[Dict[str, str]] = None) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=headers)


class StrictRestInput(InputChannel):
    """Rasa's REST channel contract (same URL, same reply list) with its input checked."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self, max_body_bytes: Optional[int] = None, messages_per_minute: Optional[int] = None) -> None:
        settings = bot_settings.load()
        self.max_body_bytes = max_body_bytes or settings.max_body_bytes
        self.hash_key = settings.sender_hash_key
        self.limiter = SharedRateLimiter(shared_redis(settings.lock_store_url),
                                         messages_per_minute or settings.messages_per_minute)

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "StrictRestInput":
        return cls()  # limits come from bot/settings.py, never from credentials.yml

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text = read_body(request, self.max_body_bytes)
            except BadRequest as bad:
                return error(bad.status, bad.message)
            conversation = conversation_id(self.name(), sender, self.hash_key)
            allowed, wait = await self.limiter.allow(conversation)
            if not allowed:
                return response.json([{"recipient_id": sender, "text": SLOW_DOWN}], status=429,
                                     headers={"Retry-After": str(wait)})
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, conversation, input_channel=self.name()))
            except (CancelledError, Exception) as failure:  # noqa: BLE001 - the client gets a clear 503
                logger.error("REST turn failed (%s)", type(failure).__name__)  # never the text
                return error(503, "the assistant could not answer just now; please send it again")
            # The raw sender lived only in this request: the client reads its own id back.
            return response.json([{**message, "recipient_id": sender} for message in collector.messages])

        return webhook
