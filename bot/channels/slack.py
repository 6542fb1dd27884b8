"""Slack, with every webhook verified by slack_sdk's SignatureVerifier: the signing secret's
HMAC over `v0:timestamp:body`, and a timestamp within 5 minutes, so a captured request cannot
be replayed later. The `url_verification` handshake is answered only when signed too.
Events API messages (direct messages and mentions) and button clicks (interactivity) share
/webhooks/slack/webhook; choices go out as Block Kit buttons.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot import settings as bot_settings
from bot.channels.plain_text import choice_buttons, split_message
from bot.channels.retries import seen_messages
from bot.channels.webhook import (Refusal, announce, bad_request, missing_settings, off_blueprint,
                                  refuse)
from bot.storage.models import conversation_id

logger = logging.getLogger(__name__)
MAX_CHARS = 3000  # a section block's text limit
MAX_BUTTONS = 5
MENTION = re.compile(r"<@[A-Z0-9]+(\|[^>]*)?>")


def check_signature(verifier: SignatureVerifier, body: bytes, timestamp: Optional[str],
                    signature: Optional[str]) -> Optional[Refusal]:
    """None when Slack signed `body` at `timestamp` within the last 5 minutes, else why not."""
    if not timestamp or not signature:
        return Refusal(401, "missing X-Slack-Signature or X-Slack-Request-Timestamp")
    if not timestamp.isdigit() or not verifier.is_valid(body, timestamp, signature):
        return Refusal(401, "X-Slack-Signature does not match, or the request is older than 5 minutes")
    return None


def patient_message(body: bytes, form: Any) -> Tuple[str, Optional[Tuple[str, str, str, str]]]:
    """("challenge", value) for the handshake, else ("message", (id, user, channel, text)) for a
    patient's message or button click, or ("ignore", None) for anything else (the bot's own
    messages, edits, other events)."""
    if form.get("payload"):  # interactivity: application/x-www-form-urlencoded, payload=JSON
        payload = json.loads(form.get("payload"))
        actions = payload.get("actions") or []
        user, channel = (payload.get("user") or {}).get("id"), (payload.get("channel") or {}).get("id")
        if actions and user and channel and actions[0].get("value"):
            action_id = f"{payload.get('trigger_id') or ''}:{actions[0].get('action_ts') or ''}"
            return "message", (action_id, user, channel, str(actions[0]["value"]))
        return "ignore", None
    event_body = json.loads(body)
    if event_body.get("type") == "url_verification":
        return "challenge", event_body.get("challenge", "")
    event = event_body.get("event") or {}
    # A mention in a channel also arrives as a "message" event: only direct messages count as those.
    wanted = event.get("type") == "app_mention" or (
        event.get("type") == "message" and event.get("channel_type") == "im")
    if wanted and event.get("text") and event.get("user") and not event.get("bot_id") \
            and not event.get("subtype"):
        event_id = event_body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
        text = MENTION.sub(" ", event["text"]).strip()  # "<@U0BOT> how long..." asks the bot
        return "message", (event_id, event["user"], event.get("channel", ""), text)
    return "ignore", None


class SlackOutput(SlackBot):
    """Posts to the one conversation it was made for with slack_sdk's AsyncWebClient."""

    def __init__(self, settings: bot_settings.Settings, conversation: str) -> None:
        super().__init__(settings.slack_bot_token)
        self.client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        self.conversation = conversation

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        parts = split_message(message.get("text") or "", MAX_CHARS)
        buttons = choice_buttons(message.get("buttons") or message.get("quick_replies") or [])
        for number, part in enumerate(parts, 1):
            blocks: List[Dict[str, Any]] = [{"type": "section", "text": {"type": "plain_text", "text": part}}]
            if number == len(parts) and buttons:
                blocks.append({"type": "actions", "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": str(b.get("title", ""))},
                     "value": str(b["payload"]), "action_id": f"choice_{i}"}
                    for i, b in enumerate(buttons[:MAX_BUTTONS])]})
            try:
                await self.client.chat_postMessage(channel=self.conversation, text=part, blocks=blocks)
            except Exception as error:  # noqa: BLE001 - one failed reply must not drop the others
                logger.error("Slack did not take a reply (%s)", type(error).__name__)


class SlackVerifiedInput(SlackInput):
    """/webhooks/slack/webhook (Event Subscriptions and Interactivity request URL). Off until
    SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(bot_settings.load())

    def __init__(self, settings: bot_settings.Settings) -> None:
        self.settings = settings
        # Rasa refuses a Slack channel without a signing secret even when it stays off here.
        super().__init__(settings.slack_bot_token,
                         slack_signing_secret=settings.slack_signing_secret or "off")
        self.missing = missing_settings([("SLACK_BOT_TOKEN", settings.slack_bot_token),
                                         ("SLACK_SIGNING_SECRET", settings.slack_signing_secret)])
        self.on = announce(self.name(), self.missing)
        self.seen = seen_messages(settings)  # provider retries, shared by the replicas (retries.py)
        self.verifier = SignatureVerifier(settings.slack_signing_secret or "off")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if not self.on:
            return off_blueprint(self.name(), self.missing)
        blueprint = Blueprint("slack_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            refusal = check_signature(self.verifier, request.body,
                                      request.headers.get("X-Slack-Request-Timestamp"),
                                      request.headers.get("X-Slack-Signature"))
            if refusal:
                return refuse(self.name(), refusal)
            try:
                kind, value = patient_message(request.body, request.form)
            except (ValueError, TypeError, AttributeError):
                return bad_request(self.name(), "expected an Events API or interactivity payload")
            if kind == "challenge":
                return response.json({"challenge": value})
            if kind == "message" and value:
                event_id, user, conversation, text = value
                async with self.seen.once(self.name(), event_id) as first:
                    if first:
                        text = self._sanitize_user_message(text, [])
                        sender_id = conversation_id(self.name(), user, self.settings.sender_hash_key)
                        await on_new_message(UserMessage(text, SlackOutput(self.settings, conversation),
                                                         sender_id, input_channel=self.name()))
            return response.text("")

        return blueprint

    def get_output_channel(self, *_: Any) -> Optional[OutputChannel]:
        return None  # replies go to the conversation of the message they answer


__all__: List[str] = ["SlackVerifiedInput", "SlackOutput", "patient_message", "check_signature"]
