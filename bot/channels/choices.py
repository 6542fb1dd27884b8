"""Numbered choices on SMS and WhatsApp: the buttons the bot offered since the patient last
wrote are read from the conversation (the tracker store), so "2" or the button's word works
on every Rasa replica, not only the one that sent the question.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List

from sanic.request import Request

from bot.channels.plain_text import chosen_payload

logger = logging.getLogger(__name__)


def offered(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The buttons of the bot's messages since the patient's latest message (event dicts)."""
    buttons: List[Dict[str, Any]] = []
    for event in reversed(events):
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            buttons = list((event.get("data") or {}).get("buttons") or []) + buttons
    return buttons


async def resolve_choice(request: Request, sender_id: str, text: str) -> str:
    """The payload of the choice `text` picks ("2", "No"), or `text` itself."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return text
    try:
        tracker = await agent.tracker_store.retrieve(sender_id)
    except Exception as error:  # the answer must not wait for a broken database
        logger.warning("Could not read the offered choices (%s)", type(error).__name__)
        return text
    if tracker is None:
        return text
    events = [event.as_dict() for event in tracker.events]
    return chosen_payload(text, offered(events)) or text
