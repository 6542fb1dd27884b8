"""Tokens with dictionary lemmas, so "bending", "bent" and "bends" count as one word.

With few examples per intent, the classifier generalises much better when the word features
are lemmas (see docs/NLU.md). spaCy also splits "can't"/"cant" into "ca" + "not".
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.english import english


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class LemmaTokenizer(Tokenizer):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_", "token_pattern": None}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LemmaTokenizer":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        # A channel may post no text at all (a sticker, a malformed request): make it "" so
        # no later component fails and the patient still gets the fallback answer.
        for message in messages:
            if not isinstance(message.get(TEXT), str):
                message.set(TEXT, "")
        return super().process(messages)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        return self._apply_token_pattern(lemma_tokens(message.get(attribute) or ""))


def lemma_tokens(text: str) -> List[Token]:
    """The tokens of a lower-cased text with their dictionary lemmas: the tokenizer's, and what the
    tier reader trains on (its examples are not Rasa messages)."""
    return [Token(t.text, t.idx, lemma=(t.lemma_ or t.text).lower()) for t in english()(text.lower()) if not t.is_space]
