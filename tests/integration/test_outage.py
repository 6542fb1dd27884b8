"""The outage from issue 16, replayed: `make run`'s servers on PostgreSQL, the database gone
mid-conversation (tests/integration/switch.py) and back. The advice still comes during the
outage; afterwards every turn is in the events table once, and the emergency escalation made
during the outage is in its table once (delivered from the action server's outbox)."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Callable, List

import pytest
import sqlalchemy as sa
from bot.tooling.faults import Outage

from bot.storage import conversation_id, create_engine

pytestmark = [pytest.mark.postgres, pytest.mark.servers, pytest.mark.model]
KEY = "outage-test-key"


@pytest.fixture
def outage(postgres_url, tmp_path):
    from bot.tooling.servers import MODELS_DIR, Servers, isolated_settings

    if not any(MODELS_DIR.glob("*.tar.gz")):
        pytest.fail("no trained model: run `make train` first")
    switch = Outage((postgres_url.host or "127.0.0.1", postgres_url.port or 5432))
    url = postgres_url.set(host="127.0.0.1", port=switch.port).render_as_string(hide_password=False)
    settings = replace(isolated_settings(tmp_path), database_url=url, sender_hash_key=KEY)
    try:
        with Servers(settings, log_dir=tmp_path / "logs") as servers:
            yield servers, switch
    finally:
        switch.cut()


def eventually(read: Callable[[], object], expected: object, within: float = 90.0) -> object:
    """What `read` returns once it returns `expected` (the retries run every 5 s), or its last
    value after `within` seconds: a bound on waiting, not a measure of speed."""
    deadline = time.monotonic() + within
    value = read()
    while value != expected and time.monotonic() < deadline:
        time.sleep(1)
        value = read()
    return value


def test_an_outage_mid_conversation_loses_no_turn_and_no_escalation(outage, postgres_url):
    servers, switch = outage
    assert "not medical advice" in servers.ask("patient-1", "hello")
    switch.cut()
    assert "Call 911 now" in servers.ask("patient-1", "i peed myself and didnt feel it")
    switch.restore()
    assert servers.ask("patient-1", "thank you")

    engine = create_engine(postgres_url)

    def user_turns() -> List[str]:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
                {"s": conversation_id("rest", "patient-1", KEY)})
            return [json.loads(data)["text"] for (data,) in rows]

    def escalations() -> List[str]:
        if not sa.inspect(engine).has_table("escalations"):  # made by the first delivery
            return []
        with engine.connect() as connection:
            return [tier for (tier,) in connection.execute(sa.text("SELECT tier FROM escalations"))]

    try:
        assert eventually(user_turns, ["hello", "i peed myself and didnt feel it", "thank you"]) == \
            ["hello", "i peed myself and didnt feel it", "thank you"]
        assert eventually(escalations, ["emergency"]) == ["emergency"]
    finally:
        engine.dispose()
