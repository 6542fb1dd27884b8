"""The red-flag corpus against the trained assistant: classifier and detector together.

Escalated means the intent the dialogue acts on is a red-flag intent (the rules then give
the advice). Screening questions are not an escalation.
"""
from __future__ import annotations

import pytest
import yaml

from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.model

CORPUS = yaml.safe_load((PROJECT_ROOT / "tests" / "red_flags" / "corpus.yml").read_text())
SIGNS = CORPUS["positives"] + CORPUS.get("mixed", [])
LOOKALIKES = CORPUS["lookalikes"]
ESCALATES = {"emergency": {"red_flag_emergency"}, "urgent": {"red_flag_urgent", "red_flag_emergency"}}
MAX_FALSE_ESCALATION = 0.02


@pytest.mark.parametrize("tier", ["emergency", "urgent"])
def test_every_sign_is_escalated(assistant, tier, figure):
    examples = [e for e in SIGNS if e["tier"] == tier]
    missed = [(e["text"], assistant.intent(e["text"])) for e in examples
              if assistant.intent(e["text"]) not in ESCALATES[tier]]
    recall = 1 - len(missed) / len(examples)
    figure(f"trained assistant: {tier} recall {len(examples) - len(missed)}/{len(examples)} = {recall:.1%}")
    for text, intent in missed:
        print(f"  missed, got {intent}: {text!r}")
    assert not missed


def test_lookalikes_rarely_escalate(assistant, figure):
    escalated = [(e["text"], assistant.intent(e["text"])) for e in LOOKALIKES
                 if assistant.intent(e["text"]).startswith("red_flag_")]
    rate = len(escalated) / len(LOOKALIKES)
    figure(f"trained assistant: false escalation {len(escalated)}/{len(LOOKALIKES)} = {rate:.1%}")
    for text, intent in escalated:
        print(f"  escalated to {intent}: {text!r}")
    assert rate <= MAX_FALSE_ESCALATION
