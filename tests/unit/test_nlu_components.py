"""The custom NLU components on their own, built the way Rasa's component examples build them:
a LocalModelStorage in tmp_path, a Resource and an ExecutionContext; no trained model needed."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, Dict, List

import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.nlu.intent_classifier import TfidfIntentClassifier, lemma_text
from bot.nlu.tfidf import TRUSTED_TYPES
from bot.nlu.lemma_tokenizer import LemmaTokenizer
from bot.vocabulary import QUESTIONS_KEY, RED_FLAG_PARTS_KEY

EXAMPLES = {
    "greet": ["hi", "hello", "hey there", "good morning"],
    "leg_pain": ["my leg hurts", "leg pain after surgery", "my legs are hurting", "pain down my leg"],
    "goodbye": ["bye", "see you", "goodbye", "talk to you later"],
}


def context(node_name: str = "test") -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=node_name)


# --- LemmaTokenizer --------------------------------------------------------------------------


@pytest.fixture
def tokenizer(tmp_path: Path) -> LemmaTokenizer:
    return LemmaTokenizer.create(
        LemmaTokenizer.get_default_config(), LocalModelStorage(tmp_path), Resource("tokenizer"), context())


def tokens(tokenizer: LemmaTokenizer, text: Any) -> List[tuple]:
    (message,) = tokenizer.process([Message(data={TEXT: text})])
    return [(t.text, t.lemma, t.start, t.end) for t in message.get(TOKENS_NAMES[TEXT])]


def test_tokens_carry_lowercase_dictionary_lemmas(tokenizer):
    assert tokens(tokenizer, "My Legs were HURTING when bending") == [
        ("my", "my", 0, 2), ("legs", "leg", 3, 7), ("were", "be", 8, 12),
        ("hurting", "hurt", 13, 20), ("when", "when", 21, 25), ("bending", "bend", 26, 33)]


def test_inflections_share_one_lemma(tokenizer):
    lemmas = [lemma for _, lemma, _, _ in tokens(tokenizer, "bent, bends, bending")]
    assert lemmas == ["bend", ",", "bend", ",", "bend"]


@pytest.mark.parametrize("text, negation", [("I can't sit", "n't"), ("i cant sit", "nt")])
def test_cant_is_split_into_can_and_not(tokenizer, text, negation):
    assert tokens(tokenizer, text) == [
        ("i", "i", 0, 1), ("ca", "ca", 2, 4), (negation, "not", 4, 4 + len(negation)),
        ("sit", "sit", 5 + len(negation), 8 + len(negation))]


@pytest.mark.parametrize("text", [None, 42, {"sticker": "thumbs-up"}, ["a", "list"]])
def test_text_that_is_not_a_string_becomes_empty(tokenizer, text):
    (message,) = tokenizer.process([Message(data={TEXT: text})])
    assert message.get(TEXT) == ""
    assert message.get(TOKENS_NAMES[TEXT]) == []


def test_training_data_is_tokenized_too(tokenizer):
    data = TrainingData([Message(data={TEXT: "my legs hurt", INTENT: "leg_pain"})])
    tokenizer.process_training_data(data)
    (example,) = data.training_examples
    assert [t.lemma for t in example.get(TOKENS_NAMES[TEXT])] == ["my", "leg", "hurt"]


# --- TfidfIntentClassifier -------------------------------------------------------------------


class Tokenize:
    """The LemmaTokenizer of config.yml: the classifier reads its lemmas and featurizes them itself."""

    def __init__(self, storage: LocalModelStorage) -> None:
        self.tokenizer = LemmaTokenizer.create(
            LemmaTokenizer.get_default_config(), storage, Resource("tokenizer"), context())

    def __call__(self, *texts: str) -> List[Message]:
        return self.tokenizer.process([Message(data={TEXT: text}) for text in texts])


CONFIG: Dict[str, Any] = {**TfidfIntentClassifier.get_default_config(), "C": 30, "random_state": 42}


def train(folder: Path):
    """(model storage, resource, tokenizer, trained classifier): persisted as `rasa train` does."""
    storage = LocalModelStorage(folder)
    data = TrainingData([Message(data={TEXT: text, INTENT: intent})
                         for intent, texts in EXAMPLES.items() for text in texts])
    tokenize = Tokenize(storage)
    tokenize.tokenizer.process_training_data(data)
    resource = Resource("intent_classifier")
    classifier = TfidfIntentClassifier.create(CONFIG, storage, resource, context("intent_classifier"))
    assert classifier.train(data) == resource
    return storage, resource, tokenize, classifier


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One for the module's tests that only read it (training and persisting is the slow part)."""
    return train(tmp_path_factory.mktemp("trained"))


@pytest.fixture
def trained_to_change(tmp_path: Path):
    """A test's own, for a test that rewrites the persisted file."""
    return train(tmp_path)


def test_trained_classifier_predicts_the_intent(trained):
    _, _, tokenize, classifier = trained
    messages = classifier.process(tokenize("my leg is hurting", "hello there", "bye bye"))
    assert [m.get(INTENT)["name"] for m in messages] == ["leg_pain", "greet", "goodbye"]
    ranking = messages[0].get(INTENT_RANKING_KEY)
    assert [r["name"] for r in ranking][0] == "leg_pain"
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_prediction_is_the_pipelines(trained):
    """_predict does sklearn's arithmetic without its overhead (bot/nlu/tfidf.py): the Pipeline's
    probabilities to rounding, so the same ranking, one message or several at a time."""
    import numpy as np

    _, _, tokenize, classifier = trained
    texts = [classifier._lemmas(m) for m in tokenize("my leg is hurting", "hello there", "bye bye",
                                                      "pain in my legs and hello", "zzz", "")]
    expected = classifier.clf.predict_proba(texts)
    assert np.allclose(classifier._predict(texts), expected, rtol=0, atol=1e-12)
    for text, row in zip(texts, expected, strict=True):
        assert np.allclose(classifier._predict([text])[0], row, rtol=0, atol=1e-12)
        assert classifier._predict([text])[0].argmax() == row.argmax()


def test_features_are_word_and_character_ngrams_of_the_lemmas(trained):
    _, _, _, classifier = trained
    words, chars = (vectorizer for _, vectorizer in classifier.clf.named_steps["features"].transformer_list)
    assert {"leg", "hurt", "my leg", "leg hurt"} <= set(words.vocabulary_)  # "legs hurting" is read as lemmas
    assert "legs" not in words.vocabulary_
    assert {" l", "leg", " leg "} <= set(chars.vocabulary_)
    assert words.sublinear_tf and chars.sublinear_tf and chars.analyzer == "char_wb"


def test_lemma_text_reads_a_span_of_the_tokens(tokenizer):
    (message,) = tokenizer.process([Message(data={TEXT: "My legs were hurting. Bent 3 times"})])
    tokens = message.get(TOKENS_NAMES[TEXT])
    assert lemma_text(tokens) == "my leg be hurt . bend __NUMBER__ time"
    assert lemma_text(tokens, 22, 34) == "bend __NUMBER__ time"


def test_training_examples_keep_their_own_intents(trained):
    _, _, _, classifier = trained
    data = TrainingData([Message(data={TEXT: "hello", INTENT: "leg_pain"})])
    assert classifier.process_training_data(data) is data
    assert data.training_examples[0].get(INTENT) == "leg_pain"


def test_persisted_classifier_loads_and_predicts_the_same(trained):
    storage, resource, tokenize, classifier = trained
    loaded = TfidfIntentClassifier.load(CONFIG, storage, resource, context("intent_classifier"))
    texts = ("my leg is hurting", "hello there", "bye bye", "pain in my legs")
    before = [m.get(INTENT) for m in classifier.process(tokenize(*texts))]
    after = [m.get(INTENT) for m in loaded.process(tokenize(*texts))]
    assert [a["name"] for a in after] == [b["name"] for b in before]
    assert [a["confidence"] for a in after] == pytest.approx([b["confidence"] for b in before])
    assert isinstance(loaded.clf[-1], LogisticRegression)


def test_the_persisted_file_needs_only_the_trusted_types(trained):
    storage, resource, _, _ = trained
    with storage.read_from(resource) as model_dir:
        untrusted = set(sio.get_untrusted_types(file=model_dir / f"{resource.name}.skops"))
    assert untrusted <= TRUSTED_TYPES


def test_loading_refuses_a_type_it_does_not_trust(trained_to_change):
    storage, resource, _, classifier = trained_to_change
    with storage.write_to(resource) as model_dir:  # the model file, with one unexpected object in it
        sio.dump({"classifier": classifier.clf, "extra": Fraction(1, 3)}, model_dir / f"{resource.name}.skops")
    with pytest.raises(ValueError, match=r"unexpected types in intent_classifier\.skops: \['fractions\.Fraction'\]"):
        TfidfIntentClassifier.load(CONFIG, storage, resource, context("intent_classifier"))


def test_an_empty_message_gets_the_fallback_intent(trained):
    _, _, tokenize, classifier = trained
    empty, greeting = classifier.process(tokenize("   ", "hello"))
    assert empty.get(INTENT) == {"name": "nlu_fallback", "confidence": 1.0}
    assert empty.get(INTENT_RANKING_KEY) == []
    assert greeting.get(INTENT)["name"] == "greet"


# Several questions in one message (bot/nlu/questions.py holds the splitting rules and their tests).
QUESTION_EXAMPLES = {
    "drive": ["when can i drive", "can i drive my car", "is driving ok", "when may i drive again"],
    "lift": ["can i lift my child", "is lifting heavy things ok", "when can i pick up a box", "can i lift weights"],
    "greet": ["hi there", "hello", "good morning to you", "hey"],
    "red_flag_urgent": ["my wound is oozing pus", "the incision smells bad and oozes", "pus from my wound",
                        "my wound is red hot and oozing"],
}


@pytest.fixture(scope="module")
def question_classifier(tmp_path_factory):
    """Trained once for the module: its tests only read messages through it."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("questions"))
    data = TrainingData([Message(data={TEXT: text, INTENT: intent})
                         for intent, texts in QUESTION_EXAMPLES.items() for text in texts])
    tokenize = Tokenize(storage)
    tokenize.tokenizer.process_training_data(data)
    classifier = TfidfIntentClassifier.create(CONFIG, storage, Resource("q"), context("q"))
    classifier.train(data)
    return tokenize, classifier


def test_a_message_with_two_questions_lists_both_in_message_order(question_classifier):
    tokenize, classifier = question_classifier
    text = "when can I drive my car? and can I lift my child?"
    (message,) = classifier.process(tokenize(text))
    questions = message.get(QUESTIONS_KEY)
    assert [(q["text"], q["intent"]) for q in questions] == [
        ("when can I drive my car", "drive"), ("can I lift my child", "lift")]
    assert all(CONFIG["question_min_confidence"] <= q["confidence"] <= 1 for q in questions)
    assert QUESTIONS_KEY in message.as_dict(only_output_properties=True)  # reaches the parse data


@pytest.mark.parametrize("text", [
    "when can I drive my car",                        # one part
    "when can I drive? and is driving ok?",           # two parts, one intent
    "hello there, good morning! when can I drive?",   # a greeting is not a question
    "/greet",                                         # a button payload
])
def test_no_list_without_two_different_questions(question_classifier, text):
    tokenize, classifier = question_classifier
    (message,) = classifier.process(tokenize(text))
    assert message.get(QUESTIONS_KEY) is None


def test_every_part_read_as_a_red_flag_is_handed_to_the_detector(question_classifier):
    """Even when it is the only part counted, so no `questions` list is made: the detector adapter
    reads each such part (tests/unit/test_red_flag_detector_component.py)."""
    tokenize, classifier = question_classifier
    text = "hello there, good morning! my wound is oozing pus"
    (message,) = classifier.process(tokenize(text))
    (part,) = message.get(RED_FLAG_PARTS_KEY)
    assert text[part["start"]:part["end"]] == "my wound is oozing pus"
    assert part["intent"] == "red_flag_urgent" and part["confidence"] >= CONFIG["question_min_confidence"]
    (message,) = classifier.process(tokenize("when can I drive my car? and can I lift my child?"))
    assert message.get(RED_FLAG_PARTS_KEY) is None
