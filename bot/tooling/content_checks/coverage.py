"""Intents line up across the domain, the NLU data, the dialogue data and the conversation tests.

An intent the domain lists but no rule or story answers leaves the patient with the fallback;
one that no conversation test says leaves a broken answer unnoticed until a patient finds it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator, List, Tuple

from ruamel.yaml.comments import CommentedMap

from bot.tooling.content_checks.loader import Problem, Project

# Intents Rasa defines by itself (rasa.shared.core.constants.DEFAULT_INTENTS): stories and
# tests may use them without listing them in domain.yml, and they need no training examples.
RASA_DEFAULT_INTENTS = {"restart", "back", "out_of_scope", "session_start", "nlu_fallback"}


def _step_intents(project: Project, path: Path) -> Iterator[Tuple[str, int, CommentedMap]]:
    """(intent, line, step) for each `intent:` of a story or rule step, `or:` alternatives included."""
    data = project.load(path) or {}
    for key in ("stories", "rules"):
        for block in data.get(key) or []:
            for step in (block.get("steps") or []) if isinstance(block, dict) else []:
                if not isinstance(step, CommentedMap):
                    continue
                for option in [step] + [o for o in step.get("or") or [] if isinstance(o, CommentedMap)]:
                    if "intent" in option:
                        yield str(option["intent"]), option.lc.line + 1, step


def check_intents(project: Project) -> List[Problem]:
    domain_path = project.rel(project.domain_path)
    declared = project.domain_intents()
    trained: Dict[str, Tuple[str, int]] = {}
    for example in project.examples(project.data_files("nlu")):
        trained.setdefault(example.intent, (example.path, example.line))
    in_stories: Dict[str, Tuple[str, int]] = {}
    for path in project.data_files("stories", "rules"):
        for intent, line, _ in _step_intents(project, path):
            in_stories.setdefault(intent, (project.rel(path), line))
    in_tests: Dict[str, Tuple[str, int]] = {}
    for path in project.conversation_files():
        for intent, line, step in _step_intents(project, path):
            if "user" in step:
                in_tests.setdefault(intent, (project.rel(path), line))

    problems = []
    for intent, line in declared.items():
        if intent not in trained and intent not in RASA_DEFAULT_INTENTS:
            problems.append(Problem(domain_path, line, f"intent '{intent}' is in the domain but has 0 training "
                                    "examples in data/", "add examples under data/nlu/, or remove the intent"))
        if intent not in in_stories:
            problems.append(Problem(domain_path, line, f"intent '{intent}' is used in no rule or story",
                                    "add a rule under data/stories/rules/ that answers it"))
        if intent not in in_tests:
            problems.append(Problem(domain_path, line, f"intent '{intent}' is covered by no conversation test",
                                    "add a story under tests/conversations/ with a `user:` step and "
                                    f"`intent: {intent}`"))
    unknown = [(intent, where, "training examples") for intent, where in trained.items()]
    unknown += [(intent, where, "a story or rule") for intent, where in in_stories.items()]
    unknown += [(intent, where, "a conversation test") for intent, where in in_tests.items()]
    for intent, (where, line), used_in in unknown:
        if intent not in declared and intent not in RASA_DEFAULT_INTENTS:
            problems.append(Problem(where, line, f"intent '{intent}' has {used_in} but is not in domain.yml",
                                    f"add '- {intent}' under intents: in domain.yml, or fix the spelling"))
    return problems
