"""Logistic regression on TF-IDF-weighted word and character n-grams of the lemmas.

Self-contained: it turns text into features itself (the LemmaTokenizer's lemmas, word 1-2
grams and character 2-5 grams, sublinear TF-IDF), so it can classify any part of a message,
not only the whole: that is how several questions in one message are found (questions.py,
docs/NLU.md). Weighting by TF-IDF and relaxing C lifted held-out macro-F1 clearly over Rasa's
LogisticRegressionClassifier (raw counts, C=1), with inference around a millisecond.
"""
from __future__ import annotations

import inspect
import logging
import re
from typing import Any, Dict, List, Optional, Sequence, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from bot.nlu.tfidf import Predictor, load_trusted, save, tfidf_features
from bot.nlu.questions import choose_questions, split_questions
from bot.vocabulary import NOT_A_QUESTION, QUESTIONS_KEY, RED_FLAG_PARTS_KEY, is_red_flag_intent

logger = logging.getLogger(__name__)

_NUMBER = re.compile(r"\b[0-9]+\b")


def lemma_text(tokens: Sequence[Token], start: int = 0, end: Optional[int] = None) -> str:
    """The lemmas of the tokens inside [start, end) of the text, lower case, numbers as one
    word: what the vectorizers read ("My legs were hurting" -> "my leg be hurt")."""
    last = end if end is not None else float("inf")
    lemmas = [t.lemma or t.text for t in tokens if t.start >= start and t.end <= last]
    return " ".join(_NUMBER.sub("__NUMBER__", lemma.lower()) for lemma in lemmas)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 10.0,
            "max_iter": 2000,
            "solver": "lbfgs",
            "tol": 1e-4,
            "random_state": 42,
            "ranking_length": LABEL_RANKING_LENGTH,
            # Several questions in one message (docs/NLU.md): parts of at least this many
            # words, each classified on its own; a part counts from this confidence on
            # (chosen on pairs of held-out questions: the knee of answered vs wrong answers).
            "question_min_words": 3,
            "question_min_confidence": 0.55,
            "max_questions": 3,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.clf = Pipeline([
            ("features", tfidf_features()),
            ("regression", LogisticRegression(
                C=self.config["C"], solver=self.config["solver"], max_iter=self.config["max_iter"],
                tol=self.config["tol"], class_weight="balanced", random_state=self.config["random_state"],
            )),
        ])
        self.predictor: Optional[Predictor] = None

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        # Rasa retrains a component when its class's source changes; what it learns also
        # depends on lemma_text, outside the class.
        return inspect.getsource(lemma_text)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfIntentClassifier":
        return cls(config, model_storage, resource)

    # --- training ------------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("no intent examples: %s left untrained", type(self).__name__)
            return self._resource
        self.clf.fit([self._lemmas(e) for e in examples], [e.get(INTENT) for e in examples])
        self.predictor = Predictor(self.clf)
        self.persist()
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Nothing after this component learns from predicted intents: keep the examples' own.
        return training_data

    def persist(self) -> None:
        save(self.clf, self._model_storage, self._resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfIntentClassifier":
        component = cls(config, model_storage, resource)
        component.clf = load_trusted(model_storage, resource)
        component.predictor = Predictor(component.clf)
        return component

    # --- prediction ----------------------------------------------------------------------------

    def process(self, messages: List[Message]) -> List[Message]:
        rest = []
        for message in messages:
            if (message.get(TEXT) or "").strip():
                rest.append(message)
            else:
                # An empty message has nothing to classify: the fallback ("Sorry, I didn't
                # understand...") instead of failing the whole turn.
                message.set(INTENT, {"name": "nlu_fallback", "confidence": 1.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if rest:
            for message, probabilities in zip(rest, self._predict([self._lemmas(m) for m in rest]), strict=True):
                self._set_intent(message, probabilities)
                self._add_questions(message)
        return messages

    def _predict(self, texts: List[str]) -> np.ndarray:
        assert self.predictor is not None, "the intent classifier is not trained"
        return self.predictor.predict_proba(texts)

    def _set_intent(self, message: Message, probabilities: np.ndarray) -> None:
        order = np.argsort(-probabilities, kind="stable")
        ranking = [{"name": str(self.clf.classes_[i]), "confidence": float(probabilities[i])} for i in order]
        message.set(INTENT, ranking[0], add_to_output=True)
        if self.config["ranking_length"] > 0:
            ranking = ranking[: self.config["ranking_length"]]
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    def _add_questions(self, message: Message) -> None:
        """Lists the message's questions when it asks several different things (questions.py)."""
        text = message.get(TEXT) or ""
        if text.lstrip().startswith("/"):
            return  # a button payload like /affirm
        parts = split_questions(text, self.config["question_min_words"])
        if len(parts) < 2:
            return
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        probabilities = self._predict([lemma_text(tokens, p.start, p.end) for p in parts])
        best = probabilities.argmax(axis=1)
        predictions = [(str(self.clf.classes_[i]), float(row[i])) for row, i in zip(probabilities, best, strict=True)]
        min_confidence = self.config["question_min_confidence"]
        questions = choose_questions(parts, predictions, min_confidence=min_confidence,
                                     ignored=NOT_A_QUESTION, max_questions=self.config["max_questions"])
        if questions:
            message.set(QUESTIONS_KEY, questions, add_to_output=True)
        # Every part read as a red flag, whatever the other parts are: the detector adapter
        # decides what each one means (bot/nlu/red_flag_detector.py); never an answer of its own.
        red_flags = [{"start": part.start, "end": part.end, "intent": intent, "confidence": round(confidence, 4)}
                     for part, (intent, confidence) in zip(parts, predictions, strict=True)
                     if is_red_flag_intent(intent) and confidence >= min_confidence]
        if red_flags:
            message.set(RED_FLAG_PARTS_KEY, red_flags)

    @staticmethod
    def _lemmas(message: Message) -> str:
        tokens = message.get(TOKENS_NAMES[TEXT])
        return lemma_text(tokens) if tokens else (message.get(TEXT) or "").lower()
