"""The NLU gate: the held-out examples in tests/nlu/ (never trained on) must be understood."""
from __future__ import annotations

from collections import Counter

import pytest
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import classification_report, f1_score

from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.model

MIN_MACRO_F1 = 0.95


def heldout_examples():
    data = load_data(str(PROJECT_ROOT / "tests" / "nlu"))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def test_heldout_set_covers_every_trained_intent():
    trained = {m.get("intent") for m in load_data(str(PROJECT_ROOT / "data" / "nlu")).intent_examples}
    tested = Counter(intent for _, intent in heldout_examples())
    missing = sorted(i for i in trained if tested[i] < 5)
    assert not missing, f"intents with fewer than 5 held-out examples: {missing}"


def test_heldout_examples_are_never_trained_on():
    trained = {m.get("text").lower() for m in load_data(str(PROJECT_ROOT / "data" / "nlu")).intent_examples}
    leaked = [text for text, _ in heldout_examples() if text.lower() in trained]
    assert not leaked, f"held-out examples also in the training data: {leaked}"


def test_heldout_intent_macro_f1(assistant, figure):
    examples = heldout_examples()
    truth = [intent for _, intent in examples]
    predicted = [assistant.intent(text) for text, _ in examples]
    labels = sorted(set(truth))
    macro_f1 = f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)
    figure(f"held-out intent macro-F1 {macro_f1:.3f} over {len(examples)} examples (gate {MIN_MACRO_F1})")
    misses = [(t, p, text) for (text, t), p in zip(examples, predicted) if t != p]
    for expected, got, text in misses:
        print(f"  expected {expected:<28} got {got:<28} {text!r}")
    if macro_f1 < MIN_MACRO_F1:
        print(classification_report(truth, predicted, labels=labels, zero_division=0))
    assert macro_f1 >= MIN_MACRO_F1
