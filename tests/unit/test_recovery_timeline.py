"""The patient's stage of recovery decides which part of the article they hear."""
import pytest

from actions.recovery_timeline import ActionAnswerRecoveryStage
from bot.recovery.timeline import days_since_surgery, stage_response


@pytest.mark.parametrize(
    "text, days",
    [
        ("im 3 weeks out", 21),
        ("10 days after surgery", 10),
        ("two wks post op", 14),
        ("had it a week ago", 7),
        ("2 months since my op", 60),
        ("1.5 weeks", 10),
        ("5d post-op", 5),
        ("my leg hurts", None),
        ("", None),
    ],
)
def test_reads_how_long_ago_surgery_was(text, days):
    assert days_since_surgery(text) == days


@pytest.mark.parametrize(
    "days, response",
    [
        (1, "utter_stage_first_days"),
        (7, "utter_stage_first_days"),
        (8, "utter_stage_recovery_weeks"),
        (42, "utter_stage_recovery_weeks"),
        (43, "utter_stage_beyond_six_weeks"),
        (120, "utter_stage_beyond_six_weeks"),
    ],
)
def test_stage_follows_the_article_timeline(days, response):
    assert stage_response(days) == response


def test_action_answers_for_the_patients_week(dispatcher, tracker_for, domain_dict):
    tracker = tracker_for(
        "im 3 weeks out and my leg hurts, normal?",
        intent="leg_pain_normal",
        entities=[{"entity": "time_since_surgery", "value": "3 weeks"}],
    )
    events = ActionAnswerRecoveryStage().run(dispatcher, tracker, domain_dict)
    assert events == []
    assert dispatcher.messages[0]["response"] == "utter_stage_recovery_weeks"
    assert dispatcher.messages[0]["time_since_surgery"] == "3 weeks"
    assert "utter_stage_recovery_weeks" in domain_dict["responses"]


def test_action_beyond_six_weeks_sends_patient_to_the_doctor(dispatcher, tracker_for, domain_dict):
    tracker = tracker_for(
        "2 months and still hurting", intent="leg_pain_normal",
        entities=[{"entity": "time_since_surgery", "value": "2 months"}],
    )
    ActionAnswerRecoveryStage().run(dispatcher, tracker, domain_dict)
    assert dispatcher.messages[0]["response"] == "utter_stage_beyond_six_weeks"
    assert "{clinic_phone}" in domain_dict["responses"]["utter_stage_beyond_six_weeks"][0]["text"]


def test_action_without_a_duration_gives_the_general_answer(stores, dispatcher, tracker_for, domain_dict):
    ActionAnswerRecoveryStage().run(dispatcher, tracker_for("is it normal", intent="leg_pain_normal"), domain_dict)
    assert [m["response"] for m in dispatcher.messages] == ["utter_leg_pain_normal"]
