"""When the check-in messages go out: milestones counted from the surgery date.

Day 3 (the first days' discomfort), week 2 (residual pain) and week 6 (the article's mark past
which pain should be checked). They are Rasa reminders (ReminderScheduled), so any channel that
can send first delivers them; each one is a short question recorded like a diary entry.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta, timezone
from typing import List, Tuple

from bot.vocabulary import CHECKIN_INTENT

INTENT = CHECKIN_INTENT  # what a fired check-in sends (a rule answers it with utter_checkin)
MILESTONE_DAYS = (3, 14, 42)
# 15:00 UTC is morning across the continental US (7:00 Pacific, 10:00 Eastern), where the clinic is.
SEND_AT = time(15, 0, tzinfo=timezone.utc)
PREFIX = "checkin_day_"


def reminder_name(day: int, sender_id: str) -> str:
    """Unique per patient: Rasa's scheduler uses the name as the job id across all conversations,
    so a shared name would replace another patient's check-in. The same patient asking again
    replaces their own. A digest, so the scheduler's job list does not show phone numbers."""
    return f"{PREFIX}{day}_{hashlib.sha256(sender_id.encode()).hexdigest()[:16]}"


def schedule(surgery: date, now: datetime, sender_id: str) -> List[Tuple[str, datetime]]:
    """(reminder name, when) of the milestones still ahead of `now` (aware), soonest first."""
    moments = [(reminder_name(day, sender_id), datetime.combine(surgery + timedelta(days=day), SEND_AT))
               for day in MILESTONE_DAYS]
    return [(name, when) for name, when in moments if when > now]
