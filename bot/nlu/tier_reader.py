"""The learned tier reader: how likely a message reports an urgent or an emergency sign.

A third reader beside the intent classifier and the red-flag detector (docs/SAFETY.md, "A learned
tier reader"). It is the intent classifier's featurisation (the LemmaTokenizer's lemmas, word 1-2
grams and character 2-5 grams, sublinear TF-IDF, each block normalised on its own) with a logistic
regression over three tiers (none, urgent, emergency), trained at `make train` on
data/tier_reader.yml (the red-flag corpus and the studied blind and real-world sets, where the
intent classifier sees a few hundred red-flag examples) and on the NLU examples, so that it knows
ordinary messages too.

It never decides anything itself: it sets `tier_reading` ({tier: probability}) on every message
with text, and the detector adapter (bot/nlu/red_flag_detector.py) uses it to raise what the other
two readers left unsure, where the detector found no sign words: a classifier red flag below its
threshold, or an ordinary answer the classifier is unsure of. It never lowers what they escalated
(docs/SAFETY.md, "A learned tier reader").
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from bot.nlu.lemma_tokenizer import lemma_tokens
from bot.nlu.intent_classifier import lemma_text
from bot.nlu.tfidf import Predictor, load_trusted, save, tfidf_features
from bot.settings import PROJECT_ROOT
from bot.vocabulary import DETECTION_TIERS, NONE, TIER_OF_INTENT, TIER_READING_KEY

logger = logging.getLogger(__name__)
DEFAULT_EXAMPLES = "data/tier_reader.yml"


def examples_path(config: Dict[Text, Any]) -> Path:
    path = Path(config.get("examples") or DEFAULT_EXAMPLES)
    return path if path.is_absolute() else PROJECT_ROOT / path


def read_examples(path: Path) -> List[Dict[str, str]]:
    examples = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("tier_examples") or []
    bad = [e for e in examples if e.get("tier") not in DETECTION_TIERS or not str(e.get("text") or "").strip()]
    if bad:
        raise ValueError(f"{path}: {len(bad)} examples without a text or a tier of {DETECTION_TIERS}: {bad[:3]}")
    return examples


def ordinary_examples(training_data: TrainingData) -> List[Dict[str, str]]:
    """The NLU examples (data/nlu) with the tier of their intent: red-flag intents at theirs, every
    other intent as none. Without them the reader only knew red-flag text and its look-alikes, and
    read ordinary questions out of its range ("my code wont compile": p(emergency) 0.93); with them
    it may read every message (docs/SAFETY.md, "Over ordinary answers, with a reader that knows
    them")."""
    return [{"text": m.get(TEXT), "tier": TIER_OF_INTENT.get(m.get(INTENT), NONE)}
            for m in training_data.intent_examples if (m.get(TEXT) or "").strip()]


def lemmas_of(text: str) -> str:
    """What the intent classifier reads of a text outside a Message (an example, not a parse)."""
    return lemma_text(lemma_tokens(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TierReader(GraphComponent):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"examples": DEFAULT_EXAMPLES, "C": 10.0, "max_iter": 3000, "random_state": 42}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.clf: Optional[Pipeline] = None
        self.predictor: Optional[Predictor] = None

    @staticmethod
    def pipeline(config: Dict[Text, Any]) -> Pipeline:
        """The untrained reader (also what the experiment in bot/tooling/evaluation/tier_reader.py fits)."""
        return Pipeline([
            ("features", tfidf_features()),
            ("regression", LogisticRegression(C=config["C"], max_iter=config["max_iter"],
                                              class_weight="balanced", random_state=config["random_state"])),
        ])

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        # Its examples are not Rasa training data: retrain when they (or lemma_text) change.
        path = examples_path(config)
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
        return f"{digest}:{hashlib.sha256(lemma_text.__code__.co_code).hexdigest()}"

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TierReader":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = read_examples(examples_path(self.config)) + ordinary_examples(training_data)
        clf = self.pipeline(self.config)
        clf.fit([lemmas_of(e["text"]) for e in examples], [e["tier"] for e in examples])
        self.clf, self.predictor = clf, Predictor(clf)
        save(clf, self._model_storage, self._resource)
        logger.info("tier reader trained on %d examples", len(examples))
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TierReader":
        component = cls(config, model_storage, resource)
        component.clf = load_trusted(model_storage, resource)
        component.predictor = Predictor(component.clf)
        return component

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def probabilities(self, lemmas: List[str]) -> np.ndarray:
        """Rows of p(none), p(urgent), p(emergency)."""
        assert self.predictor is not None, "the tier reader is not trained"
        raw = self.predictor.predict_proba(lemmas)
        classes = list(self.predictor.classes_)
        return raw[:, [classes.index(tier) for tier in DETECTION_TIERS]]

    def process(self, messages: List[Message]) -> List[Message]:
        """Reads every message with text (not a button payload): the adapter may raise a classifier
        red flag it left unsure, or an ordinary answer to a message with no sign words
        (bot/nlu/red_flag_detector.py). About 0.2 ms of CPU a turn (docs/BENCHMARKS.md)."""
        if self.predictor is None:
            return messages
        rows = [m for m in messages if (m.get(TEXT) or "").strip() and not m.get(TEXT).lstrip().startswith("/")]
        if not rows:
            return messages
        lemmas = [lemma_text(m.get(TOKENS_NAMES[TEXT]) or []) or lemmas_of(m.get(TEXT)) for m in rows]
        for message, row in zip(rows, self.probabilities(lemmas), strict=True):
            reading = {tier: round(float(p), 4) for tier, p in zip(DETECTION_TIERS, row, strict=True)}
            message.set(TIER_READING_KEY, reading, add_to_output=True)
        return messages
