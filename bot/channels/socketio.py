"""The website chat widget's channel: Rasa's socket.io channel, closed to other web sites.

credentials.yml names `bot.channels.socketio.ClinicSocketIOInput`. What it adds to Rasa's
`SocketIOInput`:
- only the configured origins (bot/settings.py WIDGET_ORIGINS) may connect: Rasa's own accepts
  any web page;
- bad input (no object, a session id that is not a long random one, no text, a text too long)
  gets a clear error as the acknowledgement, never an exception in the server, and a guessable
  session id is refused: the id is the conversation's key, whoever has it reads the replies;
- each bot response goes out as one message with its buttons' links (`tel:`) and the red-flag
  tier bot/responses.py marked (widget/widget.js styles emergency and urgent replies from it,
  never by guessing from the text);
- a session sending more than MESSAGES_PER_MINUTE is told to slow down (with the emergency
  number) in the acknowledgement, which the widget shows, as the REST channel does
  (bot/channels/rate_limit.py);
- Rasa gets the session id only as a keyed hash (bot/storage/models.py `conversation_id`), so
  the events table never holds the id that reads the replies; the output keeps the id itself,
  the socket.io room the widget joined, to send them. The same session id gives the same hash:
  a returning widget finds its conversation.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot import settings as bot_settings
from bot.channels.rate_limit import SLOW_DOWN, limiter
from bot.storage.models import conversation_id
from bot.vocabulary import ESCALATION_TIERS, TIER_KEY

logger = logging.getLogger(__name__)

# The widget makes ids with crypto.randomUUID(): 122 random bits. Shorter ones could be guessed.
SESSION_ID = re.compile(r"^[A-Za-z0-9-]{32,64}$")
MAX_MESSAGE_CHARS = 1000  # the widget's own limit (maxlength); a longer one is not a patient typing


def reply_payload(message: Dict[Text, Any]) -> Dict[Text, Any]:
    """One bot response as the widget reads it: text, buttons (title, payload, url) and tier."""
    payload: Dict[Text, Any] = {"text": message.get("text") or ""}
    buttons = message.get("buttons") or message.get("quick_replies") or []
    payload["buttons"] = [
        {key: str(button[key]) for key in ("title", "payload", "url") if button.get(key)}
        for button in buttons if isinstance(button, dict) and button.get("title")
    ]
    tier = (message.get("metadata") or {}).get(TIER_KEY)
    if tier in ESCALATION_TIERS:
        payload[TIER_KEY] = tier
    return payload


def input_error(data: Any) -> Optional[str]:
    """What is wrong with a `user_uttered` event's data, or None when it is a patient's message."""
    if not isinstance(data, dict):
        return "the message must be an object with `message` and `session_id`"
    if not isinstance(data.get("session_id"), str) or not SESSION_ID.match(data["session_id"]):
        return "`session_id` must be the random id of a session (32 to 64 letters, digits or dashes)"
    text = data.get("message")
    if not isinstance(text, str) or not text.strip():
        return "`message` must be a non-empty text"
    if len(text) > MAX_MESSAGE_CHARS:
        return f"`message` is longer than {MAX_MESSAGE_CHARS} characters"
    return None


class ClinicSocketIOOutput(SocketIOOutput):
    def __init__(self, sio: Any, bot_message_evt: Text, room: Optional[Text] = None) -> None:
        super().__init__(sio, bot_message_evt)
        self.room = room  # the widget's session id; Rasa's recipient id is its hash

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        await super()._send_message(self.room or socket_id, response)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        payload = reply_payload(message)
        if payload["text"] or payload["buttons"]:
            await self._send_message(recipient_id, payload)


class ClinicSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel for the widget: configured origins, checked input, one message per reply."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ClinicSocketIOInput":
        credentials = {**(credentials or {}), "session_persistence": True}  # the widget keeps its session
        channel = super().from_credentials(credentials)
        assert isinstance(channel, ClinicSocketIOInput)
        return channel

    def get_output_channel(self) -> Optional[ClinicSocketIOOutput]:
        return ClinicSocketIOOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None
        # Rasa's server takes any origin (an empty list turns the check off); this one, the configured ones.
        settings = bot_settings.load()
        sio.eio.cors_allowed_origins = settings.allowed_origins
        rate = limiter(settings)

        async def session_request(sid: Text, data: Any) -> Dict[Text, Any]:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
                return {"error": "`session_id` must be the random id of a session (32 to 64 letters, digits "
                        "or dashes)"}
            await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            return {"session_id": session_id}

        async def handle_message(sid: Text, data: Any) -> Dict[Text, Any]:
            error = input_error(data)
            if error:
                return {"error": error}
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    return {"error": f"`{self.metadata_key}` must be an object"}
            if not isinstance(metadata, dict):
                return {"error": f"`{self.metadata_key}` must be an object"}
            session_id = data["session_id"]
            output = ClinicSocketIOOutput(sio, self.bot_message_evt, room=session_id)
            conversation = conversation_id(self.name(), session_id, settings.sender_hash_key)
            allowed, wait = await rate.allow(conversation)
            if not allowed:
                return {"error": SLOW_DOWN, "retry_after": wait}
            await on_new_message(UserMessage(data["message"], output, conversation,
                                             input_channel=self.name(), metadata=metadata))
            return {"ok": True}

        # The same events as Rasa's handlers, which these replace.
        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return blueprint
