"""Redis down: a turn takes an in-memory lock instead of failing (docs/OPERATIONS.md, Faults)."""
import asyncio
import logging
import socket

from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

from bot.storage import lock_store
from bot.storage.lock_store import ConfiguredLockStore


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def store_with_redis_gone(monkeypatch) -> ConfiguredLockStore:
    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    store = ConfiguredLockStore()
    store.backend = RedisLockStore(host="127.0.0.1", port=closed_port(), socket_timeout=0.5)
    return store


def test_a_turn_gets_a_lock_while_redis_is_down(monkeypatch, caplog):
    store = store_with_redis_gone(monkeypatch)

    async def turn():
        async with store.lock("patient-1") as lock:
            return lock.conversation_id

    with caplog.at_level(logging.ERROR):
        assert asyncio.run(turn()) == "patient-1"
        assert asyncio.run(turn()) == "patient-1"
    assert store.degraded
    assert [r.message for r in caplog.records].count(
        "Redis lock store unreachable (ConnectionError): in-memory locks in this replica for 5 s, "
        "then Redis again.") == 1  # once per outage, not once per turn
    assert store.fallback.get_lock("patient-1") is None  # released


def test_local_locks_still_keep_one_conversations_turns_in_order(monkeypatch):
    store = store_with_redis_gone(monkeypatch)
    order = []

    async def handle(name, seconds):
        async with store.lock("patient-2", wait_time_in_seconds=0.01):
            order.append(name + " in")
            await asyncio.sleep(seconds)
            order.append(name + " out")

    async def both():
        await asyncio.gather(handle("a", 0.1), handle("b", 0))

    asyncio.run(both())
    assert order == ["a in", "a out", "b in", "b out"]


def test_redis_is_tried_again_after_the_pause(monkeypatch):
    store = store_with_redis_gone(monkeypatch)
    healthy = InMemoryLockStore()  # stands for Redis once it is back

    async def turn():
        async with store.lock("patient-3"):
            pass

    asyncio.run(turn())
    assert store.degraded
    store.backend = healthy
    monkeypatch.setattr(lock_store, "REDIS_RETRY_SECONDS", 0.0)
    store._redis_retry_at = 0.0
    used = []
    monkeypatch.setattr(healthy, "save_lock", lambda lock: used.append(lock.conversation_id)
                        or InMemoryLockStore.save_lock(healthy, lock))
    asyncio.run(turn())
    assert not store.degraded and "patient-3" in used
