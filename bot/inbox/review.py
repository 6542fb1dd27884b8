"""What a reviewer's decision changes: a file diff the team reviews, commits and ships with
`make reload`. Nothing is trained or deployed here.

- assign an intent: the example goes at the end of that intent's block in data/nlu/<topic>.yml,
  in the file's own style (a `- text` line in the `examples: |` block), unless the same words
  (compared as the content checks compare them: case, punctuation and spacing ignored) are
  already trained on or held out; then `make validate` runs on the project;
- a missed red flag: a must-pass case at the end of `positives:` in tests/red_flags/corpus.yml
  (tests/unit/test_red_flags.py fails until the detector catches it);
- needs new content, dismiss: only the item's status changes (the content list is read from it).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bot.inbox.redact import PLACEHOLDERS, redact
from bot.red_flags.catalogue import load_catalogue
from bot.tooling.content_checks.examples import normalise
from bot.tooling.content_checks.loader import ENTITY

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path("tests/red_flags/corpus.yml")
_INTENT_LINE = re.compile(r"^(\s*)- intent:\s*(\S+)\s*$")


class ReviewError(ValueError):
    """The decision cannot be written; the message says why and what to do instead."""


@dataclass(frozen=True)
class Written:
    path: str  # relative to the project root
    changed: bool  # False: the example was already there


def _clean(text: str) -> str:
    text = " ".join(str(text or "").split())
    if not text:
        raise ReviewError("the example is empty")
    if any(p in text for p in PLACEHOLDERS):
        raise ReviewError("the example still holds a placeholder such as [NAME]: edit it into words a patient "
                          "would type, or dismiss it")
    if redact(text) != text:  # a reviewer's edit must not bring back what redaction took out
        raise ReviewError("the example looks like it holds a name, number, date, address or id: reword it")
    if text.startswith("/"):
        raise ReviewError("an example cannot start with '/': Rasa reads that as a button payload")
    return text


def _examples(root: Path, folder: str) -> List[Tuple[str, str, str]]:
    """(text without entity markup, intent, path) of every example in `folder`/*.yml. PyYAML's C
    loader, not the content checks' round-trip loader: this runs on each click of the page."""
    found = []
    for path in sorted((root / folder).glob("*.yml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        for item in data.get("nlu") or []:
            if isinstance(item, dict) and "intent" in item and isinstance(item.get("examples"), str):
                for line in item["examples"].split("\n"):
                    if line.strip().startswith("- "):
                        found.append((ENTITY.sub(r"\1", line.strip()[2:].strip()), str(item["intent"]),
                                      path.relative_to(root).as_posix()))
    return found


def intent_files(root: Path = ROOT) -> Dict[str, Path]:
    """Each intent trained in data/nlu/ -> its topic file: the one holding most of its examples (a few
    intents also have annotated examples in another file, such as recovery_timeline.yml)."""
    counts = Counter((intent, path) for _, intent, path in _examples(root, "data/nlu"))
    best: Dict[str, Tuple[int, str]] = {}
    for (intent, path), count in counts.items():
        if count > best.get(intent, (0, ""))[0]:
            best[intent] = (count, path)
    return {intent: root / path for intent, (_, path) in best.items()}


def assign(intent: str, text: str, root: Path = ROOT) -> Written:
    """Write `text` as a training example of `intent`; ReviewError when it would not be a clean one."""
    text = _clean(text)
    files = intent_files(root)
    if intent not in files:
        raise ReviewError(f"no intent '{intent}' in data/nlu/: choose an existing one, or mark the message "
                          "'needs new content'")
    key = normalise(text)
    for trained, owner, where in _examples(root, "data/nlu"):
        if normalise(trained) == key:
            if owner == intent:
                return Written(where, changed=False)
            raise ReviewError(f"the same words are an example of '{owner}' ({where}: '{trained}')")
    for held_out, _, where in _examples(root, "tests/nlu"):
        if normalise(held_out) == key:
            raise ReviewError(f"the same words are a held-out test example ({where}: '{held_out}')")
    path = files[intent]
    lines = path.read_text(encoding="utf-8").split("\n")
    at = _end_of_examples(lines, intent)
    indent = lines[at - 1][:len(lines[at - 1]) - len(lines[at - 1].lstrip())]
    lines.insert(at, f"{indent}- {text}")
    path.write_text("\n".join(lines), encoding="utf-8")
    return Written(path.relative_to(root).as_posix(), changed=True)


def _end_of_examples(lines: List[str], intent: str) -> int:
    """The index after the last `- example` line of `intent`'s block."""
    start = next((i for i, line in enumerate(lines)
                  if (m := _INTENT_LINE.match(line)) and m.group(2) == intent), None)
    if start is None:
        raise ReviewError(f"cannot find '- intent: {intent}'")
    block = next(i for i in range(start, len(lines)) if lines[i].strip().startswith("examples:"))
    end = block + 1
    while end < len(lines) and lines[end].strip().startswith("- ") and \
            len(lines[end]) - len(lines[end].lstrip()) > len(lines[block]) - len(lines[block].lstrip()):
        end += 1
    return end


def missed_red_flag(text: str, flag: str, root: Path = ROOT) -> Written:
    """Add `text` to the red-flag corpus as a must-pass case of `flag` (the flag's own tier)."""
    text = _clean(text)
    catalogue = load_catalogue(root / "data" / "red_flags.yml")
    ids = [f.id for f in catalogue.flags]
    if flag not in ids:
        raise ReviewError(f"no red flag '{flag}': one of {', '.join(ids)}")
    path = root / CORPUS
    lines = path.read_text(encoding="utf-8").split("\n")
    known = {normalise(m.group(1)) for m in (re.search(r'text:\s*"((?:[^"\\]|\\.)*)"', line) for line in lines) if m}
    if normalise(text) in known:
        return Written(CORPUS.as_posix(), changed=False)
    start = lines.index("positives:")
    end = next(i for i in range(start + 1, len(lines)) if re.match(r"^[a-z_]+:", lines[i]))
    while not lines[end - 1].strip():
        end -= 1
    entry = f"  - {{text: {json.dumps(text, ensure_ascii=False)}, tier: {catalogue.flag(flag).tier}, flag: {flag}}}"
    marker = "  # --- from the review inbox (bot/inbox/review.py) ---"
    lines[end:end] = [entry] if marker in lines[start:end] else [marker, entry]
    path.write_text("\n".join(lines), encoding="utf-8")
    return Written(CORPUS.as_posix(), changed=True)


def validate(root: Path = ROOT) -> Tuple[bool, str]:
    """`make validate` on the project: (passed, its report)."""
    done = subprocess.run([sys.executable, "-m", "bot.tooling.content_checks.validate", "--root", str(root)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def diff(root: Path = ROOT, paths: Optional[List[str]] = None) -> str:
    """The change for the team to review (git diff of the files written)."""
    done = subprocess.run(["git", "diff", "--", *(paths or ["data/nlu", CORPUS.as_posix()])], cwd=root,
                          capture_output=True, text=True, check=False)
    return done.stdout
