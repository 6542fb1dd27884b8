"""The first run of a fresh set (`make evaluate ARGS="--first-run FILE"`): its figures, never its texts.

A blind batch or a real-world batch is worth most on its first run, before anyone has read it:
those figures are what a patient can expect. So this prints only counts (recall with the Wilson
bound, benign told 911 or call today, screened, reassured, intent accuracy, and the failures by
sign and kind), and with `--write-misses` appends a blind batch's failures to
tests/blind/known_misses.yml without showing them, so that `make test` lists them as strict
expected failures until a later round studies them (tests/blind/README.md). A later run with
`--drop-passed` takes out, unread, the listed failures of the set that now pass (a strict expected
failure that passes fails `make test`).
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bot.tooling.evaluation import safety
from bot.vocabulary import EMERGENCY, INTENT_OF_TIER

KNOWN_MISSES = safety.SETS_DIR / "blind" / "known_misses.yml"


def cases_of(path: Path) -> List[Dict]:
    return [{**c, "file": path.name} for c in yaml.safe_load(path.read_text())["cases"]]


def failures(figures: Dict) -> List[Dict]:
    """What the gate fails on: signs not escalated at their tier and look-alikes told 911."""
    return figures["missed"] + [row for row in figures["benign_escalated"]
                                if row["got"] == INTENT_OF_TIER[EMERGENCY]]


def report_lines(path: Path, figures: Dict) -> List[str]:
    """Figures only. Failures are told by sign, kind and the answer given, never by text."""
    lines = safety.summary_lines(path.name, figures)
    counted = Counter(f"{row['sign'] or row['expect']} {row['kind'] or row['expect']} -> {row['got']}"
                      for row in failures(figures))
    lines += [f"{path.name}: failure {what} x{n}" for what, n in sorted(counted.items())]
    return lines


def write_misses(path: Path, figures: Dict, known: Path = KNOWN_MISSES) -> int:
    """Append the batch's failures to known_misses.yml (unread: the caller never sees them)."""
    listed = safety.known_misses(known.parent.parent)
    found = date.today().isoformat()
    new = [{"text": row["text"],
            "why": (f"sealed {path.stem} {row['sign']} " + (
                f"{row['expect']} sign not escalated at its tier" if row["expect"] in INTENT_OF_TIER
                else f"{row['kind']} look-alike told to call 911 (over-triage)")
                + f" (got {row['got']}); found in {path.stem}'s first run, {found}; not studied")}
           for row in failures(figures) if row["text"] not in listed]
    if new:
        text = known.read_text()
        if not (yaml.safe_load(text) or {}).get("misses"):  # "misses: []" or nothing listed yet
            text = re.sub(r"^misses:.*$", "misses:", text, flags=re.M)
        indent = _list_indent(text) or ""
        entries = yaml.safe_dump(new, sort_keys=False, allow_unicode=True, width=100)
        known.write_text(text.rstrip("\n") + "\n" + "".join(indent + line for line in
                                                              entries.splitlines(keepends=True)))
    return len(new)


def drop_passed(path: Path, figures: Dict, known: Path = KNOWN_MISSES) -> int:
    """Take the set's listed failures that now pass out of known_misses.yml, unread: an entry goes
    when its text is one of the set's cases and not among `failures(figures)`. Comments and the
    other entries stay as written."""
    in_set = {case["text"] for case in cases_of(path)}
    failing = {row["text"] for row in failures(figures)}
    text = known.read_text()
    indent = _list_indent(text)
    if indent is None:
        return 0
    # entries start at the list's own indentation; a wrapped text's lines are indented deeper
    starts = [m.start() for m in re.finditer(rf"^{indent}- ", text, flags=re.M)]
    kept, dropped = [text[:starts[0]]], 0
    for start, end in zip(starts, starts[1:] + [len(text)], strict=True):
        block = text[start:end]
        entry = (yaml.safe_load(block) or [{}])[0]
        if entry.get("text") in in_set and entry.get("text") not in failing:
            dropped += 1  # the comment lines after the entry introduce the next ones: they stay
            kept += [line for line in block.splitlines(keepends=True) if line.lstrip().startswith("#")]
            continue
        kept.append(block)
    known.write_text("".join(kept))
    return dropped


def _list_indent(text: str) -> Optional[str]:
    """The file's own indentation of the list of misses (None: no entry yet)."""
    listed_at = re.search(r"^( *)- ", text, flags=re.M)
    return listed_at.group(1) if listed_at else None
