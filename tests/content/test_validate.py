"""`make validate` the way issue 20 found it: an editor's change in a copy of the project, with the
mistakes that got past, each reported at its file and line in ONE run of the entry point.

The editor adds a question the article does not answer ("can I fly?"): the intent, 20 examples,
the answer, a rule and a conversation test. Planted: the rule names a response the domain lacks
(a typo), a second answer has no source, and one example reports a red flag. Both halves must
run (Rasa's validator and the content checks) and the command must fail. No trained model needed.
"""
from __future__ import annotations

import io
import shutil
from contextlib import redirect_stdout
from pathlib import Path
from typing import List

import pytest

from bot.red_flags import detect
from bot.settings import PROJECT_ROOT
from bot.tooling.content_checks.validate import main

# What `make validate` reads: the content, and the Python that says response names.
CONTENT = ["config.yml", "domain.yml", "data", "tests/conversations", "tests/nlu", "actions", "bot"]
COLLIDING = "can i fly home tomorrow, i have had a fever of 39 since last night"
EXAMPLES = [f"can i {verb} {where}" for verb in ("fly", "take a plane", "travel by air", "get on a flight")
            for where in ("next week", "after the op", "to see my mum", "on holiday", "for work")]


def copy_project(target: Path) -> Path:
    for name in CONTENT:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / name)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + text, encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def editors_change(root: Path) -> None:
    """What docs/CONTENT.md tells an editor to do for a new question, with three mistakes in it."""
    edit(root / "domain.yml", "  - care_brace\n", "  - care_brace\n  - care_flying\n")
    edit(root / "domain.yml", "  # --- red flags (docs/SAFETY.md) ", '''  utter_care_flying:
    - text: "My answers come from an article that does not cover flying. Call {clinic_name} at {clinic_phone}."
      metadata:
        source: "assistant: ask the care team"
  utter_care_flying_long_trip:
    - text: "For a long trip, ask {clinic_name} at {clinic_phone} too."

  # --- red flags (docs/SAFETY.md) ''')
    examples = "".join(f"      - {e}\n" for e in EXAMPLES + [COLLIDING])
    append(root / "data/nlu/care_team.yml", f"\n  - intent: care_flying\n    examples: |\n{examples}")
    append(root / "data/stories/rules/care_team.yml", """
  - rule: answer care flying
    steps:
      - intent: care_flying
      - action: utter_care_flyng
""")
    append(root / "tests/conversations/test_care_team.yml", """
  - story: care team - "am i ok to fly to spain"
    steps:
      - user: |
          am i ok to fly to spain
        intent: care_flying
      - action: utter_care_flying
""")
    append(root / "tests/nlu/heldout.yml", """
  - intent: care_flying
    examples: |
      - is flying ok
      - when can i board a plane
      - long haul flight after surgery?
      - can i go abroad by plane
      - plane trip next month ok
""")


def reported(output: List[str], path: str, line: int, *words: str) -> List[str]:
    return [o for o in output if o.startswith(f"{path}:{line}: ") and all(w in o for w in words)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("project"))
    editors_change(root)
    with redirect_stdout(io.StringIO()) as out:
        code = main(["--root", str(root)])
    return root, code, out.getvalue().splitlines()


def test_the_colliding_example_is_a_red_flag_for_the_detector():
    assert detect(COLLIDING).tier != "none"


def test_the_run_fails_and_ends_with_one_summary(run):
    _, code, output = run
    assert code == 1
    assert output[-1].startswith("validate: ") and "rasa data validate: " in output[-1]
    assert "content checks: " in output[-1]


def test_a_rule_naming_a_missing_response_is_reported_at_the_rule_step(run):
    root, _, output = run
    line = line_of(root / "data/stories/rules/care_team.yml", "utter_care_flyng")
    found = reported(output, "data/stories/rules/care_team.yml", line, "error", "rule 'answer care flying'",
                     "'utter_care_flyng'", "hint: add utter_care_flyng under responses:")
    assert len(found) == 1, "\n".join(output)  # found by both halves, printed once
    assert not [o for o in output if o.startswith("data:0") or "in the stories" in o]


def test_a_response_without_source_is_reported_at_the_response(run):
    root, _, output = run
    line = line_of(root / "domain.yml", 'For a long trip, ask')
    assert reported(output, "domain.yml", line, "error", "utter_care_flying_long_trip names no source",
                    "hint: add `metadata: {source:"), "\n".join(output)


def test_a_training_example_that_the_detector_escalates_is_a_warning_at_its_line(run):
    root, _, output = run
    line = line_of(root / "data/nlu/care_team.yml", COLLIDING)
    assert reported(output, "data/nlu/care_team.yml", line, "warning", "(care_flying)",
                    "the red-flag detector escalates it as urgent", "hint: "), "\n".join(output)


def test_rasa_messages_come_with_a_place_and_a_hint(run):
    """Rasa's half ran too: the response it says nothing uses, at the response, with a hint."""
    root, _, output = run
    line = line_of(root / "domain.yml", "  utter_care_flying:")
    assert reported(output, "domain.yml", line, "error", "response 'utter_care_flying' is used in no rule or story",
                    "(hint: "), "\n".join(output)
    assert all(": error: " in o or ": warning: " in o for o in output[:-1]), "\n".join(output)
    assert not [o for o in output if "Rasa could not load" in o or "validator stopped" in o], "\n".join(output)
