"""Telegram, with every webhook verified and no call to Telegram while the server starts.

Rasa's TelegramInput calls Telegram's setWebhook (and getMe on every update) when it starts,
so without a network the whole server dies. Here nothing is called at start: the webhook is
registered once by `python -m bot channels register telegram`, with TELEGRAM_WEBHOOK_SECRET as
its secret token, and every update must carry it in X-Telegram-Bot-Api-Secret-Token.
Choices go out as inline keyboards; a press arrives as a callback query with the payload.
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
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
MAX_CHARS = 4096  # Telegram's limit for one message
TIMEOUT = 10  # seconds for one call to the Bot API
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
UPDATES = ["message", "callback_query"]  # all the webhook is sent


def webhook_url(settings: bot_settings.Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/webhooks/telegram/webhook"


def telegram_bot(settings: bot_settings.Settings) -> Bot:
    """aiogram's Bot for the configured token and API address (no call is made here)."""
    return Bot(settings.telegram_bot_token, server=TelegramAPIServer.from_base(settings.telegram_api_url),
               timeout=TIMEOUT)


async def register_webhook(settings: bot_settings.Settings) -> Dict[str, Any]:
    """Tell Telegram where to send updates, with the secret token they must carry; returns
    Telegram's webhook info. aiogram 2.15 predates `secret_token`, so its generic request."""
    bot = telegram_bot(settings)
    try:
        await bot.request("setWebhook", {"url": webhook_url(settings),
                                         "secret_token": settings.telegram_webhook_secret,
                                         "allowed_updates": json.dumps(UPDATES)})
        return dict(await bot.request("getWebhookInfo", {}))
    finally:
        await bot.session.close()


def check_secret(secret: str, header: Optional[str]) -> Optional[Refusal]:
    """None when `header` is the webhook's secret token, else why not."""
    if not header:
        return Refusal(401, f"missing {SECRET_HEADER}")
    if not secret or not hmac.compare_digest(header.encode(), secret.encode()):
        return Refusal(403, f"wrong {SECRET_HEADER}")
    return None


def patient_update(update: Dict[str, Any]) -> Optional[Tuple[str, str]]:
    """(chat id, text or pressed button's payload) of a patient's update, else None."""
    query = update.get("callback_query") or {}
    if query.get("data") and (query.get("message") or {}).get("chat"):
        return str(query["message"]["chat"]["id"]), str(query["data"])
    message = update.get("message") or {}
    if message.get("text") and message.get("chat") and not (message.get("from") or {}).get("is_bot"):
        return str(message["chat"]["id"]), str(message["text"])
    return None


class TelegramReplies(TelegramOutput):
    """Replies to one chat through aiogram: text in messages of at most 4096 characters, the
    choices as an inline keyboard (one button a row) on the last one."""

    def __init__(self, settings: bot_settings.Settings, chat_id: str) -> None:
        Bot.__init__(self, settings.telegram_bot_token, timeout=TIMEOUT,
                     server=TelegramAPIServer.from_base(settings.telegram_api_url))
        self.settings = settings
        self.chat_id = chat_id

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        parts = split_message(message.get("text") or "", MAX_CHARS)
        buttons = choice_buttons(message.get("buttons") or message.get("quick_replies") or [])
        keyboard = InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(str(b.get("title", "")), callback_data=str(b["payload"])[:64])]
            for b in buttons]) if buttons else None
        try:
            for number, part in enumerate(parts, 1):
                markup = keyboard if number == len(parts) else None
                await self.send_message(self.chat_id, part, reply_markup=markup)
        except Exception as error:  # noqa: BLE001 - logged without the text
            logger.error("Telegram did not take a reply (%s)", type(error).__name__)
        finally:
            await self.session.close()
        await keep_if_asked(self.settings, self.name(), recipient_id, self.chat_id, message)

    async def end_button_press(self, query_id: str) -> None:
        """Telegram shows a button as busy until its press is answered."""
        try:
            await self.answer_callback_query(query_id)
        except Exception as error:  # noqa: BLE001 - cosmetic: the answer itself has gone
            logger.warning("Telegram did not take a button press answer (%s)", type(error).__name__)
        finally:
            await self.session.close()


class TelegramVerifiedInput(TelegramInput):
    """/webhooks/telegram/webhook. Off until TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET are
    set. (Rasa's `verify`, the bot's username, served its getMe call on every update: unused.)"""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(bot_settings.load())

    def __init__(self, settings: bot_settings.Settings) -> None:
        self.settings = settings
        super().__init__(settings.telegram_bot_token, None, webhook_url(settings), debug_mode=False)
        self.missing = missing_settings([
            ("TELEGRAM_BOT_TOKEN", settings.telegram_bot_token),
            ("TELEGRAM_WEBHOOK_SECRET", settings.telegram_webhook_secret)])
        self.on = announce(self.name(), self.missing)
        self.seen = seen_messages(settings)  # provider retries, shared by the replicas (retries.py)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if not self.on:
            return off_blueprint(self.name(), self.missing)
        blueprint = Blueprint("telegram_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            refusal = check_secret(self.settings.telegram_webhook_secret,
                                   request.headers.get(SECRET_HEADER))
            if refusal:
                return refuse(self.name(), refusal)
            try:
                update = request.json
            except Exception:  # noqa: BLE001 - sanic raises its own InvalidUsage
                update = None
            if not isinstance(update, dict) or "update_id" not in update:
                return bad_request(self.name(), "expected a Telegram Update with update_id")
            found = patient_update(update)
            if found:
                async with self.seen.once(self.name(), str(update["update_id"])) as first:
                    if first:
                        await self.handle(update, *found, on_new_message)
            return response.json({"ok": True})

        return blueprint

    async def handle(self, update: Dict[str, Any], chat_id: str, text: str,
                     on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        sender_id = conversation_id(self.name(), chat_id, self.settings.sender_hash_key)
        replies = TelegramReplies(self.settings, chat_id)
        await on_new_message(UserMessage(text, replies, sender_id, input_channel=self.name()))
        if (update.get("callback_query") or {}).get("id"):
            await replies.end_button_press(str(update["callback_query"]["id"]))

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Replies go to the chat of the message they answer (no setWebhook at start); what
        Rasa's API sends (the check-ins a restart lost) to the chat kept with the consent."""
        if not self.on:
            return None
        return ContactOutput(self.name(), self.settings, lambda chat_id: TelegramReplies(self.settings, chat_id))


__all__: List[str] = ["TelegramVerifiedInput", "TelegramReplies", "register_webhook", "check_secret"]
