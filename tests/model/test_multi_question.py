"""Several questions in one message, on the trained assistant (docs/NLU.md, "Several questions in one
message"): tests/nlu/multi_question.yml, never trained on. `make evaluate` reports the same figures."""
from __future__ import annotations

import re

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.settings import PROJECT_ROOT
from bot.tooling.evaluation import multi_question
from bot.tooling.evaluation.multi_question import summary_lines
from bot.vocabulary import is_red_flag_intent

pytestmark = pytest.mark.model

# Floors under what was measured (docs/NLU.md: 83-85% of the messages with every question
# answered, 92-93% of the questions, a wrong answer added to 4-8% of them and to under 1% of the
# held-out single questions), with room for a new intent or two: a drop below them is a regression.
MIN_EVERY_QUESTION_ANSWERED = 0.75
MIN_QUESTIONS_ANSWERED = 0.85
MAX_WRONG_ANSWER_ADDED = 0.12
MAX_WRONG_ANSWER_ADDED_HELDOUT = 0.02


@pytest.fixture(scope="module")
def figures(evaluation):
    return evaluation["multi_question"]


def test_messages_with_several_questions_get_every_answer(figures, figure):
    for line in summary_lines(figures):
        figure(f"trained assistant: {line}")
    for row in figures["failures"]:
        print(f"  asked {row['asked']}, answered {[row['main'], *row['added']]}: {row['text']!r}")
    assert figures["all_answered"]["share"] >= MIN_EVERY_QUESTION_ANSWERED
    assert figures["questions_answered"]["share"] >= MIN_QUESTIONS_ANSWERED


def test_answers_nobody_asked_for_are_rare(figures):
    assert figures["wrong_added"]["share"] <= MAX_WRONG_ANSWER_ADDED
    assert figures["wrong_added_heldout"]["share"] <= MAX_WRONG_ANSWER_ADDED_HELDOUT


def test_a_red_flag_among_other_questions_is_escalated_first(assistant):
    """Its advice is the reply's first answer: the whole message is the red-flag intent."""
    cases = [c for c in multi_question.load_cases() if any(map(is_red_flag_intent, c["intents"]))]
    first = multi_question.first_responses()
    answered = [multi_question.judge(c, assistant.parse(c["text"]), first, multi_question.domain_responses())
                for c in cases]
    assert len(cases) >= 8
    assert [(r["main"], r["text"]) for r in answered if not is_red_flag_intent(r["main"])] == []


def test_a_two_question_message_lists_both_questions(assistant):
    parsed = assistant.parse("when can I drive? and can I pick up my toddler?")
    assert [(q["text"], q["intent"]) for q in parsed["questions"]] == [
        ("when can I drive", "lifestyle_driving"), ("can I pick up my toddler", "lifestyle_lifting")]


def test_the_set_is_never_trained_on():
    def normal(text):
        return re.sub(r"\W+", " ", text.lower()).strip()

    trained = {normal(m.get("text")) for m in load_data(str(PROJECT_ROOT / "data" / "nlu")).intent_examples}
    assert [c["text"] for c in multi_question.load_cases() if normal(c["text"]) in trained] == []


def test_a_red_flag_only_the_classifier_hears_in_one_part_is_escalated_or_asked(assistant):
    """The detector finds no sign words in these; the classifier reads the second part as a red
    flag. Confident: its tier, with the driving answer after the advice; unsure: the screening."""
    parsed = assistant.parse("when can I drive? im shaking and burning up")
    assert parsed["intent"]["name"] == "red_flag_urgent"
    assert "lifestyle_driving" in [q["intent"] for q in parsed["questions"]]
    assert assistant.intent("when can I drive? My leg has been hurting since the operation.") == "pain_worsening"
