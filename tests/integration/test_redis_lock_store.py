"""Rasa's conversation locks in a real Redis, as several replicas would share them."""
import asyncio
import uuid

import pytest
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.storage.lock_store import ConfiguredLockStore

pytestmark = pytest.mark.redis


@pytest.fixture
def config(redis_url, monkeypatch):
    monkeypatch.setenv("LOCK_STORE_URL", redis_url)
    prefix = "bottest" + uuid.uuid4().hex[:8]  # keeps this run's keys apart
    yield EndpointConfig(type="bot.storage.lock_store.ConfiguredLockStore", key_prefix=prefix)
    store = ConfiguredLockStore(EndpointConfig(key_prefix=prefix))
    for key in store.backend.red.scan_iter(prefix + ":*"):
        store.backend.red.delete(key)


def test_endpoint_config_gives_a_redis_backed_store(config):
    store = LockStore.create(config)
    assert isinstance(store, ConfiguredLockStore)
    assert isinstance(store.backend, RedisLockStore)


def test_acquire_and_release(config):
    store = LockStore.create(config)
    key = store.backend.key_prefix + "conversation-1"

    async def use_lock():
        async with store.lock("conversation-1"):
            assert store.backend.red.exists(key)

    asyncio.run(use_lock())
    assert not store.backend.red.exists(key)


def test_two_replicas_take_turns_on_one_conversation(config):
    replicas = [LockStore.create(config), LockStore.create(config)]
    order = []

    async def handle(store, name, seconds):
        async with store.lock("conversation-2", wait_time_in_seconds=0.01):
            order.append(name + " in")
            await asyncio.sleep(seconds)
            order.append(name + " out")

    async def both():
        await asyncio.gather(handle(replicas[0], "a", 0.2), handle(replicas[1], "b", 0))

    asyncio.run(both())
    assert order == ["a in", "a out", "b in", "b out"]
