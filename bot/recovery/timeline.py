"""The article's stages of leg pain, by how long ago the operation was.

Kept apart from the Rasa action so the rule (and later a stored surgery date) is plain Python.
"""
from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from typing import Optional

# The article: discomfort right after surgery; residual pain in the following weeks;
# most stop pain medicine within 4 to 6 weeks; pain beyond 6 weeks should be checked.
FIRST_DAYS = 7
SIX_WEEKS = 42

_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30}
_DURATION = re.compile(
    r"\b(?P<n>\d{1,3}(?:[.,]5)?|" + "|".join(_WORDS) + r")\s*(?:-|\s)?\s*"
    r"(?P<unit>days?|d|weeks?|wks?|w|months?|mos?|mths?)\b",
    re.IGNORECASE,
)


def clinic_today(moment: datetime, zone: tzinfo) -> date:
    """The clinic's calendar day at `moment` (aware): at 23:30 in New York it is already the
    next day in UTC, and "today", "yesterday" and days since surgery follow the clinic."""
    if moment.tzinfo is None:
        raise ValueError("use a timezone-aware datetime")
    return moment.astimezone(zone).date()


def days_since_surgery(text: str) -> Optional[int]:
    """Finds the first duration like '3 weeks', '10 days', 'two wks' in the text."""
    match = _DURATION.search(text or "")
    if not match:
        return None
    raw = match.group("n").lower().replace(",", ".")
    number = _WORDS[raw] if raw in _WORDS else float(raw)
    return round(number * _UNIT_DAYS[match.group("unit")[0].lower()])


def stage_response(days: int) -> str:
    """The domain response for a patient `days` after surgery."""
    if days <= FIRST_DAYS:
        return "utter_stage_first_days"
    if days <= SIX_WEEKS:
        return "utter_stage_recovery_weeks"
    return "utter_stage_beyond_six_weeks"


def stage_words(days: int) -> str:
    """How a patient says the time since surgery: "today", "3 days", "3 weeks", "4 months"."""
    if days <= 0:
        return "less than a day"
    if days < 14:
        return "1 day" if days == 1 else f"{days} days"
    if days < 70:
        return f"{days // 7} weeks"
    return f"{days // 30} months"
