"""The inbox's collection rules, on trackers built from Rasa's own events and stored in Rasa's
SQL tracker store (the collector reads the `events` table Rasa writes)."""
import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.inbox.collect import collect, sightings
from bot.storage import create_engine

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
THRESHOLD = 0.5


def user(text, intent, confidence=0.9, classifier=None, detector="none", flags=(), ranking=None, minutes=0):
    reading = {"classifier": classifier or intent, "classifier_confidence": confidence, "detector": detector,
               "flags": list(flags)}
    parse_data = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": [],
                  "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
                  "red_flag_reading": reading}
    return UserUttered(text, parse_data["intent"], [], parse_data,
                       timestamp=(NOW - timedelta(hours=1) + timedelta(minutes=minutes)).timestamp())


def bot(response, minutes=0):
    stamp = (NOW - timedelta(hours=1) + timedelta(minutes=minutes)).timestamp()
    return [ActionExecuted(response, timestamp=stamp),
            BotUttered("...", metadata={"utter_action": response}, timestamp=stamp)]


def tracker(*turns, sender="patient-1"):
    events = [event for turn in turns for event in (turn if isinstance(turn, list) else [turn])]
    return DialogueStateTracker.from_events(sender, events)


def found(*turns):
    events = [e.as_dict() for e in tracker(*turns).events]
    return {s.text: s for s in sightings("patient-1", events, THRESHOLD, NOW)}


def test_a_fallback_is_collected_with_the_best_real_intent_as_suggestion():
    got = found(user("my shin feels like its fizzing", "nlu_fallback", 0.75,
                     ranking=[{"name": "nlu_fallback", "confidence": 0.75}, {"name": "cause_nerve_healing",
                                                                               "confidence": 0.2}]),
                bot("utter_default"))
    item = got["my shin feels like its fizzing"]
    assert item.reasons == ("fallback",) and item.intent == "nlu_fallback"
    assert item.suggested == "cause_nerve_healing" and item.detector == "none"


def test_low_confidence_is_collected_and_a_confident_answer_is_not():
    got = found(user("can i swim yet", "lifestyle_habits", 0.31), bot("utter_lifestyle_habits"),
                user("how long will my leg hurt", "duration_overview", 0.93, minutes=1),
                bot("utter_duration_overview", 1))
    assert list(got) == ["can i swim yet"]
    assert got["can i swim yet"].reasons == ("low_confidence",) and got["can i swim yet"].confidence == 0.31


@pytest.mark.parametrize("classifier, detector, flags, final, collected", [
    ("duration_overview", "emergency", ["saddle_numbness"], "red_flag_emergency", True),   # detector only
    ("red_flag_urgent", "none", [], "red_flag_urgent", True),                             # classifier only
    ("red_flag_emergency", "emergency", ["saddle_numbness"], "red_flag_emergency", False),  # both
    ("duration_overview", "none", [], "duration_overview", False),                        # neither
])
def test_a_red_flag_heard_by_only_one_reader_is_collected(classifier, detector, flags, final, collected):
    got = found(user("my bum feels a bit odd", final, 1.0, classifier=classifier, detector=detector, flags=flags))
    assert bool(got) is collected
    if collected:
        item = got["my bum feels a bit odd"]
        assert item.reasons == ("red_flag_disagreement",)
        assert item.suggested == ("red_flag_emergency" if detector != "none" else "red_flag_urgent")
        assert item.detector == ("emergency: saddle_numbness" if flags else "none")


def test_a_screening_left_for_another_question_is_collected():
    got = found(user("my leg is getting worse", "pain_worsening", 0.8), bot("utter_screening_intro"),
                bot("utter_ask_screen_emergency"), user("can i drive", "lifestyle_driving", 0.9, minutes=1))
    assert got["my leg is getting worse"].reasons == ("screening_abandoned",)


def test_a_screening_answered_is_not_collected_and_one_left_unanswered_is_after_a_while():
    answered = found(user("my leg is getting worse", "pain_worsening", 0.8), bot("utter_ask_screen_emergency"),
                     user("no", "deny", 0.99, minutes=1))
    assert answered == {}
    silent = found(user("my leg is getting worse", "pain_worsening", 0.8), bot("utter_ask_screen_emergency"))
    assert silent["my leg is getting worse"].reasons == ("screening_abandoned",)


def test_feedback_collects_the_message_before_it_typed_or_from_the_thumbs_down():
    for feedback in ("that didnt help", "/feedback_unhelpful"):
        got = found(user("what helps with burning pain", "manage_overview", 0.9), bot("utter_manage_overview"),
                    user(feedback, "feedback_unhelpful", 1.0, minutes=1), bot("utter_feedback_unhelpful", 1))
        assert list(got) == ["what helps with burning pain"]
        assert got["what helps with burning pain"].reasons == ("feedback",)


def test_collected_text_is_redacted_and_button_payloads_are_skipped():
    got = found(user("my name is John Smith, call 555-222-3333", "nlu_fallback", 0.7),
                user("/affirm", "affirm", 0.1, minutes=1))
    assert list(got) == ["my name is [NAME], call [PHONE]"]


def test_collect_reads_rasas_sql_tracker_store(tmp_path):
    url = f"sqlite:///{tmp_path}/assistant.db"
    store = SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "assistant.db"))
    asyncio.run(store.save(tracker(user("knee wobbly and weird", "nlu_fallback", 0.8), bot("utter_default"),
                                   sender="patient-9")))
    asyncio.run(store.save(tracker(user("how long will my leg hurt", "duration_overview", 0.95),
                                   sender="patient-10")))
    engine = create_engine(url)
    try:
        got = collect(engine, THRESHOLD, now=NOW)
        assert [(s.sender_id, s.text, s.reasons) for s in got] == [
            ("patient-9", "knee wobbly and weird", ("fallback",))]
        assert collect(engine, THRESHOLD, since=NOW + timedelta(days=1), now=NOW) == []
    finally:
        engine.dispose()
        store.engine.dispose()


def test_no_tracker_table_yet_means_nothing_collected(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/empty.db")
    assert collect(engine, THRESHOLD) == []
    engine.dispose()
