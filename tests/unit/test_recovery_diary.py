"""The pain diary: scores read from words, trends told in words, and when a trend escalates."""
from datetime import datetime, timedelta, timezone

import pytest

from bot.recovery.checkins import schedule
from bot.recovery.diary import Entry, assess, chart_svg, read_score, trend_words

START = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


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


def test_checkins_are_the_milestones_still_ahead():
    surgery = datetime(2026, 11, 20).date()
    names = [name.rsplit("_", 1)[0] for name, _ in schedule(surgery, START, "p1")]
    assert names == ["checkin_day_3", "checkin_day_14", "checkin_day_42"]
    later = schedule(surgery, datetime(2026, 12, 10, tzinfo=timezone.utc), "p1")
    later = [(name.rsplit("_", 1)[0], when.date().isoformat()) for name, when in later]
    assert later == [("checkin_day_42", "2027-01-01")]
    assert schedule(surgery, datetime(2027, 2, 1, tzinfo=timezone.utc), "p1") == []
