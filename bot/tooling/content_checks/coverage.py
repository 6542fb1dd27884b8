"""Intents line up across the domain, the NLU data, the dialogue data and the conversation tests.

An intent the domain lists but no rule or story answers leaves the patient with the fallback;
one that no conversation test says leaves a broken answer unnoticed until a patient finds it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator, List, Tuple

from rasa.shared.core.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS, DEFAULT_SLOT_NAMES
from ruamel.yaml.comments import CommentedMap

from bot.tooling.content_checks.loader import Problem, Project
from bot.vocabulary import EXTERNAL_INTENT_PREFIX

# Intents Rasa defines by itself: stories and tests may use them without listing them in
# domain.yml, and they need no training examples. Likewise its actions (action_listen, ...)
# and slots (requested_slot, ...).
RASA_DEFAULT_INTENTS = set(DEFAULT_INTENTS)
RASA_DEFAULT_ACTIONS = set(DEFAULT_ACTION_NAMES)


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
        # Sent by reminders and external events, never typed: no examples, no `user:` test; a rule.
        external = intent.startswith(EXTERNAL_INTENT_PREFIX)
        if intent not in trained and intent not in RASA_DEFAULT_INTENTS and not external:
            problems.append(Problem(domain_path, line, f"intent '{intent}' is in the domain but has 0 training "
                                    "examples in data/", "add examples under data/nlu/, or remove the intent"))
        if intent not in in_stories:
            problems.append(Problem(domain_path, line, f"intent '{intent}' is used in no rule or story",
                                    "add a rule under data/stories/rules/ that answers it"))
        if intent not in in_tests and not external:
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


def check_conversation_file_names(project: Project) -> List[Problem]:
    """A file in tests/conversations/ that Rasa's test runner would skip: it reads only test_*.yml,
    so the stories in any other file never run and the lane passes without them."""
    return [Problem(project.rel(path), 1, "conversation test file is not named test_*.yml, so Rasa never runs it",
                    f"rename it to tests/conversations/test_{path.name}")
            for path in project.glob("tests/conversations/*.yml") if not path.name.startswith("test_")]


def _blocks(project: Project, path: Path) -> Iterator[Tuple[str, str, CommentedMap]]:
    """(kind, name, step) for every step of every story and rule in `path`."""
    data = project.load(path) or {}
    for kind, plural in (("story", "stories"), ("rule", "rules")):
        for block in data.get(plural) or []:
            if isinstance(block, CommentedMap):
                for step in block.get("steps") or []:
                    if isinstance(step, CommentedMap):
                        yield kind, str(block.get(kind, "")), step


def check_actions(project: Project) -> List[Problem]:
    """Every `action:`, `active_loop:` and `slot_was_set:` of the rules, stories and conversation
    tests names something domain.yml defines. Rasa's validator checks rules and stories but says
    "stories" and no line; conversation tests it does not read at all."""
    domain = project.domain()
    responses = set(domain.get("responses") or {})
    actions = {str(a) for a in domain.get("actions") or []}
    forms = set(domain.get("forms") or {})
    slots = set(domain.get("slots") or {}) | set(DEFAULT_SLOT_NAMES)  # requested_slot, ...
    known = responses | actions | forms | RASA_DEFAULT_ACTIONS
    problems = []
    for path in project.data_files("stories", "rules") + project.conversation_files():
        where = project.rel(path)
        for kind, name, step in _blocks(project, path):
            line = step.lc.line + 1
            action = step.get("action")
            if isinstance(action, str) and action not in known:
                if action.startswith("utter_"):
                    problems.append(Problem(where, line, f"{kind} '{name}' uses the response '{action}', which "
                                            "domain.yml does not define", f"add {action} under responses: in "
                                            "domain.yml with its text and source, or fix the spelling"))
                else:
                    problems.append(Problem(where, line, f"{kind} '{name}' uses the action '{action}', which "
                                            "domain.yml does not list under actions: or forms:",
                                            f"add '- {action}' under actions: in domain.yml, or fix the spelling"))
            loop = step.get("active_loop")
            if isinstance(loop, str) and loop not in forms:
                problems.append(Problem(where, line, f"{kind} '{name}' uses the form '{loop}', which domain.yml "
                                        "does not define under forms:", "fix the form's name, or add the form"))
            for item in step.get("slot_was_set") or []:
                for slot in (item if isinstance(item, dict) else {str(item): None}):
                    if slot not in slots:
                        problems.append(Problem(where, line, f"{kind} '{name}' sets the slot '{slot}', which "
                                                "domain.yml does not define under slots:",
                                                "fix the slot's name, or add the slot to domain.yml"))
    return problems
