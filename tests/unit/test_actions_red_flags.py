"""After the advice, the escalation is stored: tier, flags, channel, hashed sender; never text."""
from datetime import datetime, timedelta, timezone

import pytest

from actions import database
from actions.red_flags import ActionRecordEscalation


@pytest.fixture
def repositories(stores):
    return stores.escalations


def advice_events(text, intent, advice, entities=()):
    parse = {"text": text, "intent": {"name": intent}, "entities": list(entities)}
    return [
        {"event": "user", "text": text, "input_channel": "rest", "parse_data": parse},
        {"event": "action", "name": advice},
    ]


def recorded(repositories):
    return repositories.since(datetime.now(timezone.utc) - timedelta(minutes=1))


def test_emergency_from_the_detector_is_stored_with_its_flags(repositories, dispatcher, tracker_for, domain_dict):
    entities = [{"entity": "red_flag", "value": "bladder_bowel_control"}]
    text = "i peed myself and cant feel my legs"
    tracker = tracker_for(text, "red_flag_emergency", entities=entities,
                          events=advice_events(text, "red_flag_emergency", "utter_red_flag_emergency", entities))
    assert ActionRecordEscalation().run(dispatcher, tracker, domain_dict) == []
    [row] = recorded(repositories)
    assert (row.tier, row.flags, row.channel) == ("emergency", ("bladder_bowel_control",), "rest")
    assert row.sender_hash != "test-patient" and "test-patient" not in row.sender_hash
    assert dispatcher.messages == []  # the advice came from the rule, before this action


def test_classifier_only_escalation_is_stored(repositories, dispatcher, tracker_for, domain_dict):
    text = "wound is oozing"
    tracker = tracker_for(text, "red_flag_urgent",
                          events=advice_events(text, "red_flag_urgent", "utter_red_flag_urgent"))
    ActionRecordEscalation().run(dispatcher, tracker, domain_dict)
    [row] = recorded(repositories)
    assert (row.tier, row.flags) == ("urgent", ("classifier",))


def test_screening_outcome_is_stored(repositories, dispatcher, tracker_for, domain_dict):
    events = advice_events("no", "deny", "utter_red_flag_routine")
    tracker = tracker_for("no", "deny", events=events)
    ActionRecordEscalation().run(dispatcher, tracker, domain_dict)
    [row] = recorded(repositories)
    assert (row.tier, row.flags) == ("routine", ("screening_routine",))


def test_nothing_is_stored_without_advice_this_turn(repositories, dispatcher, tracker_for, domain_dict):
    ActionRecordEscalation().run(dispatcher, tracker_for("hi", "greet"), domain_dict)
    assert recorded(repositories) == []


def test_a_database_failure_never_breaks_the_turn(monkeypatch, dispatcher, tracker_for, domain_dict):
    def broken():
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(database, "stores", broken)
    text = "i cant pee"
    tracker = tracker_for(text, "red_flag_emergency",
                          events=advice_events(text, "red_flag_emergency", "utter_red_flag_emergency"))
    assert ActionRecordEscalation().run(dispatcher, tracker, domain_dict) == []
    assert dispatcher.messages == []
