"""`rasa data validate`, with every warning an error, except the two Rasa 3.6 gets wrong.

`python -m bot.tooling.content_checks.rasa_validation` (make validate). Rasa warns that a response
"is not used in any story or rule" when a form asks it (utter_ask_<slot>) or Python says it
(custom actions, bot/*.py); this check accepts exactly those uses and nothing else. Rasa
3.6.21 also warns "Slot auto-fill has been removed" for every domain with slots.
"""
from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, List, Set

from bot.tooling.content_checks.loader import Problem

if TYPE_CHECKING:  # Rasa is imported only when the check runs
    from rasa.shared.core.domain import Domain

ROOT = Path(__file__).resolve().parents[3]
UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule\.")
RASA_BUG = "Slot auto-fill has been removed"
PYTHON_USERS = ("actions/**/*.py", "bot/**/*.py")  # every module, at any depth


def responses_used_outside_stories(root: Path, domain: Domain) -> Set[str]:
    used = {f"utter_ask_{slot}" for form in domain.forms.values() for slot in form.get("required_slots", [])}
    for pattern in PYTHON_USERS:
        for path in root.glob(pattern):
            used.update(re.findall(r'"(utter_\w+)"', path.read_text()))
    return used


def check(root: Path = ROOT) -> List[Problem]:
    from rasa.cli.utils import validate_files
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        str(root / "config.yml"), str(root / "domain.yml"), [str(root / "data")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            validate_files(fail_on_warnings=True, max_history=None, importer=importer)
            failed = False
        except SystemExit:
            failed = True
        used = responses_used_outside_stories(root, importer.get_domain())
    problems = []
    for warning in caught:
        message = str(warning.message).strip()
        unused = UNUSED.search(message)
        if RASA_BUG in message or (unused and unused.group(1) in used):
            continue
        if not issubclass(warning.category, (UserWarning, FutureWarning)):
            continue  # libraries' deprecation notices, not the project's data
        problems.append(Problem("data", 0, f"rasa data validate: {message.splitlines()[0]}",
                                "fix the file Rasa names, or use the response in a rule or story"))
    if failed:
        problems.append(Problem("data", 0, "rasa data validate failed (see its messages above)"))
    return problems


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    print(f"rasa data validate: {len(problems)} problem(s) (responses asked by forms or actions accepted)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
