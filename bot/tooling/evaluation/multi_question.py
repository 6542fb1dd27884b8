"""Several questions in one message, measured: does each question get its answer in the reply?

Reads tests/nlu/multi_question.yml (messages with the intent of each question, never trained
on) and parses every message with the trained NLU. The reply is worked out as the assistant
builds it: the rule for the message's intent chooses the first response (data/stories/rules/),
and bot/responses.py `other_answers` adds the answers of the other questions. A question is
answered when the reply answers its intent (a red-flag report: when the message escalates at
its tier or higher); an added answer is wrong when the message asked nothing of its intent.
docs/NLU.md, "Several questions in one message", has the figures.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import yaml

from bot.responses import other_answers
from bot.settings import PROJECT_ROOT
from bot.vocabulary import QUESTIONS_KEY, TIER_OF_INTENT, is_red_flag_intent, tier_rank

CASES = PROJECT_ROOT / "tests" / "nlu" / "multi_question.yml"
RULES = PROJECT_ROOT / "data" / "stories" / "rules"
Parse = Callable[[str], Dict]


def load_cases() -> List[Dict[str, Any]]:
    return [{"text": m["text"], "intents": list(m["intents"])}
            for m in yaml.safe_load(CASES.read_text())["messages"]]


def first_responses() -> Dict[str, str]:
    """intent -> the first action its rule runs when no form is active (the rules' own words)."""
    first: Dict[str, str] = {}
    for path in sorted(RULES.glob("*.yml")):
        for rule in yaml.safe_load(path.read_text()).get("rules") or []:
            steps, conditions = rule.get("steps") or [], rule.get("condition") or []
            if any(condition != {"active_loop": None} for condition in conditions):
                continue
            if len(steps) >= 2 and "intent" in steps[0] and "entities" not in steps[0] and "action" in steps[1]:
                first.setdefault(steps[0]["intent"], steps[1]["action"])
    return first


def domain_responses() -> List[str]:
    return list(yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"])


def reply(parsed: Dict, first: Dict[str, str], responses: Sequence[str],
          with_questions: bool = True) -> Tuple[str, List[str]]:
    """(the intent the first response answers, the intents of the answers added after it)."""
    intent = parsed["intent"]["name"]
    response = first.get(intent)
    questions = parsed.get(QUESTIONS_KEY) or [] if with_questions else []
    added = other_answers(response, intent, questions, responses) if response and questions else []
    return intent, [name.removeprefix("utter_") for name in added]


def answers(asked: str, main: str, added: Sequence[str]) -> bool:
    if is_red_flag_intent(asked):
        return is_red_flag_intent(main) and tier_rank(TIER_OF_INTENT[main]) >= tier_rank(TIER_OF_INTENT[asked])
    return asked == main or asked in added


def judge(case: Dict[str, Any], parsed: Dict, first: Dict[str, str], responses: Sequence[str],
          with_questions: bool = True) -> Dict[str, Any]:
    asked = list(dict.fromkeys(case["intents"]))
    main, added = reply(parsed, first, responses, with_questions)
    unanswered = [intent for intent in asked if not answers(intent, main, added)]
    wrong = [intent for intent in added if intent not in asked]
    return {"text": case["text"], "asked": asked, "main": main, "added": added,
            "questions": [q["intent"] for q in parsed.get(QUESTIONS_KEY) or []],
            "unanswered": unanswered, "wrong_added": wrong}


def share(rows: Sequence[Dict], test: Callable[[Dict], bool]) -> Dict[str, Any]:
    hits = sum(1 for row in rows if test(row))
    return {"count": hits, "of": len(rows), "share": round(hits / len(rows), 4) if rows else 0.0}


def per_question(rows: Sequence[Dict]) -> List[Dict]:
    return [{"intent": intent, "answered": intent not in row["unanswered"]} for row in rows for intent in row["asked"]]


def evaluate(parse: Parse, heldout: Optional[Sequence[Tuple[str, str, Dict]]] = None) -> Dict[str, Any]:
    """The figures of docs/NLU.md: on the multi-question set, with and without the added answers;
    on single questions (that set's, and the held-out set's when given as (text, intent, parse
    data)), how often an answer is added that nobody asked for."""
    first, responses = first_responses(), domain_responses()
    cases = load_cases()
    started = time.perf_counter()
    parsed = [parse(case["text"]) for case in cases]
    parse_ms = (time.perf_counter() - started) * 1000 / max(1, len(cases))
    rows = [judge(c, p, first, responses) for c, p in zip(cases, parsed, strict=True)]
    before = [judge(c, p, first, responses, with_questions=False) for c, p in zip(cases, parsed, strict=True)]
    several = [r for r in rows if len(r["asked"]) >= 2]
    several_before = [r for r in before if len(r["asked"]) >= 2]
    one = [r for r in rows if len(r["asked"]) == 1]
    result = {
        "messages": len(rows), "several": len(several), "one": len(one),
        "all_answered": share(several, lambda r: not r["unanswered"]),
        "all_answered_without_questions": share(several_before, lambda r: not r["unanswered"]),
        "wrong_added": share(several, lambda r: bool(r["wrong_added"])),
        "wrong_added_one_question": share(one, lambda r: bool(r["wrong_added"])),
        "questions_answered": share(per_question(several), lambda q: q["answered"]),
        "questions_answered_without_questions": share(per_question(several_before), lambda q: q["answered"]),
        "failures": [r for r in rows if r["unanswered"] or r["wrong_added"]],
        "parse_ms": round(parse_ms, 2),
    }
    if heldout is not None:
        held = [judge({"text": text, "intents": [intent]}, parsed, first, responses)
                for text, intent, parsed in heldout]
        result["wrong_added_heldout"] = share(held, lambda r: bool(r["wrong_added"]))
        result["heldout_failures"] = [r for r in held if r["wrong_added"]]
    return result


def summary_lines(figures: Dict[str, Any]) -> List[str]:
    def line(what: str, key: str) -> str:
        f = figures[key]
        return f"{what}: {f['count']}/{f['of']} ({f['share']:.0%})"

    lines = [line("several questions, every one answered", "all_answered"),
             line("several questions, every one answered without the added answers", "all_answered_without_questions"),
             line("several questions, questions answered", "questions_answered"),
             line("several questions, questions answered without the added answers",
                  "questions_answered_without_questions"),
             line("several questions, a wrong answer added", "wrong_added"),
             line("one question, a wrong answer added", "wrong_added_one_question")]
    if "wrong_added_heldout" in figures:
        lines.append(line("held-out single questions, a wrong answer added", "wrong_added_heldout"))
    return lines
