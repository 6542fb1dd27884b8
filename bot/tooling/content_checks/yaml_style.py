"""One YAML style in every content file, so reviews show content changes rather than layout noise.

Also catches keys Rasa would silently ignore (`example:` for `examples:`, `respone:`), which
otherwise drop content without any error.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

from ruamel.yaml.comments import CommentedMap

from bot.tooling.content_checks.loader import TRAINING_KEYS, Problem, Project
from bot.tooling.content_checks.responses import content_files

VERSION_LINE = 'version: "3.1"'
TOP_KEYS: Dict[str, Set[str]] = {
    "domain": {"version", "session_config", "intents", "entities", "slots", "forms", "actions", "responses",
               "e2e_actions"},
    "nlu": {"version", "nlu"},
    "stories": {"version", "stories", "rules"},
    "tests": {"version", "stories"},
    # tests/nlu/multi_question.yml: messages asking several things; `nlu` is empty so that Rasa,
    # which reads every file there as NLU data, finds no held-out examples in it.
    "multi_question": {"version", "nlu", "messages"},
}
ITEM_KEYS = {  # keys of one entry under each top-level list
    "nlu": {"intent", "regex", "lookup", "synonym", "examples", "metadata"},
    "stories": {"story", "steps", "metadata"},
    "rules": {"rule", "steps", "condition", "conversation_start", "wait_for_user_input", "metadata"},
    "messages": {"text", "intents"},
}
STEP_KEYS = {"intent", "user", "action", "bot", "entities", "slot_was_set", "slot_was_not_set", "active_loop",
             "checkpoint", "or", "metadata"}
VARIATION_KEYS = {"text", "metadata", "buttons", "image", "custom", "condition", "channel", "quick_replies",
                  "attachment", "elements", "id"}


def kind_of(project: Project, path: Path) -> Optional[str]:
    """Which Rasa format a file is in; None for other YAML (e.g. a catalogue beside the data)."""
    rel = project.rel(path)
    if path == project.domain_path:
        return "domain"
    if rel.startswith("tests/conversations/"):
        return "tests"
    if rel.startswith("tests/nlu/") and isinstance(project.load(path), dict) and "messages" in project.load(path):
        return "multi_question"
    if rel.startswith(("tests/nlu/", "data/nlu/")):
        return "nlu"
    if rel.startswith("data/stories/"):
        return "stories"
    data = project.load(path)
    keys = set(data) & TRAINING_KEYS if isinstance(data, dict) else set()
    return ("nlu" if "nlu" in keys else "stories") if keys else None


def check_text(project: Project, path: Path) -> List[Problem]:
    """Tabs, trailing spaces, final newline and 2-space steps, read from the raw lines."""
    rel, text = project.rel(path), path.read_text(encoding="utf-8", errors="replace")
    problems, previous = [], 0  # column where the previous line's content starts
    for number, line in enumerate(text.split("\n"), 1):
        if "\t" in line:
            problems.append(Problem(rel, number, "tab character", "indent with 2 spaces, never tabs"))
        if line != line.rstrip():
            problems.append(Problem(rel, number, "trailing whitespace", "delete the spaces at the end of the line"))
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent % 2 or indent > previous + 2:
            problems.append(Problem(rel, number, f"indented {indent} spaces ({indent - previous} more than "
                                    "the line above); the style is 2 spaces per level",
                                    "indent each level by exactly 2 spaces"))
        list_marks = re.match(r"(?:- )*", line[indent:])  # always matches, maybe empty
        previous = indent + (list_marks.end() if list_marks else 0)  # "- key:" starts at +2
    if text and not text.endswith("\n"):
        problems.append(Problem(rel, text.count("\n") + 1, "file does not end with a newline",
                                "add an empty line at the end"))
    return problems


def _unknown(project: Project, node: Any, allowed: Set[str], what: str, path: Path) -> List[Problem]:
    if not isinstance(node, CommentedMap):
        return []
    return [Problem(project.rel(path), node.lc.key(key)[0] + 1, f"unexpected key '{key}' in {what}",
                    f"expected one of: {', '.join(sorted(allowed))}") for key in node if key not in allowed]


def check_structure(project: Project, path: Path, kind: str) -> List[Problem]:
    rel, data = project.rel(path), project.load(path)
    if not isinstance(data, dict):
        return []
    problems = []
    first = next((ln for ln in path.read_text(encoding="utf-8").splitlines()
                  if ln.strip() and not ln.lstrip().startswith("#")), "")
    if first != VERSION_LINE:
        problems.append(Problem(rel, 1, f"the first key must be {VERSION_LINE}, found '{first}'",
                                f"put {VERSION_LINE} at the top (comments may come before it)"))
    problems += _unknown(project, data, TOP_KEYS[kind], "the top level", path)
    for key in ("nlu", "stories", "rules", "messages") if kind != "domain" else ():
        for item in data.get(key) or []:
            problems += _unknown(project, item, ITEM_KEYS[key], f"an entry of {key}", path)
            for step in (item.get("steps") or []) if isinstance(item, dict) else []:
                problems += _unknown(project, step, STEP_KEYS, "a step", path)
    for name, variations in (data.get("responses") or {}).items() if kind == "domain" else []:
        for variation in variations or []:
            problems += _unknown(project, variation, VARIATION_KEYS, f"response {name}", path)
    return problems


def check_style(project: Project) -> List[Problem]:
    problems = []
    for path in content_files(project):
        problems += check_text(project, path)
        kind = kind_of(project, path)
        if kind:
            problems += check_structure(project, path, kind)
    return problems
