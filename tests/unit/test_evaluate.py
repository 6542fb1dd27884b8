"""The evaluation gate: what fails `make evaluate` and `make test`."""
import json

from bot import evaluate


def result(macro_f1=0.96, missed=(), false_escalation=0.01):
    return {"macro_f1": macro_f1, "per_intent": {"greet": {"f1": 1.0}},
            "red_flags": {"emergency_recall": 1.0, "urgent_recall": 1.0, "false_escalation": false_escalation,
                          "missed": list(missed), "escalated": []}}


BASELINE = {"macro_f1": 0.960}


def test_a_drop_of_more_than_one_point_fails():
    assert evaluate.gate(result(macro_f1=0.949), BASELINE)
    assert "dropped" in evaluate.gate(result(macro_f1=0.949), BASELINE)[0]


def test_a_drop_within_one_point_passes():
    assert evaluate.gate(result(macro_f1=0.951), BASELINE) == []


def test_a_single_missed_emergency_fails():
    problems = evaluate.gate(result(missed=[{"tier": "emergency", "text": "cant pee"}]), BASELINE)
    assert problems == ["emergency phrasing not escalated: 'cant pee'"]


def test_too_many_false_escalations_fail():
    assert evaluate.gate(result(false_escalation=0.021), BASELINE)
    assert evaluate.gate(result(false_escalation=0.02), BASELINE) == []


def test_baseline_round_trip(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate, "BASELINE", tmp_path / "baseline.json")
    assert evaluate.read_baseline() is None
    evaluate.write_baseline(result(macro_f1=0.97), "config.yml")
    saved = evaluate.read_baseline()
    assert saved["macro_f1"] == 0.97 and saved["per_intent_f1"] == {"greet": 1.0}
    assert json.loads((tmp_path / "baseline.json").read_text())["config"] == "config.yml"


def test_the_committed_baseline_is_a_real_measurement():
    baseline = evaluate.read_baseline()
    assert 0.95 <= baseline["macro_f1"] <= 1.0
    assert baseline["emergency_recall"] == baseline["urgent_recall"] == 1.0
