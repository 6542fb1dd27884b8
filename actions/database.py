"""The action server's one way to the database: the project's stores, built once per process."""
from functools import lru_cache
from typing import Any, Dict
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker

from bot import settings as bot_settings
from bot.storage import Stores


@lru_cache(maxsize=1)
def stores() -> Stores:
    return Stores(bot_settings.load())


def turn_of(tracker: Tracker) -> str:
    """What identifies the patient's latest message (Rasa's message id, else its time), so that
    what the turn records gets the same idempotency key however often the action runs."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return str(_first(event, "message_id", "timestamp"))
    return "no-user-message"


def _first(event: Dict[str, Any], *names: str) -> Any:
    return next((event[name] for name in names if event.get(name)), "")


@lru_cache(maxsize=1)
def clinic_zone() -> ZoneInfo:
    """The clinic's time zone (CLINIC_TIMEZONE): its calendar day is the patients' "today"."""
    return bot_settings.load().clinic_zone
