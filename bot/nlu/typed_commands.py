"""Typed commands are text: a message in Rasa's `/intent{"slot": "value"}` form sets its intent
and slots only when it is the payload of a button the assistant offered in this conversation.

Rasa reads any message starting with `/` as a command (RegexMessageHandler, after the pipeline):
a patient who typed `/session_start` got silence, and `/inform{"callback_consent": true}` or a
screening answer set slots the conversation never asked. This component runs first in the
pipeline, for every channel: an unoffered command loses its leading slashes and is read as
the words it is (usually "sorry, I didn't understand"), red-flag detection included. Buttons
the assistant sent (domain.yml) keep working, since their payloads were offered, and so does
the widget's thumbs-down (`ALWAYS_OFFERED_PAYLOADS`, no slots).
"""
from __future__ import annotations

import logging
from typing import AbstractSet, Any, Dict, Iterable, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.vocabulary import ALWAYS_OFFERED_PAYLOADS

logger = logging.getLogger(__name__)


def offered_payloads(events: Iterable[Any]) -> Set[str]:
    """Every button payload the assistant sent in these events (the whole conversation: a
    patient may scroll up and press an older button)."""
    payloads: Set[str] = set()
    for event in events:
        if isinstance(event, BotUttered):
            for button in (event.data or {}).get("buttons") or []:
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    payloads.add(button["payload"].strip())
    return payloads


def as_text(text: str, offered: AbstractSet[str]) -> str:
    """`text` unchanged unless it is an unoffered command; then without its leading slashes."""
    stripped = text.strip()
    if not stripped.startswith(INTENT_MESSAGE_PREFIX) or stripped in offered:
        return text
    return stripped.lstrip(INTENT_MESSAGE_PREFIX).strip()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class TypedCommandGuard(GraphComponent):
    """First in the pipeline: turns commands the assistant did not offer into plain text."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TypedCommandGuard":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message],
                tracker: Optional[DialogueStateTracker] = None) -> List[Message]:
        # No tracker (Rasa's /model/parse API, `rasa shell nlu`): nothing was offered.
        offered = ALWAYS_OFFERED_PAYLOADS | (offered_payloads(tracker.events) if tracker is not None else set())
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                plain = as_text(text, offered)
                if plain != text:
                    logger.info("A typed command the assistant did not offer, read as text.")
                    message.set(TEXT, plain)
        return messages
