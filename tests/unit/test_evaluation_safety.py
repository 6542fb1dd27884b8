"""The figures docs/SAFETY.md reports for the blind and real-world sets, on small hand-made sets."""
import pytest
import yaml

from bot.tooling.evaluation import safety


def test_wilson_upper_bound_of_a_miss_rate():
    assert safety.wilson_upper(0, 40) == pytest.approx(0.0876, abs=1e-3)  # 0 misses still allow ~9%
    assert safety.wilson_upper(0, 400) == pytest.approx(0.0095, abs=1e-3)
    assert safety.wilson_upper(5, 100) > 0.05 > 0
    assert safety.wilson_upper(0, 0) == 1.0


CASES = [
    {"text": "cant pee", "expect": "emergency", "sign": "E2", "kind": "report", "file": "x"},
    {"text": "groin numb", "expect": "emergency", "sign": "E3", "kind": "report", "file": "x"},
    {"text": "both legs numb", "expect": "emergency", "sign": "E5", "kind": "report", "file": "x"},
    {"text": "fever 39", "expect": "urgent", "sign": "U3", "kind": "report", "file": "x"},
    {"text": "no fever", "expect": "none", "sign": "U3", "kind": "negated", "file": "x"},
    {"text": "what is foot drop", "expect": "none", "sign": "E5", "kind": "asked", "file": "x"},
    {"text": "leg aches", "expect": "none", "intent": "leg_pain_normal", "file": "x"},
]
ANSWERS = {"cant pee": "red_flag_emergency", "groin numb": "deny", "both legs numb": "leg_pain_normal",
           "fever 39": "red_flag_emergency",
           "no fever": "deny", "what is foot drop": "red_flag_emergency", "leg aches": "leg_pain_normal"}


def parse(text):
    return {"intent": {"name": ANSWERS[text]}}


def test_judge_counts_recall_reassurance_and_needless_escalation():
    figures = safety.judge(CASES, parse)
    assert figures["emergency"]["escalated"] == 1 and figures["emergency"]["total"] == 3
    assert figures["urgent"]["recall"] == 1.0  # a higher tier counts
    # "every sign denied" and "some leg pain is common" both reassure
    assert [m["text"] for m in figures["reassured"]] == ["groin numb", "both legs numb"]
    assert figures["benign"] == {"total": 3, "told_urgent": 0, "told_emergency": 1, "screened": 0}
    assert figures["intent_accuracy"] == 1.0 and figures["intent_cases"] == 1


def test_a_reviewers_alternative_intent_is_reported_beside_the_strict_accuracy():
    cases = [{"text": "two months on, still sore", "expect": "none", "intent": "duration_overview",
              "also": ["duration_beyond_six_weeks"], "file": "x"},
             {"text": "can I drive", "expect": "none", "intent": "lifestyle_driving", "file": "x"}]
    got = {"two months on, still sore": "duration_beyond_six_weeks", "can I drive": "lifestyle_sitting"}
    figures = safety.judge(cases, lambda t: {"intent": {"name": got[t]}})
    assert figures["intent_accuracy"] == 0.0
    assert figures["intent_accuracy_with_also"] == 0.5
    assert "50.0% with the reviewer's alternatives" in safety.summary_lines("x", figures)[-1]
    assert "intent_accuracy_with_also" not in safety.judge(CASES, parse)  # no alternatives written


def test_gate_fails_a_missed_sign_unless_known_and_always_a_needless_911():
    figures = safety.judge(CASES, parse)
    found = safety.problems("blind_batch1", figures)
    assert any("groin numb" in p for p in found) and any("what is foot drop" in p for p in found)
    known = safety.problems("blind_batch1", figures, known={"groin numb": "not read yet"})
    assert not any("groin numb" in p for p in known) and any("what is foot drop" in p for p in known)


def test_too_many_call_today_answers_to_benign_messages_fail():
    cases = [{"text": f"ok {i}", "expect": "none", "file": "x"} for i in range(10)]
    figures = safety.judge(cases, lambda t: {"intent": {"name": "red_flag_urgent" if t == "ok 0" else "greet"}})
    assert any("told to call today" in p for p in safety.problems("real_world", figures,
                                                                  max_benign_urgent=safety.MAX_BENIGN_URGENT))
    assert not any("told to call today" in p for p in safety.problems("blind_batch1", figures))


def test_benign_messages_asked_the_screening_questions_are_counted_apart():
    """A happy update answered with the screening questions is no escalation, but it is counted and
    listed (docs/SAFETY.md), and a missed sign that got them is not counted among the benign."""
    cases = [{"text": "walked 3km, pain barely there", "expect": "none", "file": "x"},
             {"text": "feeling great today", "expect": "none", "file": "x"},
             {"text": "leg aches", "expect": "none", "file": "x"},
             {"text": "pain worse today", "expect": "none", "intent": "pain_worsening", "file": "x"},
             {"text": "cant pee", "expect": "emergency", "file": "x"}]
    answers = {"walked 3km, pain barely there": "pain_worsening", "feeling great today": "greet",
               "leg aches": "red_flag_urgent", "pain worse today": "pain_worsening", "cant pee": "pain_worsening"}
    figures = safety.judge(cases, lambda t: {"intent": {"name": answers[t]}})
    # "pain worse today" asks for the screening (its reviewer's intent): not counted
    assert figures["benign"] == {"total": 4, "told_urgent": 1, "told_emergency": 0, "screened": 1}
    assert [r["text"] for r in figures["benign_screened"]] == ["walked 3km, pain barely there"]
    assert [r["text"] for r in figures["screened"]] == ["cant pee"]  # the missed sign, asked
    line = next(line for line in safety.summary_lines("real_world", figures) if "benign 4" in line)
    assert "asked the screening questions 1 (25.0%)" in line


def test_an_empty_sealed_set_is_reported_and_gated_without_cases(monkeypatch):
    """blind_sealed is empty between batches (tests/blind/README.md): nothing fails on it."""
    monkeypatch.setitem(safety.SETS, "blind_sealed", ())
    assert "blind_sealed" in safety.GATED
    figures = safety.judge(safety.load_cases("blind_sealed"), parse)
    assert figures["cases"] == 0 and safety.problems("blind_sealed", figures) == []
    assert any("benign 0" in line for line in safety.summary_lines("blind_sealed", figures))


def test_a_sealed_sets_texts_are_never_shown():
    figures = safety.judge(CASES, parse)
    found = safety.problems("blind_sealed", figures)
    assert found and not any(case["text"] in p for p in found for case in CASES)
    assert any("sign E3, report" in p for p in found)


def test_a_first_run_reports_figures_and_failures_by_sign_never_the_texts(tmp_path):
    from bot.tooling.evaluation import first_run

    lines = first_run.report_lines(tmp_path / "batch9.yml", safety.judge(CASES, parse))
    shown = "\n".join(lines)
    assert "emergency recall 1/3" in shown
    assert "failure E3 report -> deny x1" in shown and "failure E5 asked -> red_flag_emergency x1" in shown
    assert not any(case["text"] in shown for case in CASES)


def test_a_first_runs_failures_are_listed_as_known_misses_once(tmp_path):
    from bot.tooling.evaluation import first_run

    known = tmp_path / "blind" / "known_misses.yml"
    known.parent.mkdir()
    known.write_text("# header kept\nmisses: []\n")
    figures = safety.judge(CASES, parse)
    assert first_run.write_misses(tmp_path / "batch9.yml", figures, known) == 3
    assert first_run.write_misses(tmp_path / "batch9.yml", figures, known) == 0  # already listed
    listed = safety.known_misses(tmp_path)
    assert set(listed) == {"groin numb", "both legs numb", "what is foot drop"}
    assert "sealed batch9 E3 emergency sign not escalated" in listed["groin numb"]
    assert "asked look-alike told to call 911" in listed["what is foot drop"]
    assert known.read_text().startswith("# header kept\n")


def test_a_first_runs_failures_follow_the_lists_own_indentation(tmp_path):
    from bot.tooling.evaluation import first_run

    known = tmp_path / "blind" / "known_misses.yml"
    known.parent.mkdir()
    known.write_text("misses:\n  - text: an earlier miss\n    why: a reason\n")
    first_run.write_misses(tmp_path / "batch9.yml", safety.judge(CASES, parse), known)
    assert set(safety.known_misses(tmp_path)) == {"an earlier miss", "groin numb", "both legs numb",
                                                   "what is foot drop"}


def test_a_later_run_takes_out_only_the_sets_listed_failures_that_pass_now(tmp_path):
    from bot.tooling.evaluation import first_run

    batch = tmp_path / "batch9.yml"
    batch.write_text(yaml.safe_dump({"cases": [{k: v for k, v in c.items() if k != "file"} for c in CASES]}))
    known = tmp_path / "blind" / "known_misses.yml"
    known.parent.mkdir()
    known.write_text("# header kept\nmisses:\n  - text: an earlier miss\n    why: another set's\n"
                     "  - text: groin numb\n    why: still missed\n  - text: cant pee\n    why: passes now\n"
                     "  # batch 10's first run\n  - text: both legs numb\n    why: listed\n")
    assert first_run.drop_passed(batch, safety.judge(CASES, parse), known) == 1
    assert set(safety.known_misses(tmp_path)) == {"an earlier miss", "groin numb", "both legs numb"}
    assert known.read_text().startswith("# header kept\nmisses:\n")
    assert "  # batch 10's first run\n  - text: both legs numb" in known.read_text()
