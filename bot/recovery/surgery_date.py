"""Reads the date of the operation from what a patient typed, offline, and never guesses.

A small rule-based reader: relative phrasings ("10 days ago", "yesterday", "last Tuesday"),
a month name with one day (typos forgiven: "Marhc 3rd"), or a numeric date ("2026-03-03",
"13/3"); python-dateutil does the calendar arithmetic. An unclear reading ("3/4": March or April?,
"last week", a bare number) returns a problem instead of a date, so the bot asks again;
dates in the future and dates that do not exist are refused. Why not a
date-parsing library such as dateparser: docs/RECOVERY.md.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

from dateutil.relativedelta import relativedelta

from bot.recovery.timeline import days_since_surgery

# Problems a reading can have; each has its own answer (domain.yml utter_surgery_date_*).
UNCLEAR, FUTURE, IMPOSSIBLE, TOO_OLD = "unclear", "future", "impossible", "too_old"
# Older than this is more likely a typo in the year than a patient of this article.
OLDEST_YEARS = 5

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
_MONTH_WORDS = {name: name for name in MONTHS}
_MONTH_WORDS.update({name[:3]: name for name in MONTHS})
_MONTH_WORDS.update({"sept": "september"})
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_WORD = re.compile(r"[a-z]+")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_SLASHED = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?\b")
_MAY_MONTH = re.compile(r"\bmay\s+\d|\d(?:st|nd|rd|th)?\s+(?:of\s+)?may\b")
_AGO = re.compile(r"\b(ago|back|out|post|since|after|before)\b")


@dataclass(frozen=True)
class DateReading:
    """A date, or the problem that kept us from reading one (never both)."""

    date: Optional[date] = None
    problem: Optional[str] = None


def _checked(found: date, today: date) -> DateReading:
    if found > today:
        return DateReading(problem=FUTURE)
    if found < today - relativedelta(years=OLDEST_YEARS):
        return DateReading(problem=TOO_OLD)
    return DateReading(date=found)


def _month_of(word: str) -> Optional[str]:
    """The month a word names, forgiving one slip ("Marhc", "Febuary"); None for other words."""
    if word in _MONTH_WORDS:
        return _MONTH_WORDS[word]
    if len(word) < 4:  # "mar" is exact above; short words ("may" aside) are too easy to confuse
        return None
    close = difflib.get_close_matches(word, MONTHS, n=1, cutoff=0.8)
    return close[0] if close else None


def _relative(text: str, today: date) -> Optional[DateReading]:
    if _AGO.search(text):  # "3 weeks ago", "10 days post op"; before "today" ("3 weeks ago today")
        days = days_since_surgery(text)
        if days is not None:
            return _checked(today - timedelta(days=days), today)
    if re.search(r"\bday before yesterday\b", text):
        return _checked(today - timedelta(days=2), today)
    if re.search(r"\byesterday\b", text):
        return _checked(today - timedelta(days=1), today)
    if re.search(r"\b(today|this morning)\b", text):
        return _checked(today, today)
    if re.search(r"\btomorrow\b", text):
        return DateReading(problem=FUTURE)
    if re.search(r"\b(last|this past|past) (week|month)\b", text):
        return DateReading(problem=UNCLEAR)  # which day of it? ask
    weekday = re.search(r"\b(?:(last|this past|past|on|this)\s+)?(" + "|".join(WEEKDAYS) + r")\b", text)
    if weekday:
        back = (today.weekday() - WEEKDAYS.index(weekday.group(2))) % 7 or 7
        return _checked(today - timedelta(days=back), today)
    return None


def _numeric(text: str, today: date) -> Optional[DateReading]:
    iso = _ISO.search(text)
    if iso:
        try:
            return _checked(date(*(int(part) for part in iso.groups())), today)
        except ValueError:
            return DateReading(problem=IMPOSSIBLE)
    slashed = _SLASHED.search(text)
    if not slashed:
        return None
    first, second, year = slashed.groups()
    a, b = int(first), int(second)
    if a <= 12 and b <= 12 and a != b:
        return DateReading(problem=UNCLEAR)  # 3/4: the 3rd of April or the 4th of March?
    month, day = (a, b) if a <= 12 else (b, a)
    return _absolute(day, month, int(year) if year else None, today)


def _absolute(day: int, month: int, year: Optional[int], today: date) -> DateReading:
    if year is not None and year < 100:
        year += 2000
    try:
        found = date(year or today.year, month, day)
    except ValueError:
        return DateReading(problem=IMPOSSIBLE)
    if year is None and found > today:
        try:  # "December 20" said in January: last year's
            found = found.replace(year=today.year - 1)
        except ValueError:  # 29 February
            return DateReading(problem=IMPOSSIBLE)
    return _checked(found, today)


def _named_month(text: str, today: date) -> Optional[DateReading]:
    months = {name for word in _WORD.findall(text) if (name := _month_of(word))}
    if "may" in months and not _MAY_MONTH.search(text):
        months.discard("may")  # the verb ("I may have had it..."), not the month
    if not months:
        return None
    if len(months) > 1:
        return DateReading(problem=UNCLEAR)
    month = MONTHS.index(months.pop()) + 1
    numbers = [int(n) for n in re.findall(r"\b(\d{1,4})(?:st|nd|rd|th)?\b", text)]
    days = [n for n in numbers if n < 100]
    years = [n for n in numbers if n >= 1000]
    if len(days) != 1 or len(years) > 1:
        return DateReading(problem=UNCLEAR)  # "March" alone, or two candidate days
    return _absolute(days[0], month, years[0] if years else None, today)


def read_surgery_date(text: str, today: date) -> DateReading:
    """The surgery date in `text`, as of `today` (the caller's clock), or the problem with it."""
    lowered = " ".join(str(text or "").lower().split())
    for reader in (_numeric, _named_month, _relative):
        reading = reader(lowered, today)
        if reading is not None:
            return reading
    return DateReading(problem=UNCLEAR)
