"""SMS and WhatsApp through Twilio, with every webhook verified.

Rasa's TwilioInput answers a forged, unsigned request (and fails with a 500); here each
request's X-Twilio-Signature is checked with Twilio's own RequestValidator against the public
URL Twilio called (PUBLIC_URL, so it also works behind a proxy). Conversations are kept under
a keyed hash of the phone number: the number itself lives only in the reply's address, and,
with the patient's consent to check-ins, in their contact address (bot/channels/contacts.py).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator

from bot import settings as bot_settings
from bot.channels import keywords
from bot.channels.choices import resolve_choice
from bot.channels.contacts import ContactOutput, channel_stores, keep_if_asked
from bot.channels.plain_text import sms_parts
from bot.channels.retries import seen_messages
from bot.channels.webhook import (Refusal, announce, bad_request, missing_settings, off_blueprint,
                                  refuse)
from bot.storage.models import conversation_id

logger = logging.getLogger(__name__)
# Twilio's client logs every API call's URL and headers at INFO: a dozen lines per reply that
# say nothing to whoever reads the log. Its warnings and errors still show.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
TIMEOUT = 10  # seconds for one call to Twilio's API
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def check_signature(validator: RequestValidator, url: str, form: Any,
                    signature: Optional[str]) -> Optional[Refusal]:
    """None when `signature` is Twilio's for `url` and the form fields, else why not."""
    if not signature:
        return Refusal(401, "missing X-Twilio-Signature")
    if not validator.validate(url, form, signature):
        return Refusal(403, "X-Twilio-Signature does not match")
    return None


class SmsOutput(TwilioOutput):
    """Sends each bot message as plain text with numbered choices (bot/channels/plain_text.py)
    to the one address it was made for, through Twilio's SDK (off the event loop)."""

    @classmethod
    def name(cls) -> Text:  # Rasa picks a response's `channel:` variation by this name
        return "twilio"

    def __init__(self, settings: bot_settings.Settings, sender_number: str, address: str) -> None:
        super().__init__(settings.twilio_account_sid, settings.twilio_auth_token, sender_number)
        self.http_client = TwilioHttpClient(timeout=TIMEOUT)  # the SDK's default never times out
        self.api.base_url = settings.twilio_api_url.rstrip("/")
        self.settings = settings
        self.address = address

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        text = message.get("text") or ""
        buttons = message.get("buttons") or message.get("quick_replies") or []
        for part in sms_parts(text, buttons):
            await self._send(part)
        await keep_if_asked(self.settings, self.name(), recipient_id, self.address, message)

    async def _send(self, body: str) -> None:
        try:
            await asyncio.to_thread(self.messages.create, to=self.address, from_=self.twilio_number,
                                    body=body)
        except Exception as error:  # noqa: BLE001 - one failed reply must not drop the others
            logger.error("Twilio did not take a %s reply (%s)", self.name(), type(error).__name__)


class WhatsAppOutput(SmsOutput):
    @classmethod
    def name(cls) -> Text:
        return "whatsapp"


class TwilioSmsInput(TwilioInput):
    """SMS: /webhooks/twilio/webhook. Off until TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and
    TWILIO_SMS_NUMBER are set."""

    address_prefix = ""
    output_class = SmsOutput

    @classmethod
    def name(cls) -> Text:
        return "twilio"

    @classmethod
    def number_setting(cls, settings: bot_settings.Settings) -> tuple:
        return ("TWILIO_SMS_NUMBER", settings.twilio_sms_number)

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(bot_settings.load())

    def __init__(self, settings: bot_settings.Settings) -> None:
        self.settings = settings
        env, number = self.number_setting(settings)
        self.missing = missing_settings([("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
                                         ("TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
                                         (env, number)])
        super().__init__(settings.twilio_account_sid, settings.twilio_auth_token,
                         f"{self.address_prefix}{number}", debug_mode=False)
        self.on = announce(self.name(), self.missing)
        self.seen = seen_messages(settings)  # provider retries, shared by the replicas (retries.py)
        self.validator = RequestValidator(settings.twilio_auth_token)

    def signed_url(self, request: Request) -> str:
        """The URL Twilio signed: PUBLIC_URL (what Twilio called) with this path and query."""
        if not self.settings.public_url:
            return request.url
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{self.settings.public_url.rstrip('/')}{request.path}{query}"

    def stores(self) -> Any:
        return channel_stores(self.settings)  # one engine per process, made on first use

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if not self.on:
            return off_blueprint(self.name(), self.missing)
        blueprint = Blueprint(f"{self.name()}_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            refusal = check_signature(self.validator, self.signed_url(request), request.form,
                                      request.headers.get("X-Twilio-Signature"))
            if refusal:
                return refuse(self.name(), refusal)
            address, text = request.form.get("From"), request.form.get("Body")
            if not address or text is None:
                return bad_request(self.name(), "From and Body are required")
            async with self.seen.once(self.name(), request.form.get("MessageSid")) as first:
                if first:
                    await self.handle(request, address, text, on_new_message)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return blueprint

    async def handle(self, request: Request, address: str, text: str,
                     on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Keywords first (STOP, START, HELP), nothing to a stopped number, then the bot."""
        stopped = bool(await self.opt_outs("is_stopped", address))
        kind = keywords.keyword(text, stopped)
        output = self.output_for(address)
        if kind in ("stop", "start"):
            await self.opt_outs(kind, address)
        if kind == "stop":  # no check-in goes to it any more, so its kept address goes too
            await self.forget_contact(address)
        if kind:
            await output.send_response(address, {"text": keywords.reply(kind, self.settings)})
            return
        if stopped:
            logger.info("A %s number that sent STOP wrote again: not answered", self.name())
            return
        sender_id = conversation_id(self.name(), address, self.settings.sender_hash_key)
        text = await resolve_choice(request, sender_id, text)
        await on_new_message(UserMessage(text, output, sender_id, input_channel=self.name()))

    async def opt_outs(self, call: str, address: str) -> Any:
        """The opt-out store's `call` off the event loop. Should the database be down, a
        message is answered rather than dropped (a red flag must get its advice; Twilio itself
        blocks replies to numbers that sent STOP), and the failure is logged."""
        try:
            return await asyncio.to_thread(getattr(self.stores().opt_outs, call), self.name(), address)
        except SQLAlchemyError as error:
            logger.error("SMS opt-out store unreachable (%s)", type(error).__name__)
            return None

    async def forget_contact(self, address: str) -> None:
        sender_id = conversation_id(self.name(), address, self.settings.sender_hash_key)
        try:
            await asyncio.to_thread(self.stores().recovery.forget_contact, sender_id)
        except SQLAlchemyError as error:
            logger.error("Could not delete a %s check-in address on STOP (%s)", self.name(), type(error).__name__)

    def output_for(self, address: str) -> SmsOutput:
        return self.output_class(self.settings, self.twilio_number, address)

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Replies go to the address of the message they answer; what Rasa's API sends (the
        check-ins a restart lost) to the address kept with the consent, unless it sent STOP."""
        if not self.on:
            return None
        return ContactOutput(self.name(), self.settings, self.output_for, opt_outs=True)


class TwilioWhatsAppInput(TwilioSmsInput):
    """WhatsApp: /webhooks/whatsapp/webhook. Twilio writes its numbers `whatsapp:+1...`."""

    address_prefix = "whatsapp:"
    output_class = WhatsAppOutput

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    @classmethod
    def number_setting(cls, settings: bot_settings.Settings) -> tuple:
        return ("TWILIO_WHATSAPP_NUMBER", settings.twilio_whatsapp_number)


__all__: List[str] = ["TwilioSmsInput", "TwilioWhatsAppInput", "SmsOutput", "WhatsAppOutput"]
