"""Facebook Messenger, with every webhook verified.

Rasa's FacebookInput checks only the old SHA-1 header and answers a forgery 200 "not
validated"; here X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the app secret) is
required and a forgery gets 403. Meta publishes no Python code for it, so it is the standard
library's hmac with a constant-time comparison. The `hub.challenge` handshake answers only
the verify token. Choices go out as Messenger quick replies.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional, Text, Tuple

from fbmessenger import MessengerClient
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput, MessengerBot
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings as bot_settings
from bot.channels.contacts import ContactOutput, keep_if_asked
from bot.channels.plain_text import choice_buttons, split_message
from bot.channels.retries import seen_messages
from bot.channels.webhook import (Refusal, announce, bad_request, missing_settings, off_blueprint,
                                  refuse)
from bot.storage.models import conversation_id

logger = logging.getLogger(__name__)
MAX_CHARS = 2000  # Messenger's limit for one text message
MAX_QUICK_REPLIES, MAX_TITLE = 13, 20
TIMEOUT = 10  # seconds for one call to the Send API
# A check-in sent with no message of the patient's to answer (after a restart): Meta allows a
# message outside the 24 hours after the patient's last one only with a tag; the patient asked
# for these check-ins at set dates (docs/RECOVERY.md).
CHECKIN_TAG = "CONFIRMED_EVENT_UPDATE"


def check_signature(app_secret: str, body: bytes, header: Optional[str]) -> Optional[Refusal]:
    """None when `header` is `sha256=<hex HMAC-SHA256 of body with app_secret>`, else why not."""
    if not header:
        return Refusal(401, "missing X-Hub-Signature-256")
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    given = header.removeprefix("sha256=").strip().lower() if header.startswith("sha256=") else ""
    if not app_secret or not hmac.compare_digest(expected.encode(), given.encode()):
        return Refusal(403, "X-Hub-Signature-256 does not match")
    return None


def messaging_events(payload: Dict[str, Any]) -> Iterator[Tuple[str, str, str]]:
    """(message id, sender PSID, text or quick-reply/postback payload) of each patient message
    in a page webhook; echoes of the page's own messages, reads and deliveries are skipped."""
    for entry in payload.get("entry") or []:
        for event in entry.get("messaging") or []:
            sender = str((event.get("sender") or {}).get("id") or "")
            message, postback = event.get("message") or {}, event.get("postback") or {}
            if message and not message.get("is_echo"):
                text = (message.get("quick_reply") or {}).get("payload") or message.get("text")
                mid = message.get("mid")
            elif postback:
                text, mid = postback.get("payload") or postback.get("title"), postback.get("mid")
            else:
                continue
            if sender and text:
                yield str(mid or f"{sender}:{event.get('timestamp')}"), sender, str(text)


class MessengerOutput(MessengerBot):
    """Replies to one PSID through fbmessenger's client (off the event loop): text in messages
    of at most 2000 characters, the choices as quick replies on the last one. With a `tag`, a
    message that answers none of the patient's (a check-in after a restart)."""

    def __init__(self, settings: bot_settings.Settings, address: str, tag: Optional[str] = None) -> None:
        client = MessengerClient(settings.messenger_page_token)
        client.graph_url = f"{settings.messenger_api_url.rstrip('/')}/v{client.api_version}"
        super().__init__(client)
        self.settings = settings
        self.address = address
        self.tag = tag

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        parts = split_message(message.get("text") or "", MAX_CHARS)
        quick = [{"content_type": "text", "title": str(b.get("title", ""))[:MAX_TITLE],
                  "payload": str(b["payload"])}
                 for b in choice_buttons(message.get("buttons") or message.get("quick_replies") or [])]
        for number, part in enumerate(parts, 1):
            body: Dict[str, Any] = {"text": part}
            if number == len(parts) and quick:
                body["quick_replies"] = quick[:MAX_QUICK_REPLIES]
            await self._send(body)
        await keep_if_asked(self.settings, self.name(), recipient_id, self.address, message)

    async def _send(self, body: Dict[str, Any]) -> None:
        try:
            answer = await asyncio.to_thread(self.messenger_client.send, body, self.address,
                                             "MESSAGE_TAG" if self.tag else "RESPONSE", timeout=TIMEOUT,
                                             tag=self.tag)
        except Exception as error:  # noqa: BLE001 - one failed reply must not drop the others
            logger.error("Messenger did not take a reply (%s)", type(error).__name__)
            return
        if isinstance(answer, dict) and answer.get("error"):  # fbmessenger returns, never raises
            refused = answer["error"]
            logger.error("Messenger refused a reply (%s %s)", refused.get("type"), refused.get("code"))


class MessengerInput(FacebookInput):
    """/webhooks/facebook/webhook. Off until MESSENGER_PAGE_TOKEN, MESSENGER_APP_SECRET and
    MESSENGER_VERIFY_TOKEN are set."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(bot_settings.load())

    def __init__(self, settings: bot_settings.Settings) -> None:
        self.settings = settings
        super().__init__(settings.messenger_verify_token, settings.messenger_app_secret,
                         settings.messenger_page_token)
        self.missing = missing_settings([("MESSENGER_PAGE_TOKEN", settings.messenger_page_token),
                                         ("MESSENGER_APP_SECRET", settings.messenger_app_secret),
                                         ("MESSENGER_VERIFY_TOKEN", settings.messenger_verify_token)])
        self.on = announce(self.name(), self.missing)
        self.seen = seen_messages(settings)  # provider retries, shared by the replicas (retries.py)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if not self.on:
            return off_blueprint(self.name(), self.missing)
        blueprint = Blueprint("facebook_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["GET"])
        async def handshake(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            if request.args.get("hub.mode") != "subscribe" or not hmac.compare_digest(
                    token.encode(), self.fb_verify.encode()):
                return refuse(self.name(), Refusal(403, "wrong hub.verify_token"))
            return response.text(request.args.get("hub.challenge") or "")

        @blueprint.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            refusal = check_signature(self.fb_secret, request.body,
                                      request.headers.get("X-Hub-Signature-256"))
            if refusal:
                return refuse(self.name(), refusal)
            try:
                payload = request.json
            except Exception:  # noqa: BLE001 - sanic raises its own InvalidUsage
                payload = None
            if not isinstance(payload, dict) or payload.get("object") != "page":
                return bad_request(self.name(), "expected a page webhook (object: page)")
            for mid, psid, text in messaging_events(payload):
                async with self.seen.once(self.name(), mid) as first:
                    if first:
                        sender_id = conversation_id(self.name(), psid, self.settings.sender_hash_key)
                        await on_new_message(UserMessage(text, MessengerOutput(self.settings, psid),
                                                         sender_id, input_channel=self.name()))
            return response.text("EVENT_RECEIVED")

        return blueprint

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Replies go to the PSID of the message they answer; what Rasa's API sends (the
        check-ins a restart lost) to the PSID kept with the consent, tagged."""
        if not self.on:
            return None
        return ContactOutput(self.name(), self.settings,
                             lambda psid: MessengerOutput(self.settings, psid, tag=CHECKIN_TAG))


__all__: List[str] = ["MessengerInput", "MessengerOutput", "check_signature"]
