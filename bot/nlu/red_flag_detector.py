"""Rasa adapter for the red-flag detector (bot/red_flags/): the safety net under the classifier.

Placed after the intent classifier and before FallbackClassifier. For every message it adds
one `red_flag` entity per sign found and, when the detector's tier is higher than the tier
of the classifier's intent, replaces the intent with the red-flag intent of that tier at
confidence 1.0. A sign the detector confirms never loses to a lower classifier tier.
Whenever a sign is found, the red-flag intent that stands is set to confidence 1.0 and leads
the ranking by a wide margin, so FallbackClassifier can never turn a confirmed sign into
"sorry, I didn't understand".

When only the classifier hears a red flag, it escalates on its own if it is confident and
the detector saw no sign at all. A bag of words cannot read "I have NO fever" or "what is
foot drop?": when the detector found a sign's words but denied, resolved or only asked
about, the message becomes a "no" (deny) or a question about warning signs
(when_to_seek_care). An unsure classifier red flag goes to the screening questions: never
to silence, never to advice the patient didn't need. docs/SAFETY.md has the measurements.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE, EXTRACTOR, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY, TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.red_flags import Detection, RedFlagDetector as Detector, get_detector
from bot.red_flags.context import HYPOTHETICAL
from bot.vocabulary import (DENIAL_INTENT, INTENT_OF_TIER, NONE, QUESTION_INTENT, RED_FLAG_ENTITY,
                            SCREENING_INTENT, TIER_OF_INTENT, tier_rank)

logger = logging.getLogger(__name__)
# Other intents keep their order but are scaled down, so an escalated intent always leads
# the ranking by at least this much and FallbackClassifier's ambiguity check never fires.
RANKING_MARGIN = 0.5


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # A classifier red flag with no sign words found escalates at or above this.
            "classifier_only_min_confidence": 0.75,
            # None: the project's data/red_flags.yml.
            "catalogue": None,
        }

    def __init__(self, config: Dict[Text, Any], detector: Detector) -> None:
        self._min_confidence = float(config["classifier_only_min_confidence"])
        self._detector = detector

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RedFlagDetector":
        # Built here, not per message: a broken catalogue must stop the bot from starting.
        return cls(config, get_detector(config.get("catalogue")))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip() or text.lstrip().startswith("/"):
                continue  # no text, or a button payload like /greet that sets its own intent
            detection = self._detector.detect(text)
            if detection.error:
                logger.error("red-flag detector failed, classifier intent kept: %s",
                             detection.error)
            self._add_entities(message, detection)
            if detection.tier == NONE:
                self._screen_unconfirmed(message, detection)
            else:
                self._escalate(message, detection)
        return messages

    def _screen_unconfirmed(self, message: Message, detection: Detection) -> None:
        """A classifier red flag the detector did not confirm: escalate only when it is sure."""
        intent = message.get(INTENT) or {}
        name = intent.get(INTENT_NAME_KEY) or ""
        if name not in TIER_OF_INTENT:
            return
        confidence = float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        if detection.negated:
            asked = any(hit.status == HYPOTHETICAL for hit in detection.negated)
            replacement = QUESTION_INTENT if asked else DENIAL_INTENT
        elif confidence < self._min_confidence:
            replacement = SCREENING_INTENT
        else:
            return
        top = {INTENT_NAME_KEY: replacement, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [dict(top)] + [dict(r) for r in message.get(INTENT_RANKING_KEY) or []
                                 if r.get(INTENT_NAME_KEY) != replacement]
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        logger.info("unconfirmed %r (%.2f) read as %r", name, confidence, replacement)

    @staticmethod
    def _add_entities(message: Message, detection: Detection) -> None:
        if not detection.affirmed:
            return
        entities = list(message.get(ENTITIES) or [])
        for hit in detection.affirmed:
            entities.append({
                ENTITY_ATTRIBUTE_TYPE: RED_FLAG_ENTITY,
                ENTITY_ATTRIBUTE_VALUE: hit.flag,
                ENTITY_ATTRIBUTE_START: hit.start,
                ENTITY_ATTRIBUTE_END: hit.end,
                "confidence_entity": 1.0,
                EXTRACTOR: "RedFlagDetector",
            })
        message.set(ENTITIES, entities, add_to_output=True)

    def _escalate(self, message: Message, detection: Detection) -> None:
        intent = message.get(INTENT) or {}
        current: Optional[str] = intent.get(INTENT_NAME_KEY)
        classifier_tier = TIER_OF_INTENT.get(current or "", NONE)
        # The higher tier wins; the classifier's red-flag intent is kept when it is higher.
        if tier_rank(classifier_tier) > tier_rank(detection.tier):
            name = current or ""
        else:
            name = INTENT_OF_TIER[detection.tier]
        ranking = [dict(r) for r in message.get(INTENT_RANKING_KEY) or []
                   if r.get(INTENT_NAME_KEY) != name]
        for entry in ranking:
            confidence = float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            entry[PREDICTED_CONFIDENCE_KEY] = confidence * RANKING_MARGIN
        top = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(top)] + ranking, add_to_output=True)
        if name != current:
            logger.info("red-flag detector escalated %r to %r (%s)", current, name,
                        ", ".join(detection.flags))
