"""Red-flag collisions: content the red-flag detector would read differently from what the editor meant.

At run time the detector (bot/red_flags/) reads every message after the classifier and raises
it to an urgent or emergency intent when it finds an affirmed warning sign (docs/SAFETY.md). So:

- a training example of an ordinary intent that the detector escalates ("can I get my wound
  wet?") teaches the classifier an answer the patient never gets: they get the urgent advice;
- a conversation test whose `user:` message the detector escalates expects an answer that the
  bot will not give;
- a phrase of the catalogue (data/red_flags.yml `phrases`/`exact`) that the detector reads as
  negated, asked about, past or resolved does not escalate a patient who writes just that.

Each is a warning: the editor decides whether the words report the sign (then they belong to
a red-flag intent) or the detector reads them wrong (then tell whoever owns the catalogue). The
detector is built once per catalogue and reads about a thousand messages a second.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, List, Tuple

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.tooling.content_checks.loader import ENTITY, Problem, Project
from bot.vocabulary import ADVICE_OF_TIER, INTENT_OF_TIER, NONE, is_red_flag_intent

if TYPE_CHECKING:
    from bot.red_flags import Detection, RedFlagDetector

CATALOGUE = "data/red_flags.yml"
PHRASE_KEYS = ("phrases", "exact")


def _detector(project: Project) -> "RedFlagDetector":
    """The detector for the project's own catalogue (the repository's when the project has none)."""
    from bot.red_flags import get_detector  # spaCy: imported only when the check runs

    path = project.root / CATALOGUE
    return get_detector(path if path.exists() else None)


def _escalation(detection: "Detection") -> str:
    words = ", ".join(f"{hit.flag} '{hit.text}'" for hit in detection.affirmed)
    return (f"the red-flag detector escalates it as {detection.tier} ({words}): the patient gets "
            f"{ADVICE_OF_TIER[detection.tier]}")


def _hint(tier: str) -> str:
    return (f"if it reports the sign, move it to {INTENT_OF_TIER[tier]} (data/nlu/red_flags.yml); if it does not, "
            "reword it, and tell whoever owns data/red_flags.yml about the false alarm (docs/SAFETY.md)")


def _test_messages(project: Project) -> Iterator[Tuple[str, int, str, str]]:
    """(file, line, intent, text) for each `user:` step of the conversation tests that names an intent."""
    for path in project.conversation_files():
        for story in (project.load(path) or {}).get("stories") or []:
            for step in story.get("steps") or [] if isinstance(story, CommentedMap) else []:
                if isinstance(step, CommentedMap) and "user" in step and "intent" in step:
                    text = ENTITY.sub(r"\1", str(step["user"])).strip()
                    yield project.rel(path), step.lc.line + 1, str(step["intent"]), text


def _phrases(project: Project) -> Iterator[Tuple[int, str, str]]:
    """(line, flag id, phrase) for each phrase and exact phrase of the catalogue."""
    data = project.load(project.root / CATALOGUE) if (project.root / CATALOGUE).exists() else None
    for flag in data.get("flags") or [] if isinstance(data, CommentedMap) else []:
        if not isinstance(flag, CommentedMap):
            continue
        for key in PHRASE_KEYS:
            phrases = flag.get(key)
            if isinstance(phrases, CommentedSeq):
                for index, phrase in enumerate(phrases):
                    yield phrases.lc.item(index)[0] + 1, str(flag.get("id")), str(phrase)


def check_collisions(project: Project) -> List[Problem]:
    try:
        detector = _detector(project)
    except Exception as error:  # noqa: BLE001 - a catalogue that does not load is the finding
        return [Problem(CATALOGUE, 1, f"the red-flag catalogue does not load: {type(error).__name__}: {error}",
                        "fix data/red_flags.yml; the bot cannot start without it (docs/SAFETY.md)")]
    problems = []
    for example in project.examples(project.data_files("nlu")):
        if is_red_flag_intent(example.intent):
            continue
        detection = detector.detect(example.plain)
        if detection.tier != NONE:
            problems.append(Problem(example.path, example.line, f"training example '{example.text}' "
                                    f"({example.intent}): {_escalation(detection)}, not {example.intent}'s answer",
                                    _hint(detection.tier), level="warning"))
    for path, line, intent, text in _test_messages(project):
        if is_red_flag_intent(intent):
            continue
        detection = detector.detect(text)
        if detection.tier != NONE:
            problems.append(Problem(path, line, f"conversation test message '{text}' expects {intent}, but "
                                    f"{_escalation(detection)}", _hint(detection.tier), level="warning"))
    for line, flag, phrase in _phrases(project):
        detection = detector.detect(phrase)
        if flag in detection.flags:
            continue
        readings = [hit for hit in detection.negated if hit.flag == flag]
        if readings:
            how = ", ".join(sorted({hit.status for hit in readings}))
            problems.append(Problem(CATALOGUE, line, f"the phrase '{phrase}' of {flag} is read as {how}, not "
                                    "affirmed: a patient who writes just these words is not escalated",
                                    "a context word in the phrase (the catalogue's `language:` section) turns it "
                                    "off; reword the phrase, then run the red-flag tests (docs/SAFETY.md)",
                                    level="warning"))
    return problems
