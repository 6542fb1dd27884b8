"""The evaluation gate and report of `make evaluate` (and `make test`), on hand-made results."""
import json

import pytest

from bot.tooling.evaluation import cli as evaluation_cli
from bot.tooling.evaluation import metrics as evaluate
from bot.tooling.evaluation.report import compare_table, markdown, write_report


def result(macro_f1=0.96, missed=(), false_escalation=0.01):
    return {"macro_f1": macro_f1, "per_intent": {"greet": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}},
            "misclassified": [], "parse_ms": 3.0,
            "confusion": {"labels": ["greet"], "truth": ["greet", "greet"], "predicted": ["greet", "greet"]},
            "red_flags": {"emergency_recall": 1.0, "urgent_recall": 1.0, "false_escalation": false_escalation,
                          "missed": list(missed), "escalated": []}}


BASELINE = {"macro_f1": 0.960}


def test_a_drop_of_more_than_one_point_fails():
    problems = evaluate.gate(result(macro_f1=0.949), BASELINE)  # 1.1 points
    assert len(problems) == 1 and "dropped" in problems[0]


def test_a_drop_within_one_point_passes():
    assert evaluate.gate(result(macro_f1=0.951), BASELINE) == []  # 0.9 points


def test_a_single_missed_emergency_fails():
    problems = evaluate.gate(result(missed=[{"tier": "emergency", "text": "cant pee"}]), BASELINE)
    assert problems == ["emergency phrasing not escalated: 'cant pee'"]


def test_too_many_false_escalations_fail():
    assert evaluate.gate(result(false_escalation=0.021), BASELINE)
    assert evaluate.gate(result(false_escalation=0.02), BASELINE) == []


def test_without_a_baseline_only_the_red_flags_count():
    assert evaluate.gate(result(macro_f1=0.5), None) == []
    assert evaluate.gate(result(missed=[{"tier": "urgent", "text": "x"}]), None)


def test_red_flag_figures_escalation_rules(monkeypatch):
    corpus = {"signs": [{"text": "e1", "tier": "emergency"}, {"text": "e2", "tier": "emergency"},
                        {"text": "u1", "tier": "urgent"}, {"text": "u2", "tier": "urgent"}],
              "lookalikes": [{"text": "l1", "tier": "none"}, {"text": "l2", "tier": "none"}],
              "known_misses": [{"text": "k1", "tier": "urgent"}]}
    monkeypatch.setattr(evaluate, "red_flag_corpus", lambda: corpus)
    # an urgent sign taken for an emergency escalates; an emergency taken for urgent does not
    intents = {"e1": "red_flag_emergency", "e2": "red_flag_urgent", "u1": "red_flag_emergency",
               "u2": "pain_worsening", "l1": "red_flag_urgent", "l2": "deny", "k1": "red_flag_urgent"}
    flags = evaluate.red_flag_figures(lambda text: {"intent": {"name": intents[text]}})
    assert flags["emergency_recall"] == 0.5 and flags["urgent_recall"] == 0.5
    assert flags["missed"] == [{"tier": "emergency", "text": "e2"}, {"tier": "urgent", "text": "u2"}]
    assert flags["escalated"] == ["l1"] and flags["false_escalation"] == 0.5
    assert flags["known_misses"] == [{"tier": "urgent", "text": "k1", "escalated": True}]  # reported, not gated


def test_evaluate_scores_any_parse_function(monkeypatch):
    monkeypatch.setattr(evaluate, "heldout_examples",
                        lambda: [("hi", "greet"), ("bye", "goodbye"), ("ciao", "goodbye")])
    monkeypatch.setattr(evaluate, "red_flag_corpus", lambda: {"signs": [], "lookalikes": []})
    monkeypatch.setattr(evaluate.safety, "evaluate_sets", lambda parse: {})
    monkeypatch.setattr(evaluate.multi_question, "load_cases", lambda: [])
    answers = {"hi": ("greet", 0.9), "bye": ("goodbye", 0.8), "ciao": ("nlu_fallback", 0.25)}
    scored = evaluate.evaluate(lambda t: {"intent": {"name": answers[t][0], "confidence": answers[t][1]}})
    assert scored["per_intent"]["goodbye"] == {"precision": 1.0, "recall": 0.5, "f1": 0.667, "support": 2}
    assert scored["macro_f1"] == pytest.approx((1 + 2 / 3) / 2, abs=1e-4)
    assert scored["misclassified"] == [{"text": "ciao", "expected": "goodbye", "predicted": "nlu_fallback",
                                        "confidence": 0.25}]


def test_baseline_round_trip(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate, "BASELINE", tmp_path / "baseline.json")
    assert evaluate.read_baseline() is None
    evaluate.write_baseline(result(macro_f1=0.97), "config.yml")
    saved = evaluate.read_baseline()
    assert saved["macro_f1"] == 0.97 and saved["per_intent_f1"] == {"greet": 1.0}
    assert saved["emergency_recall"] == saved["urgent_recall"] == 1.0 and saved["false_escalation"] == 0.01
    assert json.loads((tmp_path / "baseline.json").read_text())["config"] == "config.yml"


def test_report_files_and_changes_against_the_baseline(tmp_path):
    now = result(macro_f1=0.94)
    now["misclassified"] = [{"text": "yo", "expected": "greet", "predicted": "thank", "confidence": 0.4}]
    old = {"macro_f1": 0.96, "per_intent_f1": {"greet": 0.9, "stop": 1.0}, "emergency_recall": 1.0}
    write_report(now, old, evaluate.gate(now, old), tmp_path)
    report = (tmp_path / "report.md").read_text()
    assert "**FAILED**" in report and "| 0.940 | 0.960 | -0.020 |" in report
    assert "| greet | 1.00 | 1.00 | 1.00 | 0.90 | +0.100 | 2 |" in report and "stop (gone)" in report
    assert "| greet | thank | 0.40 | yo |" in report
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["passed"] is False and "confusion" not in saved
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 0
    assert "PASSED" in markdown(result(), None, [])


def test_comparison_table_puts_configs_side_by_side():
    runs = {"a.yml": {**result(0.9), "train_s": 1.0}, "b.yml": {**result(0.8), "train_s": 2.0}}
    runs["b.yml"]["per_intent"] = {"deny": {"f1": 0.5}}
    table = compare_table(runs)
    assert "| **intent macro-F1 (held-out)** | **0.900** | **0.800** |" in table
    assert "| deny | - | 0.50 |" in table and "| greet | 1.00 | - |" in table


def test_update_baseline_is_refused_while_a_red_flag_is_missed(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate, "BASELINE", tmp_path / "baseline.json")
    monkeypatch.setattr(evaluation_cli, "quiet", lambda: None)
    monkeypatch.setattr(evaluate, "evaluate_model", lambda model: result(missed=[{"tier": "urgent", "text": "x"}]))
    argv = ["--model", "some.tar.gz", "--out", str(tmp_path / "report"), "--update-baseline"]
    assert evaluation_cli.main(argv) == 1 and not (tmp_path / "baseline.json").exists()
    monkeypatch.setattr(evaluate, "evaluate_model", lambda model: result(macro_f1=0.5))
    assert evaluation_cli.main(argv) == 0  # a lower F1 may be recorded on purpose
    assert evaluate.read_baseline()["macro_f1"] == 0.5


def test_the_committed_baseline_is_a_real_measurement():
    baseline = evaluate.read_baseline()
    assert 0.0 < baseline["macro_f1"] <= 1.0
    assert baseline["emergency_recall"] == baseline["urgent_recall"] == 1.0
    assert baseline["false_escalation"] <= evaluate.MAX_FALSE_ESCALATION


def test_the_committed_baseline_reaches_the_floor():
    assert evaluate.read_baseline()["macro_f1"] >= 0.95
