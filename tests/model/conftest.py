"""The trained assistant, loaded once for every test that asks it something."""
from __future__ import annotations

import asyncio
from typing import Any, Dict

import pytest

from bot.tooling.servers import MODELS_DIR


class Assistant:
    """The trained model's NLU, as the Rasa server runs it (custom components included)."""

    def __init__(self) -> None:
        from rasa.core.agent import Agent

        model = MODELS_DIR / "assistant.tar.gz"
        if not model.exists():
            pytest.fail("no trained model: run `make train` first")
        self.loop = asyncio.new_event_loop()
        self.agent = Agent.load(str(model))

    def parse(self, text: str) -> Dict[str, Any]:
        return self.loop.run_until_complete(self.agent.parse_message(text))

    def intent(self, text: str) -> str:
        return self.parse(text)["intent"]["name"]


@pytest.fixture(scope="session")
def assistant() -> Assistant:
    return Assistant()


@pytest.fixture(scope="session")
def evaluation(assistant) -> Dict[str, Any]:
    """The held-out set and the red-flag corpus, parsed once by the trained assistant."""
    from bot.tooling.evaluation.metrics import evaluate

    return evaluate(assistant.parse)
