"""Rasa's events table never holds a patient's raw id: the REST sender and the widget's session
id reach Rasa as a keyed hash, while the replies still reach the right client and the next turn
(a returning widget too) continues the same conversation. The real servers, as `make run`."""
from __future__ import annotations

import asyncio
import json
import uuid
from typing import List

import pytest
import sqlalchemy as sa

from bot.storage.database import database_url
from bot.storage.models import conversation_id

pytestmark = [pytest.mark.servers, pytest.mark.model]


def stored(servers) -> List[tuple]:
    """Every (sender_id, data) row of Rasa's events table."""
    engine = sa.create_engine(database_url(servers.settings))
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text("SELECT sender_id, data FROM events")))
    finally:
        engine.dispose()


def test_a_rest_sender_is_stored_only_as_a_hash_and_the_conversation_goes_on(servers):
    phone = "+15551234567"  # a client that names its patients by their phone number
    first = servers.say(phone, "my leg pain is getting worse")
    assert "two quick questions" in " ".join(r.get("text", "") for r in first)
    assert {r["recipient_id"] for r in first} == {phone}  # the client reads its own id back
    assert "Do you have any of these?" in servers.ask(phone, "no")  # same conversation: the screening goes on
    rows = stored(servers)
    assert all(phone not in sender and phone not in data for sender, data in rows)
    ours = conversation_id("rest", phone, servers.settings.sender_hash_key)
    assert sum(1 for sender, data in rows if sender == ours and json.loads(data)["event"] == "user") == 2


def test_a_widget_session_is_stored_only_as_a_hash_and_a_returning_widget_goes_on(servers):
    import socketio

    session = str(uuid.uuid4())  # what the widget makes (crypto.randomUUID)

    async def visit(message: str) -> str:
        """One page visit: connect, ask for the session, send `message`, read the answer."""
        client = socketio.AsyncClient()
        confirmed, answered = asyncio.Event(), asyncio.Event()
        texts: List[str] = []

        @client.on("session_confirm")
        async def on_confirm(_: object) -> None:
            confirmed.set()

        @client.on("bot_uttered")
        async def on_reply(reply: dict) -> None:
            texts.append(reply.get("text") or "")
            answered.set()

        await client.connect(servers.rasa_url, transports=["polling"])
        try:
            await client.emit("session_request", {"session_id": session})
            await asyncio.wait_for(confirmed.wait(), 30)
            await client.emit("user_uttered", {"message": message, "session_id": session})
            await asyncio.wait_for(answered.wait(), 60)
            await asyncio.sleep(1)  # the rest of the answer
        finally:
            await client.disconnect()
        return "\n".join(texts)

    assert "two quick questions" in asyncio.run(visit("my leg pain is getting worse"))
    assert "Do you have any of these?" in asyncio.run(visit("no"))  # came back: same conversation
    rows = stored(servers)
    assert all(session not in sender and session not in data for sender, data in rows)
    ours = conversation_id("socketio", session, servers.settings.sender_hash_key)
    assert sum(1 for sender, data in rows if sender == ours and json.loads(data)["event"] == "user") == 2
