"""Two Rasa replicas share, through one real Redis, which provider retries were answered and how
many messages a sender sent: a retry that lands on the other replica gets no second answer, and
the rate limit counts both replicas' messages. Redis unreachable: each replica answers on its own
memory (docs/OPERATIONS.md, "Shared across replicas").

Each "replica" is a real channel with its own Redis connection pool and its own memory, driven
through its webhook handler; the assistant behind it is a stand-in that counts the turns."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import socket
import uuid
from types import SimpleNamespace
from typing import Any, Awaitable, Callable, List, Optional

import pytest
import redis
from rasa.core.channels.channel import CollectingOutputChannel

from bot.channels.messenger import MessengerInput
from bot.channels.rate_limit import SharedRateLimiter
from bot.channels.rest import StrictRestInput
from bot.channels.retries import SharedSeenMessages
from bot.settings import Settings
from bot.storage.shared_state import SharedRedis

pytestmark = pytest.mark.redis

KEY = "k" * 32
APP_SECRET = "app-secret"
PSID = "4455667788"


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{probe.getsockname()[1]}/0"  # nothing listens once closed


@pytest.fixture
def prefix(redis_url):
    prefix = f"bottest{uuid.uuid4().hex[:8]}:"  # this run's keys, apart from others'
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(prefix + "*"):
        client.delete(key)
    client.close()


def handler(blueprint: Any, path: str, method: str = "POST") -> Any:
    return next(route.handler for route in blueprint._future_routes
                if route.uri == path and method in route.methods)


class Replica:
    """One replica's Messenger and REST channels, with their own Redis client and memory."""

    def __init__(self, url: str, prefix: str, per_minute: int = 4) -> None:
        self.turns: List[str] = []
        self.failing = False
        self.during_turn: Optional[Callable[[], Awaitable[None]]] = None
        shared = SharedRedis(url, prefix=prefix, socket_timeout=0.5)
        settings = Settings(sender_hash_key=KEY, messenger_page_token="page-token",
                            messenger_app_secret=APP_SECRET, messenger_verify_token="verify")
        messenger = MessengerInput(settings)
        messenger.seen = SharedSeenMessages(shared, KEY)
        rest = StrictRestInput(max_body_bytes=16384, messages_per_minute=per_minute)
        rest.hash_key, rest.limiter = KEY, SharedRateLimiter(shared, per_minute)
        self.messenger = handler(messenger.blueprint(self.assistant), "/webhook")
        self.rest = handler(rest.blueprint(self.assistant), "/webhook")

    async def assistant(self, message: Any) -> None:
        if self.during_turn:
            await self.during_turn()
        if self.failing:
            raise RuntimeError("the turn failed")
        self.turns.append(message.text)
        if isinstance(message.output_channel, CollectingOutputChannel):  # REST's reply list
            await message.output_channel.send_text_message(message.sender_id, "answer")

    def messenger_delivery(self, mid: str, text: str) -> int:
        """Meta delivers (or retries) message `mid`; the HTTP status it gets."""
        return asyncio.run(self.deliver(mid, text))

    async def deliver(self, mid: str, text: str) -> int:
        payload = {"object": "page", "entry": [{"messaging": [
            {"sender": {"id": PSID}, "timestamp": 1, "message": {"mid": mid, "text": text}}]}]}
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        request = SimpleNamespace(body=body, json=payload, headers={"X-Hub-Signature-256": signature})
        return (await self.messenger(request)).status

    def rest_message(self, sender: str, text: str) -> int:
        request = SimpleNamespace(body=json.dumps({"sender": sender, "message": text}).encode())
        return asyncio.run(self.rest(request)).status


def test_a_provider_retry_on_the_other_replica_gets_no_second_answer(redis_url, prefix):
    a, b = Replica(redis_url, prefix), Replica(redis_url, prefix)
    assert a.messenger_delivery("m-1", "i peed myself") == 200
    assert b.messenger_delivery("m-1", "i peed myself") == 200  # Meta's retry, through nginx to B
    assert a.messenger_delivery("m-1", "i peed myself") == 200  # and back to A
    assert a.turns + b.turns == ["i peed myself"]  # one answer, one escalation
    assert b.messenger_delivery("m-2", "thank you") == 200  # the next message is answered
    assert b.turns == ["thank you"]


def test_a_turn_that_failed_is_answered_when_the_provider_retries(redis_url, prefix):
    a, b = Replica(redis_url, prefix), Replica(redis_url, prefix)
    while_a_answers: List[int] = []

    async def retry_reaches_b() -> None:  # Meta grows impatient while A is still on the turn
        while_a_answers.append(await b.deliver("m-3", "my leg is numb"))

    a.failing, a.during_turn = True, retry_reaches_b
    with pytest.raises(RuntimeError):  # Sanic answers 500: Meta will retry
        a.messenger_delivery("m-3", "my leg is numb")
    assert while_a_answers == [200] and b.turns == []  # A had it: B did not answer it too
    assert b.messenger_delivery("m-3", "my leg is numb") == 200  # the retry after A failed
    assert b.turns == ["my leg is numb"]


def test_the_rate_limit_counts_a_senders_messages_on_both_replicas(redis_url, prefix):
    a, b = Replica(redis_url, prefix, per_minute=4), Replica(redis_url, prefix, per_minute=4)
    statuses = [replica.rest_message("fast-sender", f"message {n}") for n, replica in enumerate([a, b, a, b])]
    assert statuses == [200, 200, 200, 200]
    assert a.rest_message("fast-sender", "one more") == 429  # 4 a minute in all, not 4 per replica
    assert b.rest_message("fast-sender", "one more") == 429
    assert b.rest_message("another-sender", "hello") == 200  # per sender


def test_redis_keys_hold_hashes_only_and_expire(redis_url, prefix):
    a = Replica(redis_url, prefix)
    a.messenger_delivery("m-secret-id", "hello")
    a.rest_message("+15551234567", "hello")
    client = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in client.scan_iter(prefix + "*")]
    assert len(keys) == 2
    assert not any("m-secret-id" in key or "15551234567" in key or PSID in key for key in keys)
    assert all(0 < client.ttl(key) <= 24 * 3600 for key in keys)
    client.close()


def test_redis_unreachable_each_replica_answers_on_its_own_memory(prefix, caplog):
    url = closed_port_url()
    a, b = Replica(url, prefix, per_minute=2), Replica(url, prefix, per_minute=2)
    with caplog.at_level(logging.ERROR):
        assert a.messenger_delivery("m-4", "i cant feel my legs") == 200
        assert a.messenger_delivery("m-4", "i cant feel my legs") == 200  # retry, same replica
        assert b.messenger_delivery("m-4", "i cant feel my legs") == 200  # retry, other replica
        assert a.turns == ["i cant feel my legs"]  # answered, never dropped
        assert b.turns == ["i cant feel my legs"]  # the documented cost: a second answer
        assert [a.rest_message("s", "hi") for _ in range(3)] == [200, 200, 429]  # per replica
        assert [b.rest_message("s", "hi") for _ in range(3)] == [200, 200, 429]
    failures = [r.message for r in caplog.records if "Redis unreachable" in r.message]
    assert len(failures) == 2  # once per replica per outage, not once per message
    assert "127.0.0.1" not in failures[0]  # no URL (it may hold a password)
