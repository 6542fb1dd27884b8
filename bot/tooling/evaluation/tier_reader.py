"""Experiment (issue 13): a learned tier reader beside the detector and the intent classifier.

The tier reader is a TF-IDF logistic regression (the intent classifier's featurisation: lemmas,
word 1-2 grams and character 2-5 grams, sublinear TF-IDF, each block normalised on its own) that
reads a message's tier (none, urgent, emergency), trained on far more red-flag text than the
intent classifier sees: tests/red_flags/corpus.yml (positives and mixed with their tier,
look-alikes as none) plus the studied sets with their `expect` (`STUDIED`: the files of
bot/tooling/evaluation/safety.py's blind_batch1, blind_studied and real_world; never blind_sealed
or real_world_fresh), and, as the deployed reader since 2026-12-05, data/nlu's examples (red-flag
intents with their tier, every other intent as none; `--without-nlu` leaves them out).

Measured by leaving one set out: for each studied file, the reader is trained on everything but
that file (and the corpus cases whose note says they came from it) and tested on it. The trained
assistant's parse of each held-out message (one `make train` model, `--model`) is combined with
the reader's probabilities by `combine`; the current pipeline is the parse alone.

    python -m bot.tooling.evaluation.tier_reader --model models/assistant.tar.gz --theta 0.9 [--grid]

Also measured on fresh sets as they were when nobody had studied them, with no leak: in a copy of
an older commit (`git archive C | tar -x`, its own `python -m bot train`), run this file with that
copy first on PYTHONPATH and `--dump-then then_C.json --commit C`: that commit's parses of its
sealed and fresh sets and its own corpus and studied sets; then here `--then then_C.json` (docs/
SAFETY.md used 0076bd4 and dd7f041). `--write-data` writes data/tier_reader.yml, the examples of
the component that `make train` trains (bot/nlu/tier_reader.py).

Parses are cached in var/tier_reader/parses.json (keyed by the model's file time), so a rerun
only trains readers. docs/SAFETY.md ("A learned tier reader") has the figures and the decision.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import re
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import yaml

from bot.settings import PROJECT_ROOT
from bot.tooling.evaluation import first_run, safety
from bot.vocabulary import (DENIAL_INTENT, EMERGENCY, FALLBACK_INTENT, HEALING_INTENT, INTENT_OF_TIER, NONE,
                            QUESTION_INTENT, READING_KEY,
                            REASSURING_INTENTS, SCREENING_INTENT, SCREENING_REPLIES,
                            TIER_OF_INTENT, URGENT, is_red_flag_intent, tier_rank)

TIERS = (NONE, URGENT, EMERGENCY)
STUDIED = ("blind_batch1", "blind_studied", "real_world")
CACHE = PROJECT_ROOT / "var" / "tier_reader" / "parses.json"
CORPUS = PROJECT_ROOT / "tests" / "red_flags" / "corpus.yml"
MIN_CONFIDENCE = 0.75  # the adapter's classifier_only_min_confidence


def studied_files() -> List[str]:
    files: List[str] = []
    for name in STUDIED:
        assert name not in safety.SEALED
        files += list(safety.SETS[name])
    return files


def file_cases(relative: str) -> List[Dict]:
    return [{**c, "file": relative} for c in first_run.cases_of(safety.SETS_DIR / relative)]


def corpus_cases() -> List[Dict]:
    corpus = yaml.safe_load(CORPUS.read_text())
    return ([{"text": e["text"], "expect": e["tier"], "note": e.get("note") or ""}
             for e in corpus["positives"] + (corpus.get("mixed") or [])]
            + [{"text": e["text"], "expect": NONE, "note": e.get("note") or ""} for e in corpus["lookalikes"]])


def nlu_cases() -> List[Dict]:
    """data/nlu's examples as the deployed reader trains on them (bot/nlu/tier_reader.py's
    `ordinary_examples`: red-flag intents with their tier, every other intent as none)."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.nlu.tier_reader import ordinary_examples

    return [{"text": e["text"], "expect": e["tier"], "note": ""}
            for e in ordinary_examples(load_data(str(PROJECT_ROOT / "data" / "nlu")))]


def moved_from(note: str, relative: str) -> bool:
    """A corpus case noted as moved from (or a variant of a case of) the held-out file. Best effort:
    an unqualified "batch N" counts for both the blind and the real-world batch N."""
    number = re.search(r"(\d+)\.yml$", relative)
    n = number.group(1) if number else "1"
    note = note.lower()
    if relative.startswith("blind/"):
        if re.search(rf"blind/batch{n}\.yml|blind batch ?{n}\b", note):
            return True
        return bool(re.search(rf"(?<!real-world )(?<!real world )\bbatch ?{n}\b", note)) and "real" not in note
    if f"real_world/{relative.split('/')[-1]}" in note or re.search(rf"real[- ]world batch ?{n}\b", note):
        return True
    if relative.endswith("messages.yml"):
        return bool(re.search(r"real[- ]world(?! batch)", note))
    return bool(re.search(rf"\bbatch ?{n}\b", note)) and "blind" not in note


# --- the reader ---------------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?;\n])\s+")


def lemmas(texts: Iterable[str]) -> List[str]:
    from bot.nlu.tier_reader import lemmas_of

    return [lemmas_of(text) for text in texts]


class TierReader:
    def __init__(self, C: float = 10.0) -> None:
        from bot.nlu.tier_reader import TierReader as Component

        # The component's own pipeline (its features and regression), with this C.
        self.clf = Component.pipeline({**Component.get_default_config(), "C": C})

    def fit(self, texts: Sequence[str], tiers: Sequence[str]) -> "TierReader":
        self.clf.fit(lemmas(texts), list(tiers))
        return self

    def probabilities(self, texts: Sequence[str], by_sentence: bool = False) -> np.ndarray:
        """Rows of p(none), p(urgent), p(emergency); by sentence: each tier's highest over the
        message and its sentences (the message's tier is the max over its parts)."""
        order = [list(self.clf.classes_).index(t) for t in TIERS]
        whole = self.clf.predict_proba(lemmas(texts))[:, order]
        if not by_sentence:
            return whole
        rows = []
        for text, row in zip(texts, whole, strict=True):
            parts = [p for p in _SENTENCE.split(text) if len(p.split()) >= 3]
            if len(parts) > 1:
                part_rows = self.clf.predict_proba(lemmas(parts))[:, order]
                signs = np.vstack([row, part_rows])[:, 1:].max(axis=0)
                row = np.array([max(0.0, 1 - signs.sum()), *signs])
            rows.append(row)
        return np.array(rows)


# --- the combination rule -----------------------------------------------------------------------

def combine(parse: Dict, p: Sequence[float], rule: "Rule") -> str:
    """The intent after the tier reader: it may raise a tier or ask, never lower what stands.

    - the detector found no sign words and the classifier said a red flag below 0.75 (so the
      adapter asked the screening questions): escalate when the reader's p(sign) >= theta, at
      urgent, or at emergency when p(emergency) >= theta_e (None: the reader's likelier tier);
      "max" also keeps the classifier's tier when it is higher;
    - a reassuring answer with p(sign) >= theta2: the screening questions instead (not `deny`, which
      also answers the screening questions: "no" must not start them again);
    - (theta3_e, theta3) an ordinary answer (not a red flag, not the screening questions, not an
      answer to them or leaving them: `SCREENING_REPLIES`, read under the fallback as the
      classifier's intent) to a message with no sign words at all: the emergency advice at
      p(emergency) >= theta3_e, else the screening questions at p(sign) >= theta3, when the
      classifier's confidence is below max_conf3 (None: any); the adapter's `tier_reader_ordinary_*`
      settings (docs/SAFETY.md, "Over ordinary answers, with a reader that knows them");
    - (theta4) the nerve-healing or warning-sign answer given over sign words the detector read as
      not counting (healing, asked about, past: `_hits`), with nothing affirmed: the screening
      questions at p(sign) >= theta4 (measured, not kept);
    - (theta5) the urgent advice for an urgent sign the detector found: the emergency advice at
      p(emergency) >= theta5, for an emergency told beside it in words the detector does not know
      (measured, not kept).
    """
    final = parse["intent"]["name"]
    reading = parse.get(READING_KEY) or {}
    if rule.theta5 is not None and final == INTENT_OF_TIER[URGENT] and reading.get("detector") == URGENT \
            and p[2] >= rule.theta5:
        return INTENT_OF_TIER[EMERGENCY]
    if is_red_flag_intent(final):
        return final
    classifier, confidence = reading.get("classifier") or "", float(reading.get("classifier_confidence") or 0.0)
    p_sign = float(p[1] + p[2])
    no_sign_words = reading.get("detector", NONE) == NONE and not parse.get("_hits")
    if rule.theta_e is None:
        tier = EMERGENCY if p[2] >= p[1] else URGENT
    else:
        tier = EMERGENCY if p[2] >= rule.theta_e else URGENT
    if no_sign_words and is_red_flag_intent(classifier) \
            and confidence < MIN_CONFIDENCE and final == SCREENING_INTENT and p_sign >= rule.theta:
        if rule.keep_classifier_tier and tier_rank(TIER_OF_INTENT[classifier]) > tier_rank(tier):
            tier = TIER_OF_INTENT[classifier]
        return INTENT_OF_TIER[tier]
    if rule.theta2 is not None and final in REASSURING_INTENTS and final != DENIAL_INTENT and p_sign >= rule.theta2:
        return SCREENING_INTENT
    answered = classifier if final == FALLBACK_INTENT and classifier else final
    if (rule.theta3 is not None or rule.theta3_e is not None) and final != SCREENING_INTENT and \
            answered not in SCREENING_REPLIES and not is_red_flag_intent(answered) and no_sign_words \
            and (rule.max_conf3 is None or confidence < rule.max_conf3):
        if rule.theta3_e is not None and p[2] >= rule.theta3_e:
            return INTENT_OF_TIER[EMERGENCY]
        if rule.theta3 is not None and p_sign >= rule.theta3:
            return SCREENING_INTENT
    if rule.theta4 is not None and final in (HEALING_INTENT, QUESTION_INTENT) and parse.get("_hits") \
            and reading.get("detector", NONE) == NONE and p_sign >= rule.theta4:
        return SCREENING_INTENT
    return final


@dataclasses.dataclass(frozen=True)
class Rule:
    theta: float = 1.01  # above 1: never escalates
    theta_e: Optional[float] = None
    keep_classifier_tier: bool = False
    theta2: Optional[float] = None
    theta3: Optional[float] = None
    theta3_e: Optional[float] = None
    max_conf3: Optional[float] = None  # the ordinary arms only below this classifier confidence
    theta4: Optional[float] = None
    theta5: Optional[float] = None

    def __str__(self) -> str:
        return (f"theta={self.theta} theta_e={self.theta_e} max={int(self.keep_classifier_tier)} "
                f"theta2={self.theta2} theta3={self.theta3} theta3_e={self.theta3_e} max_conf3={self.max_conf3} "
                f"theta4={self.theta4} theta5={self.theta5}")


# --- measuring ----------------------------------------------------------------------------------

def parses(model: Path, texts: Sequence[str], cache: Optional[Path] = CACHE) -> Dict[str, Dict]:
    key = f"{model.resolve()}:{model.stat().st_mtime}:without the reader's rule"
    cached = json.loads(cache.read_text()) if cache and cache.exists() else {}
    if cached.get("model") != key:
        cached = {"model": key, "parses": {}}
    todo = [t for t in dict.fromkeys(texts) if t not in cached["parses"]]
    if todo:
        from bot.red_flags import get_detector
        from bot.tooling.evaluation.metrics import model_parser

        try:  # "now" is the pipeline without the reader's rule, when the model has the reader
            from bot.nlu.red_flag_detector import RedFlagDetector
            RedFlagDetector._apply_tier_reading = lambda *args: None  # type: ignore[method-assign]
        except (ImportError, AttributeError):
            pass
        parse, detector = model_parser(model), get_detector()
        for text in todo:
            parsed = parse(text)
            cached["parses"][text] = {"intent": {"name": parsed["intent"]["name"],
                                                 "confidence": parsed["intent"].get("confidence")},
                                      READING_KEY: parsed.get(READING_KEY),
                                      "_hits": len(detector.detect(text).negated)}
        if cache:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(cached))
    return cached["parses"]


def figures(cases: Sequence[Dict], intents: Sequence[str]) -> Dict[str, int]:
    """safety.judge's figures of these cases answered with these intents, as counts."""
    answered = {case["text"]: intent for case, intent in zip(cases, intents, strict=True)}
    judged = safety.judge([{**case, "file": case.get("file", "")} for case in cases],
                          lambda text: {"intent": {"name": answered[text]}})
    return {EMERGENCY: judged[EMERGENCY]["escalated"], f"{EMERGENCY}_total": judged[EMERGENCY]["total"],
            URGENT: judged[URGENT]["escalated"], f"{URGENT}_total": judged[URGENT]["total"],
            "benign": judged["benign"]["total"], "told_911": judged["benign"][f"told_{EMERGENCY}"],
            "told_today": judged["benign"][f"told_{URGENT}"], "screened": judged["benign"]["screened"],
            "reassured": len(judged["reassured"]), "missed_screened": len(judged["screened"]),
            # over-triage that recall does not show: urgent signs told to call 911
            "urgent_told_911": sum(1 for case, intent in zip(cases, intents, strict=True)
                                   if case["expect"] == URGENT and intent == INTENT_OF_TIER[EMERGENCY])}


def add(a: Dict[str, int], b: Dict[str, int]) -> Dict[str, int]:
    return {k: a.get(k, 0) + b[k] for k in b}


def row(name: str, f: Dict[str, int]) -> str:
    return (f"| {name} | {f['emergency']}/{f['emergency_total']} | {f['urgent']}/{f['urgent_total']} | "
            f"{f['told_911']}/{f['benign']} | {f['told_today']} | {f['screened']} | {f['reassured']} |")


HEADER = ("| fold | emergency recall | urgent recall | benign told 911 | told call today | "
          "benign asked the screening questions | signs reassured |\n| --- | --- | --- | --- | --- | --- | --- |")


Folds = List[Tuple[str, List[Dict], np.ndarray, Dict[str, Dict]]]


def loso_folds(model: Path, with_nlu: bool, by_sentence: bool, C: float) -> Folds:
    """Leave one studied file out: the reader is trained on the rest (and on the corpus without
    the cases noted as moved from that file) and reads that file."""
    files = studied_files()
    held = {f: file_cases(f) for f in files}
    corpus, extra = corpus_cases(), nlu_cases() if with_nlu else []
    parsed = parses(model, [c["text"] for cases in held.values() for c in cases])
    folds: Folds = []
    for relative in files:
        texts = {c["text"] for c in held[relative]}
        kept = [c for c in corpus if not moved_from(c["note"], relative)]
        train = [c for c in kept + [c for f in files if f != relative for c in held[f]] + extra
                 if c["text"] not in texts]
        reader = TierReader(C).fit([c["text"] for c in train], [c["expect"] for c in train])
        probabilities = reader.probabilities([c["text"] for c in held[relative]], by_sentence)
        print(f"# {relative}: reader trained on {len(train)} texts; {len(corpus) - len(kept)} corpus cases "
              f"noted as moved from it left out", flush=True)
        folds.append((relative, held[relative], probabilities, parsed))
    return folds


def held_folds(model: Path, held_files: Sequence[str], with_nlu: bool, by_sentence: bool, C: float) -> Folds:
    """Files nobody tuned the pipeline to (sealed sets at the moment a round starts studying them,
    run with the model trained before that round): one reader trained on everything else (corpus,
    studied sets, data/nlu) without their texts reads them. Counts only: their texts are never shown."""
    held = {f: file_cases(f) for f in held_files}
    texts = {c["text"] for cases in held.values() for c in cases}
    train = [c for c in corpus_cases() + [c for f in studied_files() for c in file_cases(f)]
             + (nlu_cases() if with_nlu else []) if c["text"] not in texts]
    reader = TierReader(C).fit([c["text"] for c in train], [c["expect"] for c in train])
    parsed = parses(model, sorted(texts))
    return [(f, held[f], reader.probabilities([c["text"] for c in held[f]], by_sentence),
             parsed) for f in held_files]


def then_folds(path: Path, with_nlu: bool, by_sentence: bool, C: float) -> Folds:
    """A fresh set as it was when nobody had studied it: parses of that commit's model and the
    training data of that commit (`--dump-then`), so nothing of the set can leak into the reader."""
    dumped = json.loads(path.read_text())
    train = dumped["train"] + (dumped["nlu"] if with_nlu else [])
    folds: Folds = []
    for relative, cases in dumped["held"].items():
        texts = {c["text"] for c in cases}
        rows = [c for c in train if c["text"] not in texts]
        reader = TierReader(C).fit([c["text"] for c in rows], [c["expect"] for c in rows])
        folds.append((f"{relative} at {dumped['commit']}", cases,
                      reader.probabilities([c["text"] for c in cases], by_sentence), dumped["parses"]))
        print(f"# {relative} at {dumped['commit']}: reader trained on {len(rows)} texts of that commit", flush=True)
    return folds


def dump_then(model: Path, commit: str, out: Path) -> None:
    """Run with the PYTHONPATH of an older tree (its model, its code, its catalogue): the parses of
    its sealed and fresh sets, and its own training data for the reader."""
    held = {f: file_cases(f) for name in safety.SEALED for f in safety.SETS[name]}
    studied = [c for name in STUDIED for f in safety.SETS[name] for c in file_cases(f)]
    parsed = parses(model, [c["text"] for cases in held.values() for c in cases], cache=None)
    keep = ("text", "expect", "intent", "sign", "kind", "file")
    out.write_text(json.dumps({
        "commit": commit, "parses": parsed,
        "held": {f: [{k: c[k] for k in keep if k in c} for c in cases] for f, cases in held.items()},
        "train": [{"text": c["text"], "expect": c["expect"]} for c in corpus_cases() + studied],
        "nlu": nlu_cases()}))


DATA = PROJECT_ROOT / "data" / "tier_reader.yml"
DATA_HEADER = """\
# The learned tier reader's examples (bot/nlu/tier_reader.py; docs/SAFETY.md, "A learned tier reader").
# GENERATED, do not edit: `python -m bot.tooling.evaluation.tier_reader --write-data` copies them from
# tests/red_flags/corpus.yml (positives and mixed with their tier, look-alikes as none) and the studied
# sets of bot/tooling/evaluation/safety.py (blind_batch1, blind_studied, real_world, with their
# `expect`), never the sealed or fresh ones. tests/unit/test_tier_reader.py checks it is current.
# Not NLU data: Rasa skips this file; the tier reader reads it when `make train` trains it.
"""


def data_examples() -> List[Dict[str, str]]:
    """Every example once, in the order of the corpus and the studied files."""
    seen: Dict[str, str] = {}
    for case in corpus_cases() + [c for f in studied_files() for c in file_cases(f)]:
        seen.setdefault(case["text"], case["expect"])
    return [{"text": text, "tier": tier} for text, tier in seen.items()]


def data_text() -> str:
    return DATA_HEADER + "tier_examples:\n" + "".join(
        f"  - {{text: {json.dumps(e['text'], ensure_ascii=False)}, tier: {e['tier']}}}\n" for e in data_examples())


def evaluate(folds: Folds, rule: Rule, show: bool = False) -> Tuple[Dict[str, int], Dict[str, int]]:
    now_total: Dict[str, int] = {}
    new_total: Dict[str, int] = {}
    if show:
        print(f"\n{rule}\n" + HEADER)
    for name, cases, probabilities, parsed in folds:
        now = [parsed[c["text"]]["intent"]["name"] for c in cases]
        new = [combine(parsed[c["text"]], p, rule) for c, p in zip(cases, probabilities, strict=True)]
        fn, fc = figures(cases, now), figures(cases, new)
        now_total, new_total = add(now_total, fn), add(new_total, fc)
        if show:
            print(row(f"{name}, now", fn))
            print(row(f"{name}, with the reader", fc))
    if show:
        print(row("all, now", now_total))
        print(row("all, with the reader", new_total))
    return now_total, new_total


def grid(folds: Folds) -> None:
    print("rule | E U told911 today screened reassured")
    for theta in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01):
        for theta_e in (None, 0.5, 0.7, 0.9):
            for keep in (False, True):
                for theta2 in (None, 0.5, 0.7):
                    for theta3 in (None, 0.8, 0.9):
                        _, f = evaluate(folds, Rule(theta, theta_e, keep, theta2, theta3))
                        print(f"{Rule(theta, theta_e, keep, theta2, theta3)} | {f['emergency']} {f['urgent']} "
                              f"{f['told_911']} {f['told_today']} {f['screened']} {f['reassured']}")


KINDS = {"blind": lambda name: name.startswith("blind/"), "real world": lambda name: name.startswith("real_world/")}


def grid_rows(folds: Folds, label: str, rules: Sequence[Rule], settings: Callable[[Rule], str]) -> None:
    """Each rule's figures by kind of set (blind, real world), with the urgent signs it tells to call
    911 (over-triage that recall does not show)."""
    print(f"{label} | set | E U told911 today screened reassured urgent_told_911 (of E_total U_total benign)")
    for rule in rules:
        for kind, chosen in KINDS.items():
            _, f = evaluate([fold for fold in folds if chosen(fold[0])], rule)
            if f:
                print(f"{settings(rule)} | {kind} | {f['emergency']} {f['urgent']} {f['told_911']} {f['told_today']} "
                      f"{f['screened']} {f['reassured']} {f['urgent_told_911']} (of {f['emergency_total']} "
                      f"{f['urgent_total']} {f['benign']})", flush=True)


def grid3(folds: Folds, base: Rule) -> None:
    """The ordinary-answer arms over `base` (the kept rule)."""
    rules = [dataclasses.replace(base, theta3=theta3, theta3_e=theta3_e, max_conf3=max_conf3)
             for theta3_e, theta3, max_conf3 in itertools.product((None, 0.6, 0.7, 0.8, 0.9),
                                                                  (None, 0.85, 0.9, 0.95), (None, 0.75, 0.9))]
    grid_rows(folds, "theta3_e theta3 max_conf3", rules, lambda r: f"{r.theta3_e} {r.theta3} {r.max_conf3}")


def grid4(folds: Folds, base: Rule) -> None:
    """The arm over the healing and warning-sign answers (theta4) over `base`."""
    rules = [dataclasses.replace(base, theta4=theta4) for theta4 in (None, 0.7, 0.8, 0.9, 0.95)]
    grid_rows(folds, "theta4", rules, lambda r: str(r.theta4))


def grid5(folds: Folds, base: Rule) -> None:
    """The arm over the detector's urgent advice (theta5) over `base`."""
    rules = [dataclasses.replace(base, theta5=theta5) for theta5 in (None, 0.5, 0.6, 0.7, 0.8, 0.9)]
    grid_rows(folds, "theta5", rules, lambda r: str(r.theta5))


def main(argv: Optional[List[str]] = None) -> None:
    import logging

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "assistant.tar.gz")
    parser.add_argument("--then", type=Path, action="append", default=[],
                        help="also the fresh sets dumped from an older tree (--dump-then there)")
    parser.add_argument("--dump-then", type=Path,
                        help="write this tree's sealed and fresh sets' parses and its training data")
    parser.add_argument("--commit", default="")
    parser.add_argument("--without-nlu", dest="with_nlu", action="store_false",
                        help="train the readers without data/nlu's examples (before 2026-12-05)")
    parser.add_argument("--by-sentence", action="store_true", help="a message's tier: the max over its sentences")
    parser.add_argument("--C", type=float, default=10.0)
    parser.add_argument("--grid", action="store_true", help="print the figures of every rule")
    parser.add_argument("--theta", type=float, default=1.01)
    parser.add_argument("--theta-e", type=float, default=None)
    parser.add_argument("--keep-classifier-tier", action="store_true")
    parser.add_argument("--theta2", type=float, default=None)
    parser.add_argument("--theta3", type=float, default=None,
                        help="an ordinary answer with no sign words found: the screening questions from this p(sign)")
    parser.add_argument("--theta3-e", type=float, default=None,
                        help="an ordinary answer with no sign words found: the emergency advice from this p(emergency)")
    parser.add_argument("--max-conf3", type=float, default=None,
                        help="the ordinary-answer arms only below this classifier confidence")
    parser.add_argument("--grid3", action="store_true",
                        help="print the figures of the ordinary-answer arms (theta3_e, theta3) over --theta's rule")
    parser.add_argument("--theta4", type=float, default=None,
                        help="the healing or warning-sign answer over sign words read as not counting: the "
                             "screening questions from this p(sign)")
    parser.add_argument("--held", nargs="+", default=[], metavar="SET_FILE",
                        help="instead of the studied folds: these set files (relative to tests/), read by one "
                             "reader trained without them")
    parser.add_argument("--grid5", action="store_true",
                        help="print the figures of raising the detector's urgent advice to the emergency advice "
                             "from p(emergency) = theta5, with urgent signs told 911")
    parser.add_argument("--grid4", action="store_true", help="print the figures of theta4's values over --theta's rule")
    parser.add_argument("--write-data", action="store_true", help=f"write {DATA.relative_to(PROJECT_ROOT)} and stop")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)
    if args.write_data:
        DATA.write_text(data_text(), encoding="utf-8")
        print(f"{DATA.relative_to(PROJECT_ROOT)}: {len(data_examples())} examples")
        return
    if args.dump_then:
        dump_then(args.model, args.commit, args.dump_then)
        return
    rule = Rule(args.theta, args.theta_e, args.keep_classifier_tier, args.theta2, args.theta3, args.theta3_e,
                args.max_conf3, args.theta4)
    studied = [] if args.held else loso_folds(args.model, args.with_nlu, args.by_sentence, args.C)
    then = [fold for path in args.then for fold in then_folds(path, args.with_nlu, args.by_sentence, args.C)]
    held = held_folds(args.model, args.held, args.with_nlu, args.by_sentence, args.C) if args.held else []
    for name, folds in (("leave one studied set out", studied), ("fresh sets as they were", then),
                        ("held-out sets", held)):
        if folds:
            print(f"\n## {name}")
            if args.grid:
                grid(folds)
            if args.grid3:
                grid3(folds, rule)
            if args.grid4:
                grid4(folds, rule)
            if args.grid5:
                grid5(folds, rule)
            evaluate(folds, rule, show=True)


if __name__ == "__main__":
    main()
