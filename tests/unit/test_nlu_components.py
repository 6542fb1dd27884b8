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
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.nlu.intent_classifier import TRUSTED_TYPES, TfidfIntentClassifier
from bot.nlu.lemma_tokenizer import LemmaTokenizer

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


class Featurizers:
    """The tokenizer and the two CountVectorsFeaturizers of config.yml, trained on `data`."""

    def __init__(self, storage: LocalModelStorage, data: TrainingData) -> None:
        self.tokenizer = LemmaTokenizer.create(
            LemmaTokenizer.get_default_config(), storage, Resource("tokenizer"), context())
        defaults = CountVectorsFeaturizer.get_default_config()
        self.featurizers = [
            CountVectorsFeaturizer.create({**defaults, "max_ngram": 2}, storage, Resource("words"), context()),
            CountVectorsFeaturizer.create({**defaults, "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5},
                                          storage, Resource("chars"), context()),
        ]
        self.tokenizer.process_training_data(data)
        for featurizer in self.featurizers:
            featurizer.train(data)
            featurizer.process_training_data(data)

    def __call__(self, *texts: str) -> List[Message]:
        messages = [Message(data={TEXT: text}) for text in texts]
        self.tokenizer.process(messages)
        for featurizer in self.featurizers:
            featurizer.process(messages)
        return messages


CONFIG: Dict[str, Any] = {**TfidfIntentClassifier.get_default_config(), "C": 30, "random_state": 42}


@pytest.fixture
def trained(tmp_path: Path):
    """(model storage, resource, featurizers, trained classifier): persisted as `rasa train` does."""
    storage = LocalModelStorage(tmp_path)
    data = TrainingData([Message(data={TEXT: text, INTENT: intent})
                         for intent, texts in EXAMPLES.items() for text in texts])
    featurize = Featurizers(storage, data)
    resource = Resource("intent_classifier")
    classifier = TfidfIntentClassifier.create(CONFIG, storage, resource, context("intent_classifier"))
    assert classifier.train(data) == resource
    return storage, resource, featurize, classifier


def test_trained_classifier_predicts_the_intent(trained):
    _, _, featurize, classifier = trained
    messages = classifier.process(featurize("my leg is hurting", "hello there", "bye bye"))
    assert [m.get(INTENT)["name"] for m in messages] == ["leg_pain", "greet", "goodbye"]
    ranking = messages[0].get(INTENT_RANKING_KEY)
    assert [r["name"] for r in ranking][0] == "leg_pain"
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_persisted_classifier_loads_and_predicts_the_same(trained):
    storage, resource, featurize, classifier = trained
    loaded = TfidfIntentClassifier.load(CONFIG, storage, resource, context("intent_classifier"))
    texts = ("my leg is hurting", "hello there", "bye bye", "pain in my legs")
    before = [m.get(INTENT) for m in classifier.process(featurize(*texts))]
    after = [m.get(INTENT) for m in loaded.process(featurize(*texts))]
    assert [a["name"] for a in after] == [b["name"] for b in before]
    assert [a["confidence"] for a in after] == pytest.approx([b["confidence"] for b in before])
    regression = loaded.clf[-1]
    assert isinstance(regression, LogisticRegression)
    assert regression.coef_.flags["F_CONTIGUOUS"]  # column-major after loading: docs/BENCHMARKS.md


def test_the_persisted_file_needs_only_the_trusted_types(trained):
    storage, resource, _, _ = trained
    with storage.read_from(resource) as model_dir:
        untrusted = set(sio.get_untrusted_types(file=model_dir / f"{resource.name}.skops"))
    assert untrusted <= TRUSTED_TYPES


def test_loading_refuses_a_type_it_does_not_trust(trained):
    storage, resource, _, classifier = trained
    with storage.write_to(resource) as model_dir:  # the model file, with one unexpected object in it
        sio.dump({"classifier": classifier.clf, "extra": Fraction(1, 3)}, model_dir / f"{resource.name}.skops")
    with pytest.raises(ValueError, match=r"unexpected types in intent_classifier\.skops: \['fractions\.Fraction'\]"):
        TfidfIntentClassifier.load(CONFIG, storage, resource, context("intent_classifier"))


def test_an_empty_message_gets_the_fallback_intent(trained):
    _, _, featurize, classifier = trained
    empty, greeting = classifier.process(featurize("   ", "hello"))
    assert empty.get(INTENT) == {"name": "nlu_fallback", "confidence": 1.0}
    assert empty.get(INTENT_RANKING_KEY) == []
    assert greeting.get(INTENT)["name"] == "greet"
