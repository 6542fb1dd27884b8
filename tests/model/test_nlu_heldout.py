"""The evaluation gate on the trained assistant: held-out intents (tests/nlu/, never trained on)
and the red-flag corpus, classifier and detector together. `make evaluate` writes the report."""
from __future__ import annotations

from collections import Counter

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.tooling.evaluation.metrics import MAX_FALSE_ESCALATION, gate, heldout_examples, read_baseline
from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.model

MIN_MACRO_F1 = 0.95


def trained_texts():
    return load_data(str(PROJECT_ROOT / "data" / "nlu")).intent_examples


def test_heldout_set_covers_every_trained_intent():
    tested = Counter(intent for _, intent in heldout_examples())
    missing = sorted({m.get("intent") for m in trained_texts()} - {i for i in tested if tested[i] >= 5})
    assert not missing, f"intents with fewer than 5 held-out examples: {missing}"


def test_heldout_examples_are_never_trained_on():
    trained = {m.get("text").lower() for m in trained_texts()}
    leaked = [text for text, _ in heldout_examples() if text.lower() in trained]
    assert not leaked, f"held-out examples also in the training data: {leaked}"


def test_heldout_intent_macro_f1(evaluation, figure):
    figure(f"held-out intent macro-F1 {evaluation['macro_f1']:.3f} "
           f"over {len(evaluation['confusion']['truth'])} examples (gate {MIN_MACRO_F1})")
    for miss in evaluation["misclassified"]:
        print(f"  expected {miss['expected']:<26} got {miss['predicted']:<26} {miss['text']!r}")
    assert evaluation["macro_f1"] >= MIN_MACRO_F1


@pytest.mark.parametrize("tier", ["emergency", "urgent"])
def test_every_red_flag_phrasing_escalates(evaluation, figure, tier):
    flags = evaluation["red_flags"]
    figure(f"trained assistant: {tier} recall {flags[f'{tier}_recall']:.1%}")
    assert [m["text"] for m in flags["missed"] if m["tier"] == tier] == []


def test_lookalikes_rarely_escalate(evaluation, figure):
    flags = evaluation["red_flags"]
    figure(f"trained assistant: false escalation {flags['false_escalation']:.1%} "
           f"(max {MAX_FALSE_ESCALATION:.0%}): {flags['escalated']}")
    assert flags["false_escalation"] <= MAX_FALSE_ESCALATION


def test_no_regression_against_the_recorded_baseline(evaluation):
    baseline = read_baseline()
    assert baseline, "docs/nlu_baseline.json is missing: make evaluate ARGS=--update-baseline"
    assert gate(evaluation, baseline) == []
