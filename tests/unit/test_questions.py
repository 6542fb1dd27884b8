"""Several questions in one message: where a message splits, and which parts count (bot/nlu/questions.py)."""
import pytest
import yaml

from bot.nlu.questions import Part, choose_questions, split_questions
from bot.settings import PROJECT_ROOT
from bot.vocabulary import NOT_A_QUESTION


def texts(message: str):
    return [part.text for part in split_questions(message)]


@pytest.mark.parametrize("message, parts", [
    ("when can I drive? and can I pick up my toddler?", ["when can I drive", "can I pick up my toddler"]),
    ("Is my pain normal. How long will it last", ["Is my pain normal", "How long will it last"]),
    ("how long should i ice my back and can i take ibuprofen", ["how long should i ice my back",
                                                                "can i take ibuprofen"]),
    ("why does my leg burn and when will it stop", ["why does my leg burn", "when will it stop"]),
    ("What is scar tissue? Also, will I need more surgery", ["What is scar tissue", "will I need more surgery"]),
    ("can I sit at my desk all day plus can I drive", ["can I sit at my desk all day", "can I drive"]),
    ("can i sit at my desk for a day? what about driving to work", ["can i sit at my desk for a day",
                                                                    "what about driving to work"]),
    ("what helps with the pain, can i take more ibuprofen", ["what helps with the pain", "can i take more ibuprofen"]),
    ("1) how long until I can drive\n2) can I sit in a car for 3 hours", ["how long until I can drive",
                                                                          "can I sit in a car for 3 hours"]),
])
def test_a_message_splits_into_its_questions(message, parts):
    assert texts(message) == parts


@pytest.mark.parametrize("message", [
    "When can I go back to the gym and lift weights?",   # "and" without a new question
    "I also have numbness in my foot, is that normal?",  # "also" inside a sentence
    "my temperature is 38.5 is that a fever",            # a decimal point is not a sentence end
    "my leg hurts and is getting worse",                 # "and is" without a subject
])
def test_one_question_stays_whole(message):
    assert texts(message) == [message.rstrip("?")]


def test_parts_point_into_the_message():
    message = "Hi! Can I drive yet?  And how much can I lift?"
    parts = split_questions(message)
    assert parts == [Part(4, 19, "Can I drive yet"), Part(26, 45, "how much can I lift")]
    assert all(message[p.start:p.end] == p.text for p in parts)


def test_a_short_part_belongs_to_the_part_before_it_and_a_short_start_is_left_out():
    assert texts("Thanks! my back is stiff in the morning, what helps?") == [
        "my back is stiff in the morning, what helps"]
    assert texts("my leg hurts. normal?") == ["my leg hurts. normal"]
    assert split_questions("") == [] and split_questions("ok?") == []


@pytest.mark.parametrize("message, parts", [
    ("my calf is swollen. is that normal? can I drive", ["my calf is swollen. is that normal", "can I drive"]),
    ("it hurts when I sit, why is that?", ["it hurts when I sit, why is that"]),
    ("my foot tingles. Is this normal then?", ["my foot tingles. Is this normal then"]),
    # with words of its own it is a question of its own
    ("my foot tingles. is it normal to have pins and needles", ["my foot tingles",
                                                                "is it normal to have pins and needles"]),
    ("I want to get out. is it ok to drive?", ["I want to get out", "is it ok to drive"]),
    ("is it bad? and can I lift", ["is it bad", "can I lift"]),  # first: nothing to follow
])
def test_a_question_about_what_was_just_said_belongs_to_it(message, parts):
    assert texts(message) == parts


def test_min_words_is_a_setting():
    assert texts("can I drive? can I lift?") == ["can I drive", "can I lift"]
    assert [p.text for p in split_questions("can I drive? can I lift?", min_words=4)] == []


PARTS = [Part(0, 10, "a"), Part(11, 20, "b"), Part(21, 30, "c"), Part(31, 40, "d")]


def choose(predictions, min_confidence=0.55, max_questions=3):
    return choose_questions(PARTS[:len(predictions)], predictions, min_confidence=min_confidence,
                            ignored=NOT_A_QUESTION, max_questions=max_questions)


def test_two_confident_different_intents_are_listed_in_message_order():
    assert choose([("lifestyle_driving", 0.9), ("lifestyle_lifting", 0.6)]) == [
        {"text": "a", "intent": "lifestyle_driving", "confidence": 0.9},
        {"text": "b", "intent": "lifestyle_lifting", "confidence": 0.6}]


@pytest.mark.parametrize("predictions", [
    [("lifestyle_driving", 0.9)],                                   # one part
    [("lifestyle_driving", 0.9), ("lifestyle_driving", 0.8)],       # one intent
    [("lifestyle_driving", 0.9), ("lifestyle_lifting", 0.5)],       # not confident enough
    [("greet", 0.99), ("lifestyle_lifting", 0.9)],                  # small talk asks nothing
    [("thank", 0.99), ("deny", 0.9), ("lifestyle_lifting", 0.9)],
])
def test_no_list_unless_two_different_questions_count(predictions):
    assert choose(predictions) == []


def test_at_most_three_and_each_intent_once():
    chosen = choose([("a_intent", 0.9), ("a_intent", 0.95), ("b_intent", 0.7), ("c_intent", 0.8)], max_questions=2)
    assert [(q["text"], q["intent"]) for q in chosen] == [("a", "a_intent"), ("c", "b_intent")]
    assert len(choose([(f"intent_{i}", 0.9) for i in range(4)])) == 3


def test_a_red_flag_part_counts_as_a_question():
    """Listed like any other: the detector escalates the message, and the reply leaves its advice alone."""
    assert [q["intent"] for q in choose([("red_flag_urgent", 0.8), ("lifestyle_driving", 0.9)])] == [
        "red_flag_urgent", "lifestyle_driving"]


def test_the_intents_that_ask_nothing_are_domain_intents():
    intents = set(yaml.load((PROJECT_ROOT / "domain.yml").read_text(), Loader=yaml.CSafeLoader)["intents"])
    assert set(NOT_A_QUESTION) - {"nlu_fallback"} <= intents
