"""The surgery date is read offline, as of a controlled 'today', and never guessed."""
from datetime import date

import pytest

from bot.recovery.surgery_date import FUTURE, IMPOSSIBLE, TOO_OLD, UNCLEAR, read_surgery_date

TODAY = date(2026, 12, 2)  # a Wednesday


@pytest.mark.parametrize("text, expected", [
    # relative
    ("I had surgery 10 days ago", date(2026, 11, 22)),
    ("surgery was 2 weeks ago", date(2026, 11, 18)),
    ("my op was three weeks ago today", date(2026, 11, 11)),
    ("they operated yesterday", date(2026, 12, 1)),
    ("the day before yesterday", date(2026, 11, 30)),
    ("I had surgery this morning", TODAY),
    ("last Tuesday", date(2026, 12, 1)),
    ("my microdiscectomy was on friday", date(2026, 11, 27)),
    ("it was last wednesday", date(2026, 11, 25)),  # not today: a week ago
    ("im 3 weeks out", date(2026, 11, 11)),
    # absolute
    ("I had surgery on March 3rd", date(2026, 3, 3)),
    ("on the 12th of november", date(2026, 11, 12)),
    ("3 Mar 2026", date(2026, 3, 3)),
    ("sept 30", date(2026, 9, 30)),
    ("2026-10-20", date(2026, 10, 20)),
    ("11/18/2026", date(2026, 11, 18)),
    ("14/11", date(2026, 11, 14)),
    ("December 20", date(2025, 12, 20)),  # no year and still ahead: last year's
    # typos
    ("surgery was on Marhc 3", date(2026, 3, 3)),
    ("febuary 10th", date(2026, 2, 10)),
    ("novemebr 5", date(2026, 11, 5)),
])
def test_reads_dates(text, expected):
    reading = read_surgery_date(text, TODAY)
    assert (reading.date, reading.problem) == (expected, None)


@pytest.mark.parametrize("text, problem", [
    ("3/4", UNCLEAR),                 # the 3rd of April or the 4th of March?
    ("3/4/2026", UNCLEAR),
    ("last week", UNCLEAR),
    ("in march", UNCLEAR),            # which day?
    ("march 3 or april 4", UNCLEAR),
    ("a while back", UNCLEAR),
    ("I may have had it on the 3rd", UNCLEAR),  # "may" the verb; no month
    ("", UNCLEAR),
    ("tomorrow", FUTURE),
    ("2026-12-25", FUTURE),
    ("December 25 2026", FUTURE),
    ("in 3 days", UNCLEAR),
    ("February 30", IMPOSSIBLE),
    ("31/11/2026", IMPOSSIBLE),
    ("2026-13-01", IMPOSSIBLE),
    ("April 31st", IMPOSSIBLE),
    ("March 3 2015", TOO_OLD),
])
def test_unclear_future_and_impossible_dates_are_not_guessed(text, problem):
    reading = read_surgery_date(text, TODAY)
    assert (reading.date, reading.problem) == (None, problem)


def test_may_the_month_is_still_read():
    assert read_surgery_date("on May 5", TODAY).date == date(2026, 5, 5)
    assert read_surgery_date("the 5th of may", TODAY).date == date(2026, 5, 5)
    assert read_surgery_date("I may have had it on March 3", TODAY).date == date(2026, 3, 3)


def test_a_leap_day_exists_only_in_leap_years():
    assert read_surgery_date("29 February 2024", TODAY).date == date(2024, 2, 29)
    assert read_surgery_date("29 February 2025", TODAY).problem == IMPOSSIBLE
