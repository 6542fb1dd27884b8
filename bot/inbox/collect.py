"""Which messages the review inbox collects: rules over a conversation's events, read from the
tracker store Rasa already keeps (no second copy of conversations; only the redacted message).

A patient's message is collected when
- the assistant fell back ("sorry, I didn't understand": `nlu_fallback`, or the dialogue's
  `action_default_fallback` right after it);
- its intent's confidence was below `INBOX_CONFIDENCE`;
- only one of the two red-flag readers heard a red flag (the classifier's red-flag intent without
  the detector's sign, or the detector's sign without the classifier's intent: the detector
  reports both views under `red_flag_reading` in the parse data);
- it started a screening the patient left (the next message did not answer the question, or the
  conversation stopped there for `IDLE`);
- the next message was feedback: "that didn't help", or the widget's thumbs-down `/feedback_unhelpful`.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.inbox.redact import redact
from bot.storage.inbox import TEXT_LIMIT, Sighting
from bot.vocabulary import (FALLBACK_INTENT, FEEDBACK_INTENT, INBOX_REASONS, INTENT_OF_TIER, NONE, READING_KEY,
                            REASON_DISAGREEMENT, SCREENING_ANSWERS, SCREENING_QUESTIONS, TIER_OF_INTENT)

# A screening question with no answer for this long counts as left.
IDLE = timedelta(minutes=30)
_CORE_FALLBACK = "action_default_fallback"
_EVENTS = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("timestamp"), sa.column("data"))
Event = Mapping[str, Any]


def _intent(event: Event) -> Dict[str, Any]:
    return (event.get("parse_data") or {}).get("intent") or {}


def _confidence(event: Event) -> float:
    """The classifier's own confidence: the detector may have raised the intent to 1.0 since."""
    parse_data = event.get("parse_data") or {}
    reading = parse_data.get(READING_KEY) or {}
    if "classifier_confidence" in reading:
        return float(reading["classifier_confidence"] or 0.0)
    return float(_intent(event).get("confidence") or 0.0)


def _is_typed(event: Event) -> bool:
    """A message the patient typed (button payloads such as /affirm carry no words to learn from)."""
    text = event.get("text")
    return isinstance(text, str) and bool(text.strip()) and not text.lstrip().startswith("/")


def _uttered(event: Event) -> Optional[str]:
    """The response or action name of a bot or action event."""
    if event.get("event") == "action":
        return event.get("name")
    if event.get("event") == "bot":
        return (event.get("metadata") or {}).get("utter_action")
    return None


def disagreement(parse_data: Mapping[str, Any]) -> bool:
    """True when exactly one of the classifier and the detector heard a red flag."""
    reading = parse_data.get(READING_KEY) or {}
    if not reading:
        return False
    return (reading.get("classifier") in TIER_OF_INTENT) != ((reading.get("detector") or NONE) != NONE)


def _detector_view(parse_data: Mapping[str, Any]) -> str:
    reading = parse_data.get(READING_KEY) or {}
    tier = reading.get("detector") or NONE
    flags = ",".join(reading.get("flags") or [])
    return f"{tier}: {flags}" if flags and tier != NONE else tier


def _suggestion(parse_data: Mapping[str, Any], reasons: Sequence[str]) -> Optional[str]:
    reading = parse_data.get(READING_KEY) or {}
    if REASON_DISAGREEMENT in reasons:
        tier = reading.get("detector") or NONE
        return INTENT_OF_TIER.get(tier) or reading.get("classifier")
    chosen = (parse_data.get("intent") or {}).get("name")
    skip = {FALLBACK_INTENT, FEEDBACK_INTENT} | ({chosen} if "feedback" in reasons else set())
    for entry in parse_data.get("intent_ranking") or []:
        if entry.get("name") not in skip:
            return entry.get("name")
    return None


def rules(events: Sequence[Event], threshold: float, now: datetime) -> Dict[int, List[str]]:
    """Index of each user event to collect -> its reasons (in INBOX_REASONS order)."""
    found: Dict[int, set] = defaultdict(set)
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    for position, i in enumerate(users):
        event = events[i]
        following = events[i + 1: users[position + 1] if position + 1 < len(users) else len(events)]
        intent = _intent(event)
        if intent.get("name") == FEEDBACK_INTENT:
            earlier = [j for j in users[:position]
                       if _is_typed(events[j]) and _intent(events[j]).get("name") != FEEDBACK_INTENT]
            if earlier:
                found[earlier[-1]].add("feedback")
            continue
        if not _is_typed(event):
            continue
        actions = [_uttered(e) for e in following]
        if intent.get("name") == FALLBACK_INTENT or _CORE_FALLBACK in actions:
            found[i].add("fallback")
        elif _confidence(event) < threshold:
            found[i].add("low_confidence")
        if disagreement(event.get("parse_data") or {}):
            found[i].add(REASON_DISAGREEMENT)
        if any(a in SCREENING_QUESTIONS for a in actions):
            answer = events[users[position + 1]] if position + 1 < len(users) else None
            if answer is None:
                last = max(float(e.get("timestamp") or 0) for e in events)
                left = now.timestamp() - last >= IDLE.total_seconds()
            else:
                left = _intent(answer).get("name") not in SCREENING_ANSWERS
            if left:
                found[i].add("screening_abandoned")
    return {i: [r for r in INBOX_REASONS if r in reasons] for i, reasons in found.items()}


def sightings(sender_id: str, events: Sequence[Event], threshold: float,
              now: Optional[datetime] = None) -> List[Sighting]:
    """The messages of one conversation to collect, redacted."""
    now = now or datetime.now(timezone.utc)
    result = []
    for i, reasons in sorted(rules(events, threshold, now).items()):
        event = events[i]
        parse_data = event.get("parse_data") or {}
        intent = _intent(event)
        confidence = intent.get("confidence")
        result.append(Sighting(
            sender_id=sender_id, sent_at=datetime.fromtimestamp(float(event.get("timestamp") or 0), timezone.utc),
            reasons=tuple(reasons), text=redact(event.get("text") or "")[:TEXT_LIMIT], intent=intent.get("name"),
            confidence=None if confidence is None else float(confidence), detector=_detector_view(parse_data),
            suggested=_suggestion(parse_data, reasons)))
    return result


def conversations(engine: Engine, since: Optional[datetime] = None) -> Iterable[tuple]:
    """(sender id, events as dicts) for each conversation in the tracker store with an event since
    `since` (all when None). Empty when Rasa has not created its table yet."""
    if not sa.inspect(engine).has_table("events"):
        return []
    senders = sa.select(_EVENTS.c.sender_id).distinct()
    if since is not None:
        senders = senders.where(_EVENTS.c.timestamp >= since.timestamp())
    query = (sa.select(_EVENTS.c.sender_id, _EVENTS.c.data).where(_EVENTS.c.sender_id.in_(senders))
             .order_by(_EVENTS.c.sender_id, _EVENTS.c.id))
    grouped: Dict[str, List[Event]] = defaultdict(list)
    with engine.connect() as connection:
        for sender_id, data in connection.execute(query):
            try:
                grouped[sender_id].append(json.loads(data))
            except (TypeError, ValueError):
                continue  # an event Rasa could not read back either
    return list(grouped.items())


def collect(engine: Engine, threshold: float, since: Optional[datetime] = None,
            now: Optional[datetime] = None) -> List[Sighting]:
    """Every sighting in the tracker store (since `since`), redacted, ready for InboxRepository.add."""
    return [s for sender, events in conversations(engine, since) for s in sightings(sender, events, threshold, now)]
