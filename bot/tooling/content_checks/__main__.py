"""`python -m bot.tooling.content_checks [--root DIR] [--grades]`: print each problem, then one summary line.

Exit status 1 when any problem is an error; warnings are listed for the content team but do
not fail the build. `make validate` runs these beside Rasa's validator (validate.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from bot.tooling.content_checks import run_all
from bot.tooling.content_checks.loader import Project
from bot.tooling.content_checks.readability import MAX_GRADE, grades

ROOT = Path(__file__).resolve().parents[3]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tooling.content_checks", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project folder (default: this repository)")
    parser.add_argument("--grades", action="store_true", help="also list the reading grade of every response")
    args = parser.parse_args(argv)

    problems = run_all(args.root)
    for problem in problems:
        print(problem)
    scored = grades(Project(args.root))
    if args.grades:
        for name, value, line in scored:
            print(f"domain.yml:{line}: grade {value:4.1f}  {name}")
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    worst = ", ".join(f"{name} {value:.1f}" for name, value, _ in scored[:5])
    print(f"content checks: {errors} error(s), {warnings} warning(s); "
          f"hardest responses (Flesch-Kincaid grade, max {MAX_GRADE:g}): {worst or 'none'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]  # spaCy needs no TensorFlow: validate.py
    sys.exit(main())
