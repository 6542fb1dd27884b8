"""`make bench`'s arithmetic and its target table (issue 17), without servers."""
import json
import math
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from bot.tooling.bench.clients import REFERENCE_MESSAGES, Bot
from bot.tooling.bench.content_edit import EDITED_RESPONSE, edit_response
from bot.tooling.bench import reference
from bot.tooling.bench.reference import make_project
from bot.tooling.bench.stats import Run, percentile, ratio, slope, without_nan
from bot.tooling.bench.targets import rows, table, throughput_ratio


def test_percentiles_are_measured_values_by_nearest_rank():
    values = [float(v) for v in range(10, 0, -1)]  # order does not matter
    assert percentile(values, 50) == 5.0
    assert percentile(values, 95) == 10.0
    assert percentile([42.0], 95) == 42.0
    assert math.isnan(percentile([], 50))


def test_a_ratio_is_missing_rather_than_made_up():
    assert ratio(10.0, 40.0) == 0.25
    assert ratio(1.0, 3.0) == 0.33
    assert ratio(5.0, 0.0) is None
    assert ratio(None, 4.0) is None
    assert ratio(float("nan"), 4.0) is None


def test_growth_per_turn_is_the_least_squares_slope():
    assert slope([(1, 10.0), (2, 12.0), (3, 14.0)]) == pytest.approx(2.0)
    assert math.isnan(slope([(1, 10.0), (1, 12.0)]))


def test_a_run_counts_failed_turns_apart_from_its_latencies():
    run = Run(latencies=[0.010, 0.020, 0.030, 0.040], errors=["'hi': HTTP 503"], wall=2.0)
    summary = run.summary()
    assert summary["turns"] == 4 and summary["errors"] == 1
    assert summary["p50_ms"] == 20.0 and summary["msg_per_s"] == 2.0


def test_the_report_is_strict_json_a_figure_not_measured_is_null():
    single_phase = Run(latencies=[0.01]).summary()  # alternating bots: no msg/s of its own
    report = without_nan({"single": single_phase, "long": [float("nan"), 1.5]})
    assert report["single"]["msg_per_s"] is None and report["long"] == [None, 1.5]
    json.dumps(report, allow_nan=False)


def test_throughput_against_the_baseline_cancels_the_machine_when_the_reference_ran_both_times():
    baseline = {"project_msg_per_s": 20.0, "reference_msg_per_s": 10.0}
    # A machine twice as slow today: both bots halve, the project did not get worse.
    assert throughput_ratio(10.0, 5.0, baseline) == (1.0, "relative to the reference")
    assert throughput_ratio(30.0, None, baseline) == (1.5, "msg/s against msg/s")
    assert throughput_ratio(30.0, 5.0, {}) == (None, "no baseline")


def report(**changes):
    single = {"p50_ms": 12.0, "p95_ms": 30.0}
    project = {"single": single, "long_session": {"turns": 50, "first_turn_ms": 20.0, "last_turn_ms": 21.0,
                                                  "last_over_first": 1.05, "growth_ms_per_turn": 0.02},
               "throughput": {"msg_per_s": 60.0, "p95_ms": 300.0, "errors": 0}, "peak_mb": 400,
               "action_peak_mb": 50, "startup_s": 10.0, "action_startup_s": 2.0, "train_s": 90.0,
               "reload": {"live_s": 12.0}}
    reference = {"single": {"p50_ms": 100.0, "p95_ms": 150.0}, "throughput": {"msg_per_s": 20.0},
                 "peak_mb": 1000, "startup_s": 20.0, "train_s": 120.0}
    ratios = {"p50": 0.12, "p95": 0.2, "peak_rss": 0.4, "startup": 0.5, "throughput_vs_baseline": 1.6,
              "throughput_compared": "relative to the reference"}
    result = {"project": project, "reference": reference, "ratios": ratios, "errors": 0,
              "baseline": {"project_msg_per_s": 37.5, "date": "2026-12-02"}}
    for key, value in changes.items():
        section, _, name = key.partition("__")
        (result[section] if name else result).update({name: value} if name else {section: value})
    return result


def verdicts(a_report):
    return {row.figure.split(":")[0]: row.verdict for row in rows(a_report) if row.target}


def test_every_target_of_the_issue_is_in_the_table_and_met_when_the_figures_are_good():
    assert verdicts(report()) == {
        "p50 per turn, 1 client": "met", "p50 at turn 50 / turn 1 of one session": "met",
        "Throughput, 10 clients": "met", "Peak RSS, Rasa server": "met",
        "Content edit live in the running bot (`make reload`)": "met",
        "Errors (failed turns, servers, training, reload)": "met"}


def test_figures_beyond_their_targets_are_missed_not_hidden():
    slow = report(ratios__p50=0.56, ratios__peak_rss=0.64, ratios__throughput_vs_baseline=1.0, errors=2)
    slow["project"]["long_session"]["last_over_first"] = 2.8
    slow["project"]["reload"] = {"live_s": 25.0}
    assert set(verdicts(slow).values()) == {"missed"}
    assert "| p50 per turn, 1 client: project / reference | 0.56 (12 / 100 ms) | <= 0.2 | missed |" in table(slow)


def test_without_the_reference_its_ratios_are_not_measured_rather_than_met():
    alone = report(reference=None, ratios__p50=None, ratios__peak_rss=None)
    assert verdicts(alone)["p50 per turn, 1 client"] == "not measured"
    assert verdicts(alone)["Peak RSS, Rasa server"] == "not measured"


def test_a_reload_that_never_went_live_misses_its_target():
    assert verdicts(report(project__reload={"live_s": None}))[
        "Content edit live in the running bot (`make reload`)"] == "missed"


def test_project_clients_start_apart_and_the_reference_follows_its_own_stories():
    reference = Bot("reference", "http://x", REFERENCE_MESSAGES, must_answer=False)
    first = [reference.message("bench-single", turn) for turn in range(11)]
    assert [b["message"] for b in first[:2]] == ["hello", "I am feeling great"]
    assert first[9]["sender"] == "bench-single-0" and first[10]["sender"] == "bench-single-1"
    project = Bot("project", "http://y", ["a", "b", "c"], must_answer=True)
    assert project.message("bench-x-0", 0)["message"] != project.message("bench-x-1", 0)["message"]


def test_the_content_edit_changes_one_response_of_a_copy(tmp_path):
    domain = tmp_path / "domain.yml"
    domain.write_text(f'responses:\n  {EDITED_RESPONSE}:\n    - text: "Take care."\n  utter_x:\n'
                      '    - text: "Other."\n', encoding="utf-8")
    edited = edit_response(domain, "edited 1")
    assert edited == "Take care. (edited 1)"
    responses = yaml.safe_load(domain.read_text(encoding="utf-8"))["responses"]
    assert responses[EDITED_RESPONSE][0]["text"] == edited and responses["utter_x"][0]["text"] == "Other."


def test_the_content_edit_refuses_a_text_it_cannot_find_once(tmp_path):
    domain = tmp_path / "domain.yml"
    domain.write_text(f'responses:\n  {EDITED_RESPONSE}:\n    - text: "Bye"\n  utter_x:\n    - text: "Bye"\n',
                      encoding="utf-8")
    with pytest.raises(RuntimeError, match="not written once"):
        edit_response(domain, "edited 1")


def test_the_reference_project_is_what_rasa_init_writes(tmp_path):
    project = make_project(tmp_path / "reference")
    domain = yaml.safe_load((project / "domain.yml").read_text(encoding="utf-8"))
    assert "utter_greet" in domain["responses"]
    assert not [a for a in domain.get("actions", []) if not a.startswith("utter_")]  # no action server needed
    assert "rest" in yaml.safe_load((project / "credentials.yml").read_text(encoding="utf-8"))
    endpoints = yaml.safe_load((project / "endpoints.yml").read_text(encoding="utf-8")) or {}
    assert "tracker_store" not in endpoints  # Rasa's in-memory default


def test_the_reference_is_trained_once_then_reused_until_asked_again(tmp_path, monkeypatch):
    trainings = []

    def fake_rasa_train(command, cwd, **_):  # what `rasa train --out models` leaves behind
        trainings.append(command)
        (Path(cwd) / "models").mkdir()
        (Path(cwd) / "models" / "reference.tar.gz").write_bytes(b"model")
        return 0

    monkeypatch.setattr(reference.subprocess, "call", fake_rasa_train)
    first = reference.trained(tmp_path / "var", tmp_path / "w1", tmp_path / "logs" / "train.log")
    assert first["trained_now"] and first["model"].endswith(f"var/bench/reference-{version('rasa')}.tar.gz")
    assert Path(first["model"]).read_bytes() == b"model" and first["train_s"] >= 0
    again = reference.trained(tmp_path / "var", tmp_path / "w2", tmp_path / "logs" / "train.log")
    assert not again["trained_now"] and again["train_s"] == first["train_s"] and len(trainings) == 1
    reference.trained(tmp_path / "var", tmp_path / "w3", tmp_path / "logs" / "train.log", retrain=True)
    assert len(trainings) == 2
