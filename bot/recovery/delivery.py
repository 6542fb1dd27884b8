"""Sends the check-ins a restart lost. While the Rasa server runs, each check-in is its own Rasa
reminder; the database says which are due and not yet sent (bot/storage/recovery.py), and one
still unsent GRACE after its time is one the Rasa server forgot (restarted, or down at the time).
This triggers it through the Rasa server's HTTP API (answered on the channel the patient last
wrote on), and the action that answers the intent marks it sent (actions/recovery.py,
`action_checkin`), so one is sent once however often it is triggered.

The action server runs `send_due` at its start and every CHECK_EVERY seconds
(bot/action_server.py).
"""
from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from typing import Callable

from bot.machine_secrets import api_token
from bot.recovery.checkins import INTENT
from bot.settings import Settings
from bot.storage import Stores

logger = logging.getLogger(__name__)

CHECK_EVERY = 60.0  # seconds between rounds
# How late a check-in must be before it counts as lost: its Rasa reminder, where it still exists,
# goes first (on the channel the patient asked on, which the API cannot always reach).
GRACE = timedelta(minutes=5)
Trigger = Callable[[str], None]  # sends the check-in intent to one conversation (its sender id)


def send_due(stores: Stores, now: datetime, trigger: Trigger) -> int:
    """Trigger the check-in in each conversation with one due for GRACE; how many were triggered.
    A patient whose conversation is gone (deleted, purged) is skipped: nowhere to send it."""
    due = stores.recovery.due_checkins(now - GRACE)
    if not due:
        return 0
    senders = stores.conversations.senders(due)
    sent = 0
    for sender_id in senders.values():
        try:
            trigger(sender_id)
            sent += 1
        except Exception as error:  # noqa: BLE001 - the next round tries again; never the sender id in logs
            logger.error("Could not send a check-in (%s); trying again in %.0f s.", type(error).__name__, CHECK_EVERY)
    return sent


def rasa_trigger(settings: Settings) -> Trigger:
    """Trigger the check-in intent through the Rasa server's HTTP API (RASA_URL, else RASA_PORT
    of this machine, with its token), answered on the channel the patient last wrote on."""
    base = f"{settings.rasa_api_url}/conversations"
    query = urllib.parse.urlencode({"output_channel": "latest", "token": api_token(settings)})
    body = json.dumps({"name": INTENT}).encode()

    def trigger(sender_id: str) -> None:
        url = f"{base}/{urllib.parse.quote(sender_id, safe='')}/trigger_intent?{query}"
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    return trigger
