"""Faults in the production topology: nginx, 2 Rasa replicas, 2 action servers, PostgreSQL, Redis.

The topology is bot.tooling.production's (what `make production` runs), started once for the
module on free ports, with its own database. PostgreSQL and Redis are reached through
bot.tooling.faults.Outage, which the tests cut and restore: to the servers that is a database
or Redis restart, while the real servers, shared with the rest of the machine, keep running.
Counting is done in PostgreSQL directly, never through the topology.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from typing import List, Optional, Tuple

import pytest
import sqlalchemy as sa

from bot import settings as bot_settings
from bot.storage import conversation_id, create_engine, hash_sender
from bot.storage.lock_store import REDIS_RETRY_SECONDS
from bot.tooling.faults import Outage
from bot.tooling.production import Plan, Topology
from bot.tooling.servers import MODELS_DIR, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.servers, pytest.mark.model]
KEY = "production-test-key-" + "k" * 24


def rasa_id(sender: str, channel: str = "rest") -> str:
    """The id Rasa stores for a REST sender or (channel "socketio") a widget session."""
    return conversation_id(channel, sender, KEY)
EMERGENCY, EMERGENCY_ADVICE = "i cant pee and its numb down there", "Call 911 now"
URGENT, URGENT_ADVICE = "temp 38.5 and the wound is leaking", "call your surgeon's office"
FAQ = ["how long will the leg pain last?", "can i drive?", "ice or heat?", "when can I lift things?"]


@dataclass
class Drill:
    topology: Topology
    database: Outage
    redis: Outage
    engine: sa.engine.Engine  # straight to PostgreSQL, for counting

    @property
    def url(self) -> str:
        return self.topology.plan.url

    def say(self, sender: str, message: str, url: str = "") -> Tuple[int, str]:
        """(HTTP status, the answer's text) of one REST turn through nginx (or `url`)."""
        body = json.dumps({"sender": sender, "message": message}).encode()
        request = urllib.request.Request(f"{url or self.url}/webhooks/rest/webhook", data=body)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, "\n".join(r.get("text", "") for r in json.loads(response.read()))
        except urllib.error.HTTPError as error:
            return error.code, ""

    def answer(self, sender: str, message: str) -> str:
        status, text = self.say(sender, message)
        assert status == 200 and text, f"{message!r}: HTTP {status}, {text!r}"
        return text

    def user_turns(self, sender: str, channel: str = "rest") -> int:
        query = sa.text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'")
        with self.engine.connect() as connection:
            return connection.execute(query, {"s": rasa_id(sender, channel)}).scalar()

    def session_starts(self, sender: str, channel: str = "rest") -> int:
        query = sa.text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'session_started'")
        with self.engine.connect() as connection:
            return connection.execute(query, {"s": rasa_id(sender, channel)}).scalar()

    def escalations(self, sender: str) -> int:
        query = sa.text("SELECT count(*) FROM escalations WHERE sender_hash = :h")
        with self.engine.connect() as connection:
            return connection.execute(query, {"h": hash_sender(rasa_id(sender), KEY)}).scalar()

    def bot_texts(self, sender: str, channel: str = "rest") -> List[str]:
        query = sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'bot' ORDER BY id")
        with self.engine.connect() as connection:
            rows = connection.execute(query, {"s": rasa_id(sender, channel)}).scalars()
            return [json.loads(data).get("text") or "" for data in rows]

    def log(self, name: str) -> str:
        return (self.topology.logs / f"{name}.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def drill(module_postgres_url, module_redis_url, nginx, tmp_path_factory):
    if not (MODELS_DIR / "assistant.tar.gz").exists():
        pytest.fail("no trained model: run `make train` first")
    real = module_postgres_url.render_as_string(hide_password=False)
    database = Outage((module_postgres_url.host, module_postgres_url.port or 5432))
    redis_host, redis_port = module_redis_url.split("://")[1].split("/")[0].split(":")
    redis = Outage((redis_host, int(redis_port)))
    var_dir = tmp_path_factory.mktemp("production")
    settings = replace(bot_settings.load(), var_dir=var_dir, database_url=database.url_for(real),
                       lock_store_url=redis.url_for(module_redis_url), sender_hash_key=KEY)
    plan = Plan(settings, port=free_port(), action_port=free_port(), rasa_ports=(free_port(), free_port()),
                action_ports=(free_port(), free_port()), run_dir=var_dir / "production", model=MODELS_DIR)
    engine = create_engine(real)
    try:
        with Topology(plan) as topology:
            yield Drill(topology, database, redis, engine)
    finally:
        engine.dispose()
        database.close()
        redis.close()


def test_nginx_passes_the_channels_and_hides_rasas_api(drill):
    assert drill.answer("routes", "can i drive?")
    for path in ("/status", "/conversations/routes/tracker", "/model"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(drill.url + path, timeout=10)
        assert refused.value.code == 404, path


def test_nginx_upgrades_socketio_to_websocket(drill):
    """The widget's browser client upgrades to a websocket: nginx must pass the upgrade."""
    import aiohttp

    async def open_packet() -> str:
        async with aiohttp.ClientSession() as session:
            url = drill.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
            async with session.ws_connect(url) as socket:
                return (await socket.receive(timeout=30)).data

    assert asyncio.run(open_packet()).startswith('0{"sid":')


def test_emergency_advice_with_both_action_servers_down(drill):
    for name in ("action-1", "action-2"):
        drill.topology.kill(name)
    try:
        assert EMERGENCY_ADVICE in drill.answer("no-actions-1", EMERGENCY)
        assert URGENT_ADVICE in drill.answer("no-actions-2", URGENT)
        assert drill.answer("no-actions-3", FAQ[1])
    finally:
        for name in ("action-1", "action-2"):
            drill.topology.start(name)
    # The replica recorded them itself (bot/action_fallbacks.py): staff see both.
    assert (drill.escalations("no-actions-1"), drill.escalations("no-actions-2")) == (1, 1)


def test_a_stage_question_is_answered_with_the_action_servers_down(drill):
    for name in ("action-1", "action-2"):
        drill.topology.kill(name)
    try:
        # The general answer, given by the Rasa server itself (bot/action_fallbacks.py).
        assert "leg pain usually gets better in stages" in drill.answer("no-actions-4", FAQ[0])
    finally:
        for name in ("action-1", "action-2"):
            drill.topology.start(name)


def test_a_senders_rate_limit_counts_both_replicas(drill):
    """MESSAGES_PER_MINUTE in all, whichever replica each message reaches (Redis), not per replica."""
    limit = drill.topology.plan.settings.messages_per_minute
    replicas = [f"http://127.0.0.1:{port}" for port in drill.topology.plan.rasa_ports]
    started = time.monotonic()
    statuses = [drill.say("rate-limited", "hi", replicas[n % 2])[0] for n in range(limit + 2)]
    assert time.monotonic() - started < 60, "slower than the minute the limit counts"
    assert statuses == [200] * limit + [429, 429]


def test_redis_down_turns_still_answered_on_local_locks(drill):
    drill.redis.cut()
    try:
        assert drill.answer("no-redis", FAQ[1])
        assert EMERGENCY_ADVICE in drill.answer("no-redis", EMERGENCY)
        assert drill.answer("no-redis", FAQ[2])
    finally:
        drill.redis.restore()
    logs = drill.log("rasa-1") + drill.log("rasa-2")
    assert "Redis lock store unreachable" in logs
    assert "Redis unreachable for provider retries and rate limits" in logs  # limits per replica meanwhile
    time.sleep(REDIS_RETRY_SECONDS + 1)
    assert drill.answer("no-redis", FAQ[3])
    assert drill.user_turns("no-redis") == 4


def test_postgres_restart_under_load(drill):
    """Six patients talk while PostgreSQL goes away for 8 s: every turn is answered (from the
    replica's memory; never `200 []`), and once it is back every turn is stored once."""
    results: List[Tuple[str, str, int, str]] = []
    stop = time.monotonic() + 20

    def patient(index: int) -> None:
        number = 0
        while time.monotonic() < stop:
            sender = f"pg-{index}-{number}"
            for message in (FAQ[index % 4], EMERGENCY if index % 3 == 0 else FAQ[(index + 1) % 4]):
                results.append((sender, message, *drill.say(sender, message)))
            number += 1

    threads = [threading.Thread(target=patient, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(5)
    drill.database.cut()
    time.sleep(8)
    drill.database.restore()
    for thread in threads:
        thread.join()
    silent = [r for r in results if r[2] == 200 and not r[3]]
    assert not silent, f"{len(silent)} turns answered with nothing"
    assert all(EMERGENCY_ADVICE in text for _, message, status, text in results
               if message == EMERGENCY and status == 200)
    answered = [r for r in results if r[2] == 200]
    failed = [(message, status) for _, message, status, _ in results if status != 200]
    assert not failed, f"{len(failed)} of {len(results)} turns failed: {failed[:5]}"
    time.sleep(3)
    senders = sorted({r[0] for r in answered})
    for sender in senders:  # a next turn writes what a replica kept in memory meanwhile
        drill.answer(sender, "thanks")
    stored = {s: drill.user_turns(s) for s in senders}
    expected = {s: 1 + sum(1 for r in answered if r[0] == s) for s in senders}
    lost = {s: (expected[s], stored[s]) for s in senders if stored[s] != expected[s]}
    assert not lost, f"(answered, stored) per conversation that differ: {lost}"


def test_no_escalation_lost_across_a_postgres_restart(drill):
    """The outbox (bot/storage/outbox.py) keeps an escalation made while PostgreSQL is down and
    delivers it, once, when the database is back."""
    drill.database.cut()
    try:
        assert EMERGENCY_ADVICE in drill.answer("pg-escalation", EMERGENCY)
    finally:
        drill.database.restore()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and drill.escalations("pg-escalation") == 0:
        time.sleep(1)
    assert drill.escalations("pg-escalation") == 1


def test_a_replica_killed_mid_conversation(drill):
    """Turns go round both replicas; after one is killed the other carries the conversation,
    with every turn stored exactly once (nginx never resends a request it already sent)."""
    sender = "replica-kill"
    for message in FAQ[:3]:
        drill.answer(sender, message)
    drill.topology.kill("rasa-1")
    try:
        assert drill.answer(sender, FAQ[3])
        assert EMERGENCY_ADVICE in drill.answer(sender, EMERGENCY)
        assert drill.answer(sender, "thanks")
        assert drill.user_turns(sender) == 6
        assert drill.escalations(sender) == 1
        assert drill.session_starts(sender) == 1
    finally:
        drill.topology.start("rasa-1")


def replica_holding(drill: Drill, port_of: dict) -> Optional[str]:
    """The replica with an open connection from nginx: the socket.io client's long poll."""
    import psutil

    for _ in range(50):
        for name, port in port_of.items():
            if name not in drill.topology.processes:
                continue
            process = psutil.Process(drill.topology.processes[name].pid)
            if any(c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
                   for c in process.net_connections(kind="tcp")):
                return name
        time.sleep(0.1)  # between two polls
    return None


def test_socketio_session_is_sticky_and_resumes_after_its_replica_dies(drill):
    """The widget's session stays on one replica; when that replica dies the client reconnects
    through nginx to the other, which continues the screening from the tracker store.

    The client long-polls (engine.io keeps each session's state in one process, so a poll that
    reached the other replica would be refused: the test fails unless routing is sticky); its
    websocket transport needs aiohttp >= 3.10, newer than the pin (Rasa 3.6). The answers are
    read from the tracker store, which is what the resumed session must continue from."""
    import socketio

    session = "widget-session-" + "1" * 32  # the widget's channel takes only long random ids
    port_of = {f"rasa-{i}": port for i, port in enumerate(drill.topology.plan.rasa_ports, 1)}

    async def conversation() -> List[str]:
        client = socketio.AsyncClient(reconnection_delay=0.5, reconnection_delay_max=1)
        confirmed = asyncio.Event()

        @client.event
        async def connect() -> None:  # on every (re)connection, as the widget does
            await client.emit("session_request", {"session_id": session})

        @client.on("session_confirm")
        async def on_confirm(_: object) -> None:
            confirmed.set()

        async def turn(message: str) -> str:
            before = len(drill.bot_texts(session, "socketio"))
            await client.emit("user_uttered", {"message": message, "session_id": session})
            deadline = time.monotonic() + 60
            while len(drill.bot_texts(session, "socketio")) == before and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            await asyncio.sleep(1)  # the rest of the answer
            return "\n".join(drill.bot_texts(session, "socketio")[before:])

        async def reconnect() -> None:
            confirmed.clear()
            await client.connect(drill.url, transports=["polling"])
            await asyncio.wait_for(confirmed.wait(), 30)

        await reconnect()
        said = [await turn("my leg pain is getting worse")]
        holder = replica_holding(drill, port_of)
        assert holder is not None
        for _ in range(3):  # sticky: the same replica each time the client comes back
            await client.disconnect()
            await reconnect()
            assert replica_holding(drill, port_of) == holder
        confirmed.clear()
        drill.topology.kill(holder)
        await asyncio.wait_for(confirmed.wait(), 60)  # reconnected by itself, to the other replica
        assert replica_holding(drill, port_of) not in (None, holder)
        said.append(await turn("no"))
        await client.disconnect()
        return said

    first, second = asyncio.run(conversation())
    assert "two quick questions" in first
    assert "Do you have any of these?" in second  # the screening's next question: resumed
    assert drill.user_turns(session, "socketio") == 2
    assert drill.session_starts(session, "socketio") == 1
