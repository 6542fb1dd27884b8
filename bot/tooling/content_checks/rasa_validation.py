"""`rasa data validate`, every warning an error, each message placed at the line that uses the name.

`python -m bot.tooling.content_checks.rasa_validation` runs this half alone; `make validate` runs it
beside the content checks (bot/tooling/content_checks/validate.py). Rasa says "data" and "stories"
where the editor needs a file and a line, so each message it can give is read here (`MESSAGES`),
the name it is about is looked up in the YAML (`Locator`), and the problem is reported at the
step, example, intent or response that uses it, with a hint for that mistake.

Two of Rasa 3.6's warnings are not errors here: "response not used in any story or rule" for a
response that a form asks (utter_ask_<slot>) or Python says (custom actions, bot/*.py), and
"Slot auto-fill has been removed", which Rasa 3.6.21 gives for every domain with slots.
"""
from __future__ import annotations

import io
import logging
import os
import re
import sys
import traceback
import warnings
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional, Set, Tuple

from ruamel.yaml.comments import CommentedMap

from bot.tooling.content_checks.loader import Problem, Project
from bot.vocabulary import EXTERNAL_INTENT_PREFIX

if TYPE_CHECKING:  # Rasa is imported only when the check runs
    from rasa.shared.core.domain import Domain
    from rasa.shared.importers.importer import TrainingDataImporter

ROOT = Path(__file__).resolve().parents[3]
RASA_BUG = "Slot auto-fill has been removed"
PYTHON_USERS = ("actions/**/*.py", "bot/**/*.py")  # every module, at any depth
Where = Tuple[str, int]


def responses_used_outside_stories(root: Path, domain: Domain) -> Set[str]:
    used = {f"utter_ask_{slot}" for form in domain.forms.values() for slot in form.get("required_slots", [])}
    for pattern in PYTHON_USERS:
        for path in root.glob(pattern):
            used.update(re.findall(r'"(utter_\w+)"', path.read_text()))
    return used


@dataclass(frozen=True)
class Step:
    path: str
    line: int
    kind: str  # "rule" or "story"
    block: str  # the rule's or story's name

    def __str__(self) -> str:
        return f"{self.kind} '{self.block}' ({self.path}:{self.line})"


class Locator:
    """Finds where the domain and the training data use a name, reading the YAML once with lines."""

    def __init__(self, root: Path) -> None:
        self.project = Project(root)
        self.domain = self.project.rel(self.project.domain_path)
        self._steps: Optional[List[Tuple[Step, str, str]]] = None

    def rel(self, path: str) -> str:
        try:
            return self.project.rel(Path(path).resolve())
        except ValueError:
            return path

    def domain_key(self, section: str, name: str) -> Where:
        """Line of `name` under `section` (responses, slots, forms) or of the section itself."""
        data = self.project.domain()
        block = data.get(section)
        if isinstance(block, CommentedMap) and name in block:
            return self.domain, block.lc.key(name)[0] + 1
        return self.domain, data.lc.key(section)[0] + 1 if section in data else 1

    def domain_intent(self, name: str) -> Where:
        return self.domain, self.project.domain_intents().get(name, 1)

    def examples(self, intent: Optional[str] = None, text: Optional[str] = None) -> List[Where]:
        return [(e.path, e.line) for e in self.project.examples(self.project.data_files("nlu"))
                if (intent is None or e.intent == intent) and (text is None or e.plain == text)]

    def steps(self, key: str, value: str) -> List[Step]:
        """Every rule or story step (an `or:` option included) whose `key` is `value`."""
        if self._steps is None:
            self._steps = []
            for path in self.project.data_files("stories", "rules"):
                data = self.project.load(path)
                for kind, plural in (("story", "stories"), ("rule", "rules")):
                    for block in data.get(plural) or []:
                        if not isinstance(block, dict):
                            continue
                        name = str(block.get(kind, ""))
                        for step in block.get("steps") or []:
                            for option in [step] + list(step.get("or") or []) if isinstance(step, dict) else []:
                                for k, v in option.items() if isinstance(option, dict) else []:
                                    if isinstance(v, str):
                                        at = Step(self.project.rel(path), option.lc.line + 1, kind, name)
                                        self._steps.append((at, str(k), v))
        return [at for at, k, v in self._steps if k == key and v == value]

    def block(self, name: str) -> Optional[Step]:
        for path in self.project.data_files("stories", "rules"):
            data = self.project.load(path)
            for kind, plural in (("story", "stories"), ("rule", "rules")):
                for index, block in enumerate(data.get(plural) or []):
                    if isinstance(block, dict) and str(block.get(kind, "")) == name:
                        return Step(self.project.rel(path), data[plural].lc.item(index)[0] + 1, kind, name)
        return None

    def search(self, names: List[str], only: Optional[str] = None) -> Where:
        """The first line of domain.yml, data/ or config.yml (or of the file `only`) that mentions
        one of `names`; line 1 of that file when none does."""
        files = [self.project.domain_path] + self.project.glob("data/**/*.yml") + [self.project.root / "config.yml"]
        if only:
            files = [self.project.root / only]
        for name in names:
            pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
            for path in files:
                if path.exists():
                    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                        if pattern.search(line) and not line.lstrip().startswith("#"):
                            return self.project.rel(path), number
        return only or self.domain, 1


Reader = Callable[[re.Match, Locator], List[Problem]]


def _at(where: Where, message: str, hint: str) -> Problem:
    return Problem(where[0], where[1], message, hint)


def _steps_or_search(locate: Locator, key: str, name: str, block: Optional[str] = None) -> List[Step]:
    """The steps whose `key` is `name`; else the rule or story Rasa named; else the first mention."""
    found = locate.steps(key, name)
    named = locate.block(block) if block and not found else None
    if named:
        return [named]
    if not found:
        path, line = locate.search([name])
        found = [Step(path, line, "rule or story", block or "?")]
    return found


def _missing_response(m: re.Match, locate: Locator) -> List[Problem]:
    name = m["name"]
    return [Problem(s.path, s.line, f"{s.kind} '{s.block}' uses the response '{name}', which domain.yml "
                    "does not define (Rasa: 'not a valid utterance action')",
                    f"add {name} under responses: in domain.yml with its text and `metadata: {{source: ...}}`, "
                    "or fix the name in the step") for s in _steps_or_search(locate, "action", name)]


def _missing_action(m: re.Match, locate: Locator) -> List[Problem]:
    name = m["name"]
    return [Problem(s.path, s.line, f"{s.kind} '{s.block}' uses the action '{name}', which domain.yml "
                    "does not list under actions:",
                    f"add '- {name}' under actions: in domain.yml (and its class in actions/), "
                    "or fix the name in the step") for s in _steps_or_search(locate, "action", name, m["block"])]


def _missing_form(m: re.Match, locate: Locator) -> List[Problem]:
    name = m["name"]
    return [Problem(s.path, s.line, f"{s.kind} '{s.block}' uses the form '{name}', which domain.yml "
                    "does not define under forms:", "add the form to domain.yml, or fix the name in the step")
            for s in _steps_or_search(locate, "active_loop", name, m["block"])]


def _intent_in_steps(m: re.Match, locate: Locator) -> List[Problem]:
    name = m["name"]
    steps = locate.steps("intent", name)
    if m.groupdict().get("file"):
        steps = [s for s in steps if s.path == locate.rel(m["file"])] or steps
    return [Problem(s.path, s.line, f"{s.kind} '{s.block}' uses the intent '{name}', which is not in "
                    "domain.yml", f"add '- {name}' under intents: in domain.yml, or fix the spelling")
            for s in steps or _steps_or_search(locate, "intent", name)]


def _intent_without_examples(m: re.Match, locate: Locator) -> List[Problem]:
    name = m["name"]
    if name.startswith(EXTERNAL_INTENT_PREFIX):  # sent by reminders and external events, never typed
        return []
    return [_at(locate.domain_intent(name), f"intent '{name}' is in domain.yml but has no training examples",
                f"add at least 20 examples of '{name}' in data/nlu/<topic>.yml, or remove the intent")]


def _intent_not_in_domain(m: re.Match, locate: Locator) -> List[Problem]:
    name = m["name"]
    where = (locate.examples(intent=name) or [locate.search([name])])[0]
    return [_at(where, f"intent '{name}' has training examples but is not in domain.yml",
                f"add '- {name}' under intents: in domain.yml, or fix the spelling of `intent: {name}`")]


def _intent_unused(m: re.Match, locate: Locator) -> List[Problem]:
    name = m["name"]
    return [_at(locate.domain_intent(name), f"intent '{name}' is used in no rule or story, so nothing answers it",
                f"add a rule in data/stories/rules/<topic>.yml: `- intent: {name}` then `- action: utter_{name}`")]


def _response_unused(m: re.Match, locate: Locator) -> List[Problem]:
    name = m["name"]
    return [_at(locate.domain_key("responses", name), f"response '{name}' is used in no rule or story, so the "
                "bot never says it", "add it as an `action:` step in a rule or story, or delete the response")]


def _example_in_two_intents(m: re.Match, locate: Locator) -> List[Problem]:
    text, intents = m["text"], m["intents"]
    found = locate.examples(text=text) or [locate.search([text])]
    return [_at(where, f"the example '{text}' is labelled with several intents: {intents}",
                "keep it under the one intent it means, and delete the others") for where in found[1:] or found]


def _form_slot(m: re.Match, locate: Locator) -> List[Problem]:
    return [_at(locate.domain_key("forms", m["form"]), f"form '{m['form']}' asks for the slot '{m['slot']}', "
                "which is not under slots: in domain.yml", "add the slot under slots:, or fix the name")]


def _slot_condition(m: re.Match, locate: Locator) -> List[Problem]:
    return [_at(locate.domain_key("slots", m["slot"]), f"slot '{m['slot']}' has a mapping condition for the form "
                f"'{m['form']}', {m['why']}", "fix the form name in the condition, or add the slot to the form")]


def _conflict(m: re.Match, locate: Locator) -> List[Problem]:
    after = m["after"]
    parts: List[str] = []
    first: Optional[Step] = None
    for action, names in re.findall(r"^\s*(\S+) predicted in (.+)$", m["body"], re.MULTILINE):
        blocks = [(name, locate.block(name)) for name in re.findall(r"'([^']+)'", names)]
        first = first or next((b for _, b in blocks if b), None)
        parts.append(f"{action} in " + ", ".join(str(b) if b else f"'{n}'" for n, b in blocks))
    where = (first.path, first.line) if first else locate.search([after.split("'")[-2] if "'" in after else after])
    when = after if after.startswith("after") else "at the start"
    return [_at(where, f"stories and rules disagree on what the bot does {when}: " + "; ".join(parts),
                "make them say the same actions in the same order (add the missing step, or remove the extra one)")]


def _config_key(m: re.Match, locate: Locator) -> List[Problem]:
    return [Problem("config.yml", 1, f"config.yml has no '{m['key']}' key", f"add `{m['key']}:` to config.yml")]


def _issue_in_file(m: re.Match, locate: Locator) -> List[Problem]:
    path = locate.rel(m["file"])
    where = locate.search(re.findall(r"'([^'\n]+)'", m["rest"]), only=path)
    return [_at(where, f"Rasa cannot read a step: {' '.join(m['rest'].split())[:200]}",
                "fix the step's keys and values (docs/CONTENT.md shows each kind of step)")]


def _blocks(names: str, locate: Locator) -> str:
    found = [(name, locate.block(name)) for name in names.split(", ")]
    return ", ".join(str(block) if block else f"'{name}'" for name, block in found)


def _block_or_search(locate: Locator, name: str) -> Where:
    block = locate.block(name)
    return (block.path, block.line) if block else locate.search([name])


def _rule_contradiction(m: re.Match, locate: Locator) -> List[Problem]:
    gold, kind, block, rules, predicted = m["gold"], m["kind"], m["block"], m["rules"], m["predicted"]
    does = "waits for the patient" if gold == "action_listen" else f"does '{gold}'"
    says = f", which does '{predicted}'" if predicted else ""
    return [_at(_block_or_search(locate, block), f"{kind} '{block}' {does} where {_blocks(rules, locate)} "
                f"says otherwise{says}; `rasa train` refuses this (RulePolicy's check, which `rasa data validate` "
                "lacks)", "make them agree after the same steps: add the missing action to the one, or "
                "remove the extra one from the other")]


def _incomplete_rule(m: re.Match, locate: Locator) -> List[Problem]:
    return [_at(_block_or_search(locate, m["rule"]), f"rule '{m['rule']}': the {m['what']} '{m['name']}' "
                f"{' '.join(m['rest'].split())}", "set the same slots or active_loop in this rule, or end it with "
                "`wait_for_user_input: false`")]


def _long_rules(m: re.Match, locate: Locator) -> List[Problem]:
    return [_at(_block_or_search(locate, name), f"rule '{name}' has more than one user message",
                "a rule answers one message; write a story under data/stories/ for a longer flow")
            for name in m["rules"].split(", ")]


# Rasa 3.6's validator and story reader, message by message (rasa/validator.py,
# rasa/shared/core/training_data/story_reader/yaml_story_reader.py). First match wins.
Q = r"'(?P<name>[^']+)'"
MESSAGES: List[Tuple[re.Pattern, Reader]] = [
    (re.compile(rf"The action {Q} is used in the stories, but is not a valid utterance action"), _missing_response),
    (re.compile(rf"The action {Q} is used in the '(?P<block>.*)' block, but it is not listed in the domain"),
     _missing_action),
    (re.compile(rf"The form {Q} is used in the '(?P<block>.*)' block, but it is not listed"), _missing_form),
    (re.compile(rf"The intent {Q} is used in your stories, but it is not listed in the domain"), _intent_in_steps),
    (re.compile(rf"Issue found in '(?P<file>[^']+)':\s*Found intent {Q} in stories which is not part of the domain"),
     _intent_in_steps),
    (re.compile(rf"The intent {Q} is listed in the domain file, but is not found in the NLU"),
     _intent_without_examples),
    (re.compile(rf"labeled with intent {Q}\. This intent is not listed in your domain"), _intent_not_in_domain),
    (re.compile(rf"The intent {Q} is not used in any story or rule"), _intent_unused),
    (re.compile(rf"The utterance {Q} is not used in any story or rule"), _response_unused),
    (re.compile(r"The example '(?P<text>.*)' was found labeled with multiple different intents.*"
                r"labeled with: (?P<intents>[^.]+)\.", re.DOTALL), _example_in_two_intents),
    (re.compile(r"The form slot '(?P<slot>[^']+)' in form '(?P<form>[^']+)' is not present"), _form_slot),
    (re.compile(r"Slot '(?P<slot>[^']+)' has a mapping condition for form '(?P<form>[^']+)'"
                r"(?P<why> which is not listed in domain forms|, but it's not present in)"), _slot_condition),
    (re.compile(r"Story structure conflict (?P<after>after [^:]+|at the beginning of stories):\n(?P<body>.*)",
                re.DOTALL), _conflict),
    (re.compile(r"- the prediction of the action '(?P<gold>[^']+)' in (?P<kind>story|rule) '(?P<block>.+?)' "
                r"is contradicting with rule\(s\) '(?P<rules>.+?)'(?: which predicted action '(?P<predicted>[^']+)')?"
                r"\.?$", re.DOTALL), _rule_contradiction),
    (re.compile(r"- the (?P<what>action|form) '(?P<name>[^']+)' in rule '(?P<rule>.+?)' (?P<rest>does not set .*)",
                re.DOTALL), _incomplete_rule),
    (re.compile(r"Found rules '(?P<rules>.+?)' that contain more than"), _long_rules),
    (re.compile(r"The config file is missing (?:the|a unique value for the) '(?P<key>[^']+)'"), _config_key),
    (re.compile(r"Issue found in '(?P<file>[^']+)'[^\n]*\n?(?P<rest>.*)", re.DOTALL), _issue_in_file),
]


def read_message(message: str, locate: Locator) -> List[Problem]:
    """Rasa's message as problems at the lines it is about; one unknown message keeps Rasa's words."""
    for pattern, reader in MESSAGES:
        match = pattern.search(message)
        if match:
            return reader(match, locate)
    first = message.strip().splitlines()[0] if message.strip() else message
    names = re.findall(r"'([^'\n]+)'", message)
    return [_at(locate.search(names), f"rasa data validate: {first}",
                "Rasa's own words; the line is where the name it quotes first appears")]


def read_exception(error: BaseException, root: Path) -> Problem:
    """A file Rasa could not load (YAML syntax, schema) at the line Rasa names, when it names one."""
    text = str(error)
    file = re.search(r"'([^']+\.ya?ml)'", text)
    line = re.search(r"\bline (\d+)", text, re.IGNORECASE)
    path = file.group(1) if file else "domain.yml"
    try:
        path = Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        pass
    first = " ".join(text.split())[:300]
    return Problem(path, int(line.group(1)) if line else 1, f"Rasa could not load the data: "
                   f"{type(error).__name__}: {first}", "fix the YAML there; the content checks list the same file")


@dataclass
class Outcome:
    problems: List[Problem] = field(default_factory=list)
    output: str = ""  # what Rasa printed, kept for a crash
    crashed: bool = False


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def rule_policy_messages(importer: TrainingDataImporter) -> List[str]:
    """What RulePolicy would refuse at training time: a story and a rule that disagree, incomplete
    rules. `rasa data validate` does not look for these; `rasa train` fails on them after minutes
    of NLU training. Takes under a second: only the rules and stories, not augmented."""
    import tempfile

    from rasa.core.policies.rule_policy import InvalidRule, RulePolicy
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.domain import ActionNotFoundException
    from rasa.shared.core.generator import TrainingDataGenerator

    policies = importer.get_config().get("policies") or []
    config = next((p for p in policies if p.get("name") == "RulePolicy"), None)
    if config is None:
        return []
    config = {**RulePolicy.get_default_config(), **{k: v for k, v in config.items() if k != "name"}}
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0).generate()
    with tempfile.TemporaryDirectory() as folder:
        policy = RulePolicy.create(config, LocalModelStorage(Path(folder)), Resource("rule_check"),
                                   ExecutionContext(GraphSchema({}), "validate"))
        try:
            policy.train(trackers, domain)
        except ActionNotFoundException:
            return []  # a step names an action the domain lacks: the validator has said where
        except InvalidRule as error:
            text = str(error)
            items = re.split(r"\n(?=- )", text)
            found = [item.split("\nPlease ")[0].strip() for item in items if item.startswith("- ")]
            return found or [" ".join(text.split())]
    return []


def run(root: Path = ROOT) -> Outcome:
    """Rasa's validator on the project at `root`, quietly; its messages become located problems."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    output = io.StringIO()
    collect = _Collect()
    rasa_logger = logging.getLogger("rasa")
    outcome = Outcome()
    messages: List[str] = []
    used: Set[str] = set()
    with redirect_stdout(output), redirect_stderr(output), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rasa_logger.addHandler(collect)
        try:
            from rasa.cli.utils import validate_files
            from rasa.utils.log_utils import configure_structlog

            configure_structlog(logging.WARNING)  # RulePolicy's debug lines otherwise print
            from rasa.shared.importers.importer import TrainingDataImporter

            importer = TrainingDataImporter.load_from_config(
                str(root / "config.yml"), str(root / "domain.yml"), [str(root / "data")])
            try:
                validate_files(fail_on_warnings=True, max_history=None, importer=importer)
            except SystemExit:
                pass  # the messages say why
            used = responses_used_outside_stories(root, importer.get_domain())
            messages += rule_policy_messages(importer)
        except Exception as error:  # noqa: BLE001 - a file Rasa cannot load is a problem to report
            outcome.problems.append(read_exception(error, root))
            if not re.search(r"\.ya?ml'", str(error)):  # not the data: Rasa itself broke
                outcome.crashed = True
                traceback.print_exc(file=output)
        finally:
            rasa_logger.removeHandler(collect)
    for warning in caught:
        if warning.category not in (UserWarning, FutureWarning):
            continue  # libraries' notices (pyparsing's, deprecations), not the project's data
        messages.append(str(warning.message).split("\n  More info at")[0].strip())
    messages += collect.messages
    outcome.output = output.getvalue()
    locate = Locator(root)
    for message in dict.fromkeys(messages):  # Rasa may say one thing twice
        unused = re.search(r"The utterance '(\w+)' is not used in any story or rule\.", message)
        if RASA_BUG in message or (unused and unused.group(1) in used):
            continue
        if message.startswith(("Project validation completed with errors", "Story structure validation")):
            continue
        outcome.problems += read_message(message, locate)
    outcome.problems = list(dict.fromkeys(outcome.problems))  # two messages, one mistake
    return outcome


def check(root: Path = ROOT) -> List[Problem]:
    return run(root).problems


def main(argv: Optional[List[str]] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bot.tooling.content_checks.rasa_validation",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project folder (default: this repository)")
    args = parser.parse_args(argv)
    outcome = run(args.root)
    if outcome.crashed:
        print(outcome.output, file=sys.stderr)
    for problem in sorted(outcome.problems, key=lambda p: (p.path, p.line)):
        print(problem)
    print(f"rasa data validate: {len(outcome.problems)} problem(s) (responses asked by forms or actions accepted)")
    return 1 if outcome.problems else 0


if __name__ == "__main__":
    sys.exit(main())
