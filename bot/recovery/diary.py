"""The pain diary's rules: reading a 0-10 score, the trend in words, and when a trend escalates.

The article names two signs a diary can show: "leg pain that suddenly gets worse after it had
been getting better" and "severe, unrelenting pain". Read here as:
- a jump: the new score is JUMP or more points above the lowest score of the last WINDOW,
  and that low came after a higher score (a period of improvement);
- persisting severe pain: SEVERE or more in every entry for at least PERSISTS, two entries at least.
Either one gets the urgent tier's advice (docs/SAFETY.md), like a sign the patient states.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Sequence, Tuple

JUMP = 3
SEVERE = 8
WINDOW = timedelta(days=14)
PERSISTS = timedelta(hours=12)
AREAS = ("leg", "back")
SHOWN = 7  # scores "how am I doing?" lists

# "6/10", "6 out of 10", "pain 3", "pain is a 7", "pain level: 5", "7 today"
_SCORE = re.compile(
    r"\b(?P<a>10|\d)\s*(?:/|out of|of)\s*10\b"
    r"|\bpain(?:\s+(?:is|was|level|score|at|of|about|around|today|now))*[\s:=]*(?:a\s+)?(?P<b>10|\d)\b(?!\s*(?:days?|weeks?|months?|am|pm|[/:.]\d))",
    re.IGNORECASE,
)
_BARE = re.compile(r"^\s*(?:a\s+)?(10|\d)\s*(?:today|now|please)?[.!]?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    at: datetime
    score: int
    area: Optional[str] = None


@dataclass(frozen=True)
class Assessment:
    """Whether the diary escalates, and why ("jump" or "severe"); None when it does not."""

    reason: Optional[str] = None

    @property
    def escalates(self) -> bool:
        return self.reason is not None


def read_score(text: str) -> Optional[Tuple[int, Optional[str]]]:
    """(score 0-10, "leg"/"back" or None) from a message, or None when it holds no score."""
    text = str(text or "")
    match = _SCORE.search(text) or _BARE.match(text)
    if not match:
        return None
    score = int(next(group for group in match.groups() if group is not None))
    lowered = text.lower()
    areas = [area for area in AREAS if re.search(rf"\b{area}\b", lowered)]
    return score, areas[0] if len(areas) == 1 else None


def assess(entries: Sequence[Entry]) -> Assessment:
    """The escalation rule over a patient's entries (any order); the newest is the one just told."""
    ordered = sorted(entries, key=lambda entry: entry.at)
    if len(ordered) < 2:
        return Assessment()
    latest, earlier = ordered[-1], [e for e in ordered[:-1] if e.at >= ordered[-1].at - WINDOW]
    if _persisting_severe(ordered):
        return Assessment("severe")
    if earlier:
        low = min(range(len(earlier)), key=lambda i: (earlier[i].score, -i))
        improved = any(entry.score > earlier[low].score for entry in earlier[:low])
        if improved and latest.score - earlier[low].score >= JUMP:
            return Assessment("jump")
    return Assessment()


def _persisting_severe(ordered: Sequence[Entry]) -> bool:
    run: List[Entry] = []
    for entry in reversed(ordered):
        if entry.score < SEVERE:
            break
        run.append(entry)
    return len(run) >= 2 and run[0].at - run[-1].at >= PERSISTS


def trend_words(entries: Sequence[Entry]) -> Optional[Tuple[str, List[int]]]:
    """(direction, the last SHOWN scores of the last WINDOW, oldest first); None without entries.

    direction: "one" (a single score), or the latest against the one before it: "better",
    "worse" or "same". The latest change is what a patient asking "how am I doing?" needs
    first; the list shows the longer run.
    """
    ordered = sorted(entries, key=lambda entry: entry.at)
    if not ordered:
        return None
    scores = [e.score for e in ordered if e.at >= ordered[-1].at - WINDOW][-SHOWN:]
    if len(scores) == 1:
        return "one", scores
    last, before = scores[-1], scores[-2]
    return ("better" if last < before else "worse" if last > before else "same"), scores


def chart_svg(entries: Sequence[Entry], width: int = 240, height: int = 80) -> str:
    """A small line chart of the recent scores (0 at the bottom, 10 at the top) for the web widget."""
    ordered = sorted(entries, key=lambda entry: entry.at)
    recent = [e for e in ordered if e.at >= ordered[-1].at - WINDOW] if ordered else []
    step = width / max(len(recent) - 1, 1)
    points = " ".join(f"{i * step:.0f},{height - e.score * height / 10:.0f}" for i, e in enumerate(recent))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="pain scores, 0 to 10">'
            f'<polyline fill="none" stroke="currentColor" stroke-width="2" points="{points}"/></svg>')
