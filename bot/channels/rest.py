"""The REST channel (`POST /webhooks/rest/webhook`), strict about what it accepts.

Rasa's RestInput answered a 2 MB message, a numeric message or a body that is not JSON with
`200 []`, took the channel name from the request, shared one "default" conversation among
clients that sent no sender, and logged the message text when a turn failed. Here bad input
gets a JSON error a client can act on (400, 413), a sender who sends faster than a person
types gets a polite 429 (bot/channels/rate_limit.py), and a failed turn a 503, with no text
in the log. Rasa sees the sender only as a keyed hash (bot/storage/models.py `conversation_id`); the client's
own id is put back in the replies' `recipient_id`. Typed commands are handled for every
channel by bot/nlu/typed_commands.py.

credentials.yml names this class under the key `bot.channels.rest.StrictRestInput`; its
URL stays /webhooks/rest/webhook. Limits: MAX_BODY_BYTES and MESSAGES_PER_MINUTE.
"""
from __future__ import annotations

import inspect
import json
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings as bot_settings
from bot.channels.rate_limit import SLOW_DOWN, limiter
from bot.storage.models import conversation_id

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


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
        self.limiter = limiter(settings, messages_per_minute)

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
