"""How `make evaluate` scores several questions in one message (bot/tooling/evaluation/multi_question.py)."""
import pytest

from bot.tooling.evaluation import multi_question as mq
from bot.vocabulary import NOT_A_QUESTION


@pytest.fixture(scope="module")
def first():
    return mq.first_responses()


@pytest.fixture(scope="module")
def responses():
    return mq.domain_responses()


def parsed(intent, *questions):
    return {"intent": {"name": intent, "confidence": 0.9},
            "questions": [{"text": q, "intent": q, "confidence": 0.9} for q in questions]}


def test_the_first_response_comes_from_the_rules(first):
    assert first["lifestyle_driving"] == "utter_lifestyle_driving"
    assert first["red_flag_urgent"] == "utter_red_flag_urgent"
    assert first["pain_worsening"] == "utter_screening_intro"
    assert first["request_callback"] == "callback_form"
    assert first["deny"] == "utter_deny_outside_questions"  # not the rule for a 'no' in a form


def test_every_question_answered(first, responses):
    row = mq.judge({"text": "t", "intents": ["lifestyle_driving", "lifestyle_lifting"]},
                   parsed("lifestyle_lifting", "lifestyle_driving", "lifestyle_lifting"), first, responses)
    assert row["main"] == "lifestyle_lifting" and row["added"] == ["lifestyle_driving"]
    assert row["unanswered"] == [] and row["wrong_added"] == []


def test_without_the_questions_only_one_is_answered(first, responses):
    row = mq.judge({"text": "t", "intents": ["lifestyle_driving", "lifestyle_lifting"]},
                   parsed("lifestyle_lifting", "lifestyle_driving", "lifestyle_lifting"), first, responses,
                   with_questions=False)
    assert row["unanswered"] == ["lifestyle_driving"]


def test_a_red_flag_is_answered_by_advice_of_its_tier_or_higher(first, responses):
    case = {"text": "t", "intents": ["red_flag_urgent", "manage_medication"]}
    assert mq.judge(case, parsed("red_flag_emergency", "manage_medication"), first, responses)["unanswered"] == []
    row = mq.judge(case, parsed("manage_medication", "red_flag_urgent", "manage_medication"), first, responses)
    assert row["unanswered"] == ["red_flag_urgent"]  # never answered by an add-on


def test_an_answer_nobody_asked_for_is_wrong(first, responses):
    row = mq.judge({"text": "t", "intents": ["manage_physical_therapy", "manage_physical_therapy"]},
                   parsed("manage_physical_therapy", "manage_physical_therapy", "when_to_seek_care"), first, responses)
    assert row["asked"] == ["manage_physical_therapy"] and row["wrong_added"] == ["when_to_seek_care"]


def test_the_set_is_large_realistic_and_labelled_with_domain_intents(responses):
    cases = mq.load_cases()
    several = [c for c in cases if len(set(c["intents"])) >= 2]
    assert len(several) >= 40
    assert all(len(c["intents"]) <= 3 for c in cases)
    intents = {i for c in cases for i in c["intents"]}
    assert not intents & set(NOT_A_QUESTION), "small talk is left out of the labels"
    assert {i for i in intents if f"utter_{i}" not in responses} <= {
        "request_callback", "pain_worsening"}, "every other label is an intent with an answer"


def test_figures(monkeypatch):
    monkeypatch.setattr(mq, "load_cases", lambda: [
        {"text": "a", "intents": ["lifestyle_driving", "lifestyle_lifting"]},
        {"text": "b", "intents": ["manage_medication", "manage_ice_heat"]},
        {"text": "c", "intents": ["lifestyle_sitting"]}])
    answers = {"a": parsed("lifestyle_driving", "lifestyle_driving", "lifestyle_lifting"),
               "b": parsed("manage_medication"),
               "c": parsed("lifestyle_sitting", "lifestyle_sitting", "barricaid"),
               "held": parsed("greet")}
    figures = mq.evaluate(answers.__getitem__, [("held", "greet", answers["held"])])
    assert figures["all_answered"] == {"count": 1, "of": 2, "share": 0.5}
    assert figures["all_answered_without_questions"]["count"] == 0
    assert figures["questions_answered"] == {"count": 3, "of": 4, "share": 0.75}
    assert figures["wrong_added"]["count"] == 0
    assert figures["wrong_added_one_question"] == {"count": 1, "of": 1, "share": 1.0}
    assert figures["wrong_added_heldout"]["count"] == 0
    assert [r["text"] for r in figures["failures"]] == ["b", "c"]
