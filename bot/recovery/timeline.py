"""The article's stages of leg pain, by how long ago the operation was.

Kept apart from the Rasa action so the rule is plain Python: the action server answers with it
(actions/recovery_timeline.py, with a returning patient's saved date), and so does the Rasa server
when no action server answers (bot/action_fallbacks.py), from what the conversation holds.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Dict, List, Optional

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


MEDICATION = "manage_medication"
# The general answer of each stage question (its intent), when no time or date is known.
GENERAL_ANSWERS = {"leg_pain_normal": "utter_leg_pain_normal",
                   "duration_overview": "utter_duration_overview",
                   MEDICATION: "utter_manage_medication"}
# A message as the action's dispatcher takes it: a response name and its template values.
Message = Dict[str, Any]


def surgery_date_of(tracker: Any) -> Optional[date]:
    """The conversation's surgery date (slot `surgery_date`, ISO), from a rasa-sdk or a Rasa
    tracker alike (both have `get_slot`); None when unset or unreadable."""
    value = tracker.get_slot("surgery_date")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def stage_messages(surgery: date, today: date) -> List[Message]:
    """The stage answer and the six-week mark, for a known surgery date."""
    days = (today - surgery).days
    mark = surgery + timedelta(days=SIX_WEEKS)
    messages: List[Message] = [{"response": stage_response(max(days, 1)),
                                "time_since_surgery": stage_words(days)}]
    if today <= mark:
        messages.append({"response": "utter_six_week_mark", "six_week_date": f"{mark:%B} {mark.day}"})
    return messages


def stage_answer(intent: Optional[str], text: str, said: Optional[str], surgery: Optional[date],
                 today: date) -> List[Message]:
    """The answer to a stage question ("is this normal?", "how long?", "when do I stop my pain
    medicine?"): the time said in the message (`said`, the entity, else found in `text`), else
    the stage of the surgery date, else the general answer. The medicine question always gets
    its own answer first, the stage after it."""
    messages: List[Message] = [{"response": GENERAL_ANSWERS[MEDICATION]}] if intent == MEDICATION else []
    days = days_since_surgery(said or text)
    if days is not None:
        return messages + [{"response": stage_response(days), "time_since_surgery": said}]
    if surgery is not None:
        return messages + stage_messages(surgery, today)
    return messages or [{"response": GENERAL_ANSWERS.get(intent or "", "utter_duration_overview")}]
