"""The learned tier reader (bot/nlu/tier_reader.py) and what the detector adapter does with it, as
the NLU pipeline runs them: the LemmaTokenizer, the reader trained on data/tier_reader.yml, then
the adapter over a message as the intent classifier leaves it. No trained assistant needed."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.loading import load_data
from rasa_sdk import Tracker

from actions.red_flags import flags_matched
from bot.nlu.lemma_tokenizer import LemmaTokenizer
from bot.nlu.red_flag_detector import RedFlagDetector
from bot.nlu.tier_reader import TierReader, lemmas_of, read_examples
from bot.red_flags import get_detector
from bot.settings import PROJECT_ROOT
from bot.tooling.evaluation import tier_reader as experiment
from bot.vocabulary import (CLASSIFIER_FLAG, DETECTION_TIERS, NONE, RAISED_BY_KEY, READING_KEY, SCREENING_INTENT,
                            TIER_READER_FLAG, TIER_READING_KEY)

# A sign in words the catalogue lacks (the detector finds no sign words in it), and look-alikes.
# (issue 13 round 18: "belongs to somebody else" is the catalogue's now, blind batch 24 E3)
UNHEARD_SIGN = "the skin round my back passage feels like a stranger's since last night"
LOOKALIKES = ("the physio says I can start walking a bit further each day, is that right?",
              "what should I watch out for once I'm home from the hospital?")


def context(node: str = "test") -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=node)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """(tokenizer, trained reader, storage, resource), trained on the project's examples and its
    NLU data, as `make train` trains it."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("tier_reader"))
    tokenizer = LemmaTokenizer.create(LemmaTokenizer.get_default_config(), storage, Resource("tok"), context())
    resource = Resource("tier_reader")
    reader = TierReader.create(TierReader.get_default_config(), storage, resource, context("tier_reader"))
    assert reader.train(load_data(str(PROJECT_ROOT / "data" / "nlu"))) == resource
    return tokenizer, reader, storage, resource


def adapt(message: Message) -> Message:
    """The message after the detector adapter, with its default settings."""
    RedFlagDetector.create(RedFlagDetector.get_default_config(), LocalModelStorage(Path(".")),
                           Resource("red_flag_detector"), context()).process([message])
    return message


def read(pipeline, text: str, intent: str, confidence: float) -> Message:
    """The message after the tokenizer, the reader and the adapter, the classifier's reading given."""
    tokenizer, reader, _, _ = pipeline
    message = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": confidence},
                            INTENT_RANKING_KEY: [{"name": intent, "confidence": confidence}], ENTITIES: []})
    tokenizer.process([message])
    reader.process([message])
    return adapt(message)


def test_the_examples_file_is_the_corpus_and_the_studied_sets_as_they_are_now():
    path = experiment.DATA
    assert path.read_text(encoding="utf-8") == experiment.data_text(), \
        "data/tier_reader.yml is stale: run `make train`, which copies it again from the corpus and the studied sets"
    tiers = {e["tier"] for e in read_examples(path)}
    assert tiers == set(DETECTION_TIERS)


def test_the_sealed_and_fresh_sets_are_never_copied():
    from bot.tooling.evaluation import safety

    copied = set(experiment.studied_files())
    assert not copied & {f for name in safety.SEALED for f in safety.SETS[name]}


def test_a_sign_in_words_the_catalogue_lacks_gets_the_advice(pipeline):
    assert get_detector().detect(UNHEARD_SIGN).tier == "none"
    assert not get_detector().detect(UNHEARD_SIGN).negated
    message = read(pipeline, UNHEARD_SIGN, "red_flag_emergency", 0.45)
    assert message.get(INTENT)["name"] == "red_flag_emergency"
    reading = message.get(TIER_READING_KEY)
    assert reading["urgent"] + reading["emergency"] >= 0.9
    # the escalation record says the tier reader raised it, not the classifier alone
    latest = {"intent": message.get(INTENT), "entities": [], READING_KEY: message.get(READING_KEY)}
    tracker = Tracker("p", {}, latest, [], False, None, None, "rest")
    assert flags_matched(tracker, "emergency") == [TIER_READER_FLAG]
    latest[READING_KEY] = {**latest[READING_KEY], RAISED_BY_KEY: None}
    assert flags_matched(tracker, "emergency") == [CLASSIFIER_FLAG]


def test_without_the_reader_the_same_message_only_gets_the_screening_questions(pipeline):
    tokenizer, _, _, _ = pipeline
    message = Message(data={TEXT: UNHEARD_SIGN, INTENT: {"name": "red_flag_emergency", "confidence": 0.45},
                            INTENT_RANKING_KEY: [], ENTITIES: []})
    tokenizer.process([message])
    assert adapt(message).get(INTENT)["name"] == "pain_worsening"


@pytest.mark.parametrize("text", LOOKALIKES)
def test_a_lookalike_is_not_escalated(pipeline, text):
    message = read(pipeline, text, "red_flag_urgent", 0.4)
    assert message.get(INTENT)["name"] == "pain_worsening"  # the screening questions, as without it


def test_an_answer_the_classifier_is_unsure_of_gets_the_advice_the_reader_is_sure_of(pipeline):
    """A sign told beside an ordinary or reassuring question, no sign words found: the classifier's
    unsure answer gives way to the emergency advice (docs/SAFETY.md, "Over ordinary answers, with a
    reader that knows them"); a question the classifier is sure of keeps its answer."""
    told = "when can i go back to work? " + UNHEARD_SIGN
    reading = read(pipeline, told, "care_return_to_work", 0.68)
    assert reading.get(INTENT)["name"] == "red_flag_emergency"
    assert reading.get(READING_KEY)[RAISED_BY_KEY] == TIER_READER_FLAG
    assert read(pipeline, told, "care_return_to_work", 0.75).get(INTENT)["name"] == "care_return_to_work"


@pytest.mark.parametrize("p_urgent, p_emergency, answer", [
    (0.01, 0.97, "red_flag_emergency"), (0.5, 0.48, SCREENING_INTENT), (0.3, 0.2, "leg_pain_normal")])
def test_a_reassuring_answer_the_classifier_is_unsure_of_is_raised_like_an_ordinary_one(p_urgent, p_emergency,
                                                                                       answer):
    """The adapter's rule alone, the reader's reading given: the emergency advice from p(emergency)
    0.8, the screening questions from p(sign) 0.95, else the classifier's answer stands."""
    question = UNHEARD_SIGN.replace(" since last night", "") + ", is that normal?"
    message = Message(data={TEXT: question, INTENT: {"name": "leg_pain_normal", "confidence": 0.4},
                            INTENT_RANKING_KEY: [], ENTITIES: [],
                            TIER_READING_KEY: {"none": 1 - p_urgent - p_emergency, "urgent": p_urgent,
                                               "emergency": p_emergency}})
    assert adapt(message).get(INTENT)["name"] == answer


def test_a_change_just_noticed_gets_the_screening_questions_whatever_the_reader_says(pipeline):
    """An unsure reassuring answer to a statement, or to a question beside a change just noticed
    ("since last night"), gets the screening questions from the adapter's own rule (issue 13 rounds
    8 and 12) before the reader is asked."""
    noticed = UNHEARD_SIGN + ", is that normal?"
    assert read(pipeline, noticed, "leg_pain_normal", 0.4).get(INTENT)["name"] == "pain_worsening"
    assert read(pipeline, UNHEARD_SIGN, "leg_pain_normal", 0.4).get(INTENT)["name"] == "pain_worsening"
    assert read(pipeline, "no", "deny", 0.9).get(INTENT)["name"] == "deny"


@pytest.mark.parametrize("text", ["when can I drive again?", "pain 5 this evening", "my code wont compile",
                                  "is it ok to sleep sitting up in a chair"])
def test_an_ordinary_question_keeps_its_answer(pipeline, text):
    assert read(pipeline, text, "care_return_to_work", 0.5).get(INTENT)["name"] == "care_return_to_work"


def test_a_question_the_classifier_is_sure_of_keeps_its_answer(pipeline):
    """The reader alone would send it to 911 (it knows sex mostly from reports of the emergency sign)."""
    text = "is it ok for me and my partner to have sex now"
    assert read(pipeline, text, "care_sex", 0.99).get(INTENT)["name"] == "care_sex"


@pytest.mark.parametrize("intent", ["deny", "affirm", "unsure", "stop"])
def test_a_reply_to_the_screening_questions_is_never_raised(pipeline, intent):
    """"no" or "end this" must not start the screening again, whatever the reader reads. (A "yes" of more
    than 8 words in none of its words gets the fallback, issue 13 round 30, which asks the question again:
    not raised either.)"""
    expected = "nlu_fallback" if intent == "affirm" else intent
    assert read(pipeline, UNHEARD_SIGN, intent, 0.5).get(INTENT)["name"] == expected


def test_a_short_yes_stays_a_reply_to_the_screening(pipeline):
    assert read(pipeline, "yes the skin feels like a stranger's", "affirm", 0.5).get(INTENT)["name"] == "affirm"


def test_every_message_with_text_is_read(pipeline):
    tokenizer, reader, _, _ = pipeline
    (message,) = reader.process(tokenizer.process([Message(data={TEXT: "when can I drive?",
                                                                  INTENT: {"name": "lifestyle_driving"}})]))
    assert message.get(TIER_READING_KEY)["none"] > 0.5


@pytest.mark.parametrize("intent", ["red_flag_emergency", "red_flag_urgent"])
def test_it_never_lowers_an_escalation(pipeline, intent):
    text = "the physio says I can start walking a bit further each day"
    assert read(pipeline, text, intent, 0.9).get(INTENT)["name"] == intent


def test_it_never_acts_on_sign_words_the_detector_read(pipeline):
    text = "no fever and the wound is dry, how long until I can drive?"
    assert get_detector().detect(text).negated
    assert read(pipeline, text, "red_flag_urgent", 0.5).get(INTENT)["name"] != "red_flag_urgent"


def test_the_persisted_reader_loads_and_reads_the_same(pipeline):
    tokenizer, reader, storage, resource = pipeline
    loaded = TierReader.load(TierReader.get_default_config(), storage, resource, context("tier_reader"))
    texts: List[Dict[str, Any]] = [{"text": UNHEARD_SIGN}, {"text": LOOKALIKES[0]}]
    heard = {"name": "red_flag_urgent", "confidence": 0.5}
    messages = tokenizer.process([Message(data={TEXT: t["text"], INTENT: heard}) for t in texts])
    reader.process(messages)
    first = [m.get(TIER_READING_KEY) for m in messages]
    assert all(first)
    loaded.process(messages)
    assert [m.get(TIER_READING_KEY) for m in messages] == first


def test_a_button_payload_is_not_read(pipeline):
    tokenizer, reader, _, _ = pipeline
    (message,) = reader.process(tokenizer.process([Message(data={TEXT: "/affirm"})]))
    assert message.get(TIER_READING_KEY) is None


def test_its_probabilities_are_the_pipelines(pipeline):
    """The fast predict (bot/nlu/tfidf.py) reads what sklearn's Pipeline reads, to rounding."""
    import numpy as np

    tokenizer, reader, _, _ = pipeline
    texts = [UNHEARD_SIGN, *LOOKALIKES, "no", "zzzz"]
    lemmas = [lemmas_of(text) for text in texts]
    classes = list(reader.clf.classes_)
    expected = reader.clf.predict_proba(lemmas)[:, [classes.index(tier) for tier in DETECTION_TIERS]]
    assert np.allclose(reader.probabilities(lemmas), expected, rtol=0, atol=1e-12)


def _parse(intent: str, detector: str = NONE, hits: bool = False) -> dict:
    return {"intent": {"name": intent}, "_hits": ["a hit"] if hits else [],
            READING_KEY: {"classifier": intent, "classifier_confidence": 0.9, "detector": detector}}


@pytest.mark.parametrize("intent", ["care_return_to_work", "nlu_fallback"])
def test_the_ordinary_answer_rule_raises_an_ordinary_answer_the_reader_is_sure_of(intent):
    """The harness's ordinary-answer rule (docs/SAFETY.md, "Over ordinary answers, with a reader that
    knows them"): a sign told beside an
    ordinary question, no sign words found, gets the advice or the screening questions."""
    rule = experiment.Rule(theta3_e=0.95, theta3=0.9)
    assert experiment.combine(_parse(intent), [0.02, 0.01, 0.97], rule) == "red_flag_emergency"
    assert experiment.combine(_parse(intent), [0.05, 0.5, 0.45], rule) == SCREENING_INTENT
    assert experiment.combine(_parse(intent), [0.5, 0.3, 0.2], rule) == intent


@pytest.mark.parametrize("intent", ["deny", "affirm", "unsure", "stop"])
def test_the_ordinary_answer_rule_never_restarts_the_screening(intent):
    rule = experiment.Rule(theta3_e=0.95, theta3=0.9)
    assert experiment.combine(_parse(intent), [0.0, 0.01, 0.99], rule) == intent


def test_the_ordinary_answer_rule_leaves_sign_words_to_the_detector():
    rule = experiment.Rule(theta3_e=0.95, theta3=0.9)
    assert experiment.combine(_parse("care_sex", hits=True), [0.0, 0.01, 0.99], rule) == "care_sex"


def test_the_ordinary_answer_rule_leaves_a_sure_classifier_alone():
    rule = experiment.Rule(theta3_e=0.8, theta3=0.95, max_conf3=0.9)
    assert experiment.combine(_parse("care_sex"), [0.0, 0.01, 0.99], rule) == "care_sex"  # 0.9 is not below
    unsure = _parse("care_sex")
    unsure[READING_KEY]["classifier_confidence"] = 0.6
    assert experiment.combine(unsure, [0.0, 0.01, 0.99], rule) == "red_flag_emergency"


def test_the_measured_arms_over_sign_words_and_urgent_advice_act_only_where_they_say():
    """theta4 (the healing or warning-sign answer over sign words read as not counting) and theta5
    (the detector's urgent advice), measured and not kept (docs/SAFETY.md): each moves only its own
    answer, so the figures measure what the docs say."""
    healing, answer = experiment.Rule(theta4=0.9), "cause_nerve_healing"
    assert experiment.combine(_parse(answer, hits=True), [0.05, 0.5, 0.45], healing) == SCREENING_INTENT
    assert experiment.combine(_parse(answer), [0.05, 0.5, 0.45], healing) == answer
    assert experiment.combine(_parse(answer, hits=True), [0.5, 0.3, 0.2], healing) == answer
    urgent = experiment.Rule(theta5=0.7)
    detected = _parse("red_flag_urgent", detector="urgent")
    assert experiment.combine(detected, [0.1, 0.1, 0.8], urgent) == "red_flag_emergency"
    assert experiment.combine(detected, [0.1, 0.3, 0.6], urgent) == "red_flag_urgent"
    assert experiment.combine(_parse("red_flag_urgent"), [0.1, 0.1, 0.8], urgent) == "red_flag_urgent"
