"""SMS keywords carriers require (CTIA): STOP and its synonyms end messages to that number,
START resumes them, HELP says who is writing and how to reach them. A keyword counts only as
the whole message ("stop", "STOP!"), so "stop the pain" is still a question for the bot.

YES resumes only a number that has stopped: otherwise it answers the bot's question.
"""
from __future__ import annotations

import re
from typing import Optional

from bot.settings import Settings

STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
START_WORDS = {"start", "unstop", "optin"}
START_WHEN_STOPPED = {"yes"}
HELP_WORDS = {"help", "info"}


def keyword(text: str, stopped: bool) -> Optional[str]:
    """"stop", "start" or "help" when the whole message is one of their words, else None."""
    word = re.sub(r"[^a-z]", "", (text or "").lower()) if len((text or "").strip()) <= 20 else ""
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS or (stopped and word in START_WHEN_STOPPED):
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


def reply(kind: str, settings: Settings) -> str:
    """The one confirmation a keyword gets; each keeps the clinic's number and 911."""
    name, phone = settings.clinic_name, settings.clinic_phone
    if kind == "stop":
        return (f"You will get no more messages from {name} here. Reply START to start again. "
                f"To reach {name}, call {phone}. In an emergency, call 911.")
    if kind == "start":
        return (f"Messages from {name} are back on. Ask me about leg pain after your operation. "
                f"Reply HELP for help, STOP to stop. In an emergency, call 911.")
    return (f"This is {name}'s recovery assistant. Call {name} at {phone}. In an emergency, "
            f"call 911. Reply STOP to stop messages.")
