"""The pain diary: scores read from words, trends told in words, and when a trend escalates."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.recovery.checkins import schedule
from bot.recovery.diary import Entry, assess, chart_svg, read_score, trend_words

START = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
NEW_YORK = ZoneInfo("America/New_York")


def diary(*scores, every=timedelta(days=1)):
    return [Entry(START + i * every, score) for i, score in enumerate(scores)]


@pytest.mark.parametrize("text, found", [
    ("My pain is 6/10 today", (6, None)),
    ("pain 3", (3, None)),
    ("leg pain 7 out of 10", (7, "leg")),
    ("back is a 2/10", (2, "back")),
    ("pain is a 10", (10, None)),
    ("5", (5, None)),
    ("a 4 today", (4, None)),
    ("pain level: 0", (0, None)),
    ("my leg and back are 5/10", (5, None)),
    ("pain 3 days after surgery", None),   # a duration, not a score
    ("my pain is bad", None),
    ("11/10", None),
    ("pain started at 10:30", None),
])
def test_reads_a_score(text, found):
    assert read_score(text) == found


@pytest.mark.parametrize("scores", [
    (7, 5, 3, 6),        # improved to 3, then up 3
    (6, 4, 2, 2, 5),
    (5, 1, 9),
])
def test_a_jump_after_improvement_escalates(scores):
    assert assess(diary(*scores)).reason == "jump"


@pytest.mark.parametrize("scores", [
    (7, 5, 3, 5),        # up 2 only
    (2, 5),              # no period of improvement before the low
    (2, 3, 4, 5),        # slowly worse from the start: not a jump after improvement
    (6, 5, 4, 3),        # getting better
    (4,),                # one entry
    (),
])
def test_no_jump_does_not_escalate(scores):
    assert not assess(diary(*scores)).escalates


def test_an_old_low_outside_the_window_does_not_count():
    entries = diary(7, 2) + [Entry(START + timedelta(days=30), 4), Entry(START + timedelta(days=31), 5)]
    assert not assess(entries).escalates


def test_severe_pain_that_persists_escalates():
    assert assess(diary(8, 9, every=timedelta(hours=12))).reason == "severe"
    assert assess(diary(5, 8, 9, 8, every=timedelta(hours=8))).reason == "severe"


def test_severe_pain_once_or_briefly_does_not_escalate():
    assert not assess(diary(4, 9)).escalates
    assert not assess(diary(9, 9, every=timedelta(hours=1))).escalates
    assert not assess(diary(9, 7, 9)).escalates   # it eased in between (by less than a jump)


def test_trend_in_words():
    assert trend_words(diary(7, 5, 3)) == ("better", [7, 5, 3])
    assert trend_words(diary(7, 5, 3, 6)) == ("worse", [7, 5, 3, 6])   # lower than at first, up since
    assert trend_words(diary(4, 4)) == ("same", [4, 4])
    assert trend_words(diary(4)) == ("one", [4])
    assert trend_words(diary(*range(10))) == ("worse", [3, 4, 5, 6, 7, 8, 9])  # the last seven
    assert trend_words([]) is None


def test_chart_has_one_point_per_recent_score():
    svg = chart_svg(diary(7, 5, 3))
    points = svg.split('points="')[1].split('"')[0].split()
    assert svg.startswith("<svg") and len(points) == 3
    assert [int(point.split(",")[1]) for point in points] == [24, 40, 56]  # higher pain, higher point


def test_checkins_are_the_milestones_still_ahead_at_the_clinics_morning():
    surgery = datetime(2026, 11, 20).date()
    assert [day for day, _ in schedule(surgery, START, NEW_YORK)] == [3, 14, 42]
    later = schedule(surgery, datetime(2026, 12, 10, tzinfo=timezone.utc), NEW_YORK)
    assert [(day, when.astimezone(timezone.utc).isoformat()) for day, when in later] == [
        (42, "2027-01-01T15:00:00+00:00")]  # 10:00 in New York
    summer = schedule(datetime(2026, 6, 1).date(), datetime(2026, 6, 1, tzinfo=timezone.utc), NEW_YORK)
    assert summer[0][1].astimezone(timezone.utc).hour == 14  # daylight saving time: still 10:00 there
    assert schedule(surgery, datetime(2027, 2, 1, tzinfo=timezone.utc), NEW_YORK) == []
