"""When the check-in messages go out: milestones counted from the surgery date.

Day 3 (the first days' discomfort), week 2 (residual pain) and week 6 (the article's mark past
which pain should be checked), at 10:00 in the clinic's time zone (CLINIC_TIMEZONE). Each is a
Rasa reminder (sent on the channel the patient asked on, while the Rasa server runs) and a row in
the database (bot/storage/recovery.py: due, sent), from which bot/recovery/delivery.py sends the
ones a restart lost. Each is a short question recorded like a diary entry.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta, tzinfo
from typing import List, Tuple

from bot.vocabulary import CHECKIN_INTENT

INTENT = CHECKIN_INTENT  # what a due check-in sends (a rule answers it with action_checkin)
MILESTONE_DAYS = (3, 14, 42)
SEND_AT = time(10, 0)  # the clinic's morning, in its own time zone
PREFIX = "checkin_day_"


def reminder_name(day: int, sender_id: str) -> str:
    """Unique per patient: Rasa's scheduler uses the name as the job id across all conversations,
    so a shared name would replace another patient's check-in. The same patient asking again
    replaces their own. A digest, so the scheduler's job list does not show sender ids."""
    return f"{PREFIX}{day}_{hashlib.sha256(sender_id.encode()).hexdigest()[:16]}"


def schedule(surgery: date, now: datetime, zone: tzinfo) -> List[Tuple[int, datetime]]:
    """(milestone day, when) of the check-ins still ahead of `now` (aware), soonest first."""
    moments = [(day, datetime.combine(surgery + timedelta(days=day), SEND_AT, tzinfo=zone))
               for day in MILESTONE_DAYS]
    return [(day, when) for day, when in moments if when > now]
