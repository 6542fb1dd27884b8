"""Quality checks on the content team's YAML, run by `make validate` beside `rasa data validate`.

Rasa's validator checks that the files fit together; these check what it cannot: enough and
distinct examples, a source and a patient's reading level for every answer, no typed phone
numbers, tests for every intent and every name they use, one YAML style, and (warnings) words
the red-flag detector reads otherwise than meant. `python -m bot.tooling.content_checks` runs them
alone; `python -m bot.tooling.content_checks.validate` (make validate) runs both halves.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, List

from bot.tooling.content_checks import (coverage, examples, readability, red_flag_collisions, responses,
                                        yaml_style)
from bot.tooling.content_checks.loader import Problem, Project

CHECKS: List[Callable[[Project], List[Problem]]] = [
    examples.check_counts,                   # 1. >= 20 training examples per intent
    examples.check_duplicates,               # 2. no repeated example; no held-out example trained on
    examples.check_near_duplicates,          # 3. no near-duplicate across two intents
    responses.check_sources,                 # 4. metadata.source on every response
    readability.check_reading_level,         # 5. Flesch-Kincaid grade <= 8
    responses.check_phone_numbers,           # 6. no typed phone numbers ...
    responses.check_clinic_phone_placeholder,  # ... and {clinic_phone} where the clinic is to be called
    coverage.check_intents,                  # 7. domain, NLU, stories and conversation tests agree ...
    coverage.check_actions,                  # ... and every action, form and slot they use is defined
    coverage.check_conversation_file_names,  # ... and Rasa runs every conversation test file
    yaml_style.check_style,                  # 8. version line, 2-space indents, known keys
    red_flag_collisions.check_collisions,    # 9. warnings: words the red-flag detector reads otherwise
]


def run_all(root: Path) -> List[Problem]:
    """Every problem of the project at `root`, parse errors first, then by file and line."""
    project = Project(root)
    found = [problem for check in CHECKS for problem in check(project)]
    return project.problems + sorted(set(found), key=lambda p: (p.path, p.line, p.message))
