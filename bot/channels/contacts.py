"""Check-ins after a restart on the channels that can send first: SMS, WhatsApp, Messenger,
Telegram (bot.vocabulary.CONTACT_CHANNELS).

Rasa knows a patient only by the keyed hash of their address (bot/storage/models.py
`conversation_id`), so a check-in the action server triggers after a restart
(bot/recovery/delivery.py, `output_channel=latest`) has no address to go to. The address is kept
with the consent to check-ins: the answer that confirms them (actions/recovery.py,
`ActionStartCheckins`) carries CONTACT_KEY, and the connector sending that answer keeps the
address it sends it to (`keep_if_asked`). `ContactOutput` is what those connectors'
`get_output_channel` gives Rasa's HTTP API: it finds the address by the conversation's sender id,
skips an SMS or WhatsApp number that sent STOP, and sends through the connector's own reply
class, so each provider's sending stays in one place. Without a kept address the check-in is in
the conversation only (the patient reads it when they write next).
"""
from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any, Callable, Dict, Optional, Text

from rasa.core.channels.channel import OutputChannel
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings
from bot.vocabulary import CONTACT_KEY

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def channel_stores(settings: Settings) -> Any:
    """The project's stores for this process's channels: one engine, made on first use (never
    at start: a channel starts without a database)."""
    from bot.storage.stores import Stores

    return Stores(settings)


def asks_to_keep(message: Dict[Text, Any]) -> bool:
    custom = message.get("custom")
    return isinstance(custom, dict) and bool(custom.get(CONTACT_KEY))


async def keep_if_asked(settings: Settings, channel: str, sender_id: str, address: str,
                        message: Dict[Text, Any]) -> None:
    """Keep `address` for the conversation's check-ins when `message` is the answer confirming
    them; the store refuses unless check-ins are on and one is still to be sent."""
    if not asks_to_keep(message):
        return
    try:
        kept = await asyncio.to_thread(channel_stores(settings).recovery.keep_contact, sender_id, channel,
                                       address)
    except SQLAlchemyError as error:
        logger.error("Could not keep a %s address for check-ins (%s): they will reach the patient "
                     "while the server runs, not after a restart", channel, type(error).__name__)
        return
    if not kept:
        logger.warning("A %s address was not kept for check-ins: none is planned", channel)


class ContactOutput(OutputChannel):
    """A connector's output for Rasa's HTTP API (the check-ins a restart lost): sends to the
    address kept for the conversation, through `reply(address)`, the connector's reply class."""

    def __init__(self, channel: str, settings: Settings, reply: Callable[[str], OutputChannel],
                 opt_outs: bool = False) -> None:
        self.channel = channel
        self.settings = settings
        self.reply = reply
        self.opt_outs = opt_outs  # SMS and WhatsApp: a number that sent STOP gets nothing

    def name(self) -> Text:
        """The connector's name: Rasa picks a response's `channel:` variation, and the next
        trigger's latest input channel, by it."""
        return self.channel

    def address(self, sender_id: str) -> Optional[str]:
        """The kept address of the conversation on this channel; None when there is none, the
        number has sent STOP, or the database cannot say."""
        stores = channel_stores(self.settings)
        try:
            address = stores.recovery.contact(sender_id, self.channel)
            if address and self.opt_outs and stores.opt_outs.has_stopped(self.channel, address):
                logger.info("A check-in was not sent: the %s number sent STOP", self.channel)
                return None
        except SQLAlchemyError as error:
            logger.error("Could not read a %s check-in address (%s): not sent", self.channel, type(error).__name__)
            return None
        if address is None:
            logger.info("No %s address kept for a check-in: it is in the conversation only", self.channel)
        return address

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        address = await asyncio.to_thread(self.address, recipient_id)
        if address is not None:
            await self.reply(address).send_response(recipient_id, message)
