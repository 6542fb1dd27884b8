"""`python -m bot.tooling.content_checks.validate [--root DIR]` (make validate): both halves, one report.

Rasa's validator (rasa_validation.py) and the content checks (run_all, red-flag collisions
included) both run, whatever either finds, and every problem is printed as `file:line: level:
message (hint: ...)`, errors first, then one summary line. Exit status 1 when any is an error.

The halves run side by side on the two cores: Rasa's in a child process, because importing it
means importing TensorFlow (about 10 s here); the content checks in this one, where spaCy (for
the red-flag detector) is imported without TensorFlow. A problem both halves find at the same
line (a rule naming a response the domain lacks, say) is printed once.
"""
from __future__ import annotations

import argparse
import multiprocessing
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import List, Optional, Tuple

from bot.tooling.content_checks import run_all
from bot.tooling.content_checks.loader import Problem, Project
from bot.tooling.content_checks.rasa_validation import Outcome
from bot.tooling.content_checks.rasa_validation import run as run_rasa
from bot.tooling.content_checks.readability import MAX_GRADE, grades

ROOT = Path(__file__).resolve().parents[3]
_NAME = re.compile(r"'([^']+)'")
PROGRESS = re.compile(r"it/s\]|s/it\]|\d+%\|")  # tqdm's lines


def _same_mistake(rasa: Problem, ours: List[Problem]) -> bool:
    """A Rasa problem the content checks also found: same line, and a name quoted in both."""
    names = set(_NAME.findall(rasa.message))
    return any(p.path == rasa.path and p.line == rasa.line and names & set(_NAME.findall(p.message)) for p in ours)


def validate(root: Path) -> Tuple[Outcome, List[Problem]]:
    """(Rasa's outcome, the content checks' problems), the two run at once."""
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing shared with this one
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:  # waits for a clean exit
        pending = pool.submit(run_rasa, root)
        content = run_all(root)
        try:
            rasa: Outcome = pending.result()
        except Exception as error:  # noqa: BLE001 - the child died: say so, keep the content checks
            rasa = Outcome([Problem("domain.yml", 1, f"Rasa's validator stopped: {type(error).__name__}: {error}",
                                    "run `python -m bot.tooling.content_checks.rasa_validation` to see why")],
                           crashed=True)
    return rasa, content


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tooling.content_checks.validate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project folder (default: this repository)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    rasa, content = validate(args.root)
    if rasa.crashed:  # keep what Rasa said, without its progress bars
        print("\n".join(line for line in rasa.output.replace("\r", "\n").splitlines()
                        if line.strip() and not PROGRESS.search(line)), file=sys.stderr)
    from_rasa = [p for p in rasa.problems if not _same_mistake(p, content)]
    problems = sorted(content + from_rasa, key=lambda p: (p.level != "error", p.path, p.line, p.message))
    for problem in problems:
        print(problem)
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    rasa_errors = len(rasa.problems)
    content_errors = sum(p.level == "error" for p in content)
    worst = ", ".join(f"{name} {value:.1f}" for name, value, _ in grades(Project(args.root))[:3])
    print(f"validate: {errors} error(s), {warnings} warning(s) in {time.monotonic() - started:.1f}s "
          f"(rasa data validate: {rasa_errors} error(s); content checks: {content_errors} error(s), {warnings} "
          f"warning(s); {rasa_errors - len(from_rasa)} found by both); hardest responses (Flesch-Kincaid "
          f"grade, max {MAX_GRADE:g}): {worst or 'none'}")
    return 1 if errors else 0


if __name__ == "__main__":
    # This process needs spaCy, not TensorFlow; spaCy's thinc imports TensorFlow when it is
    # installed, which costs ~10 s. Rasa's half imports it in its own process.
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]
    sys.exit(main())
