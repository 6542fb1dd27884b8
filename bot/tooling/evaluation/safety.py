"""Red-flag figures on sets nobody tuned the detector to: the blind batches (tests/blind/) and
patients' own words from public pages (tests/real_world/).

For each set and tier: recall, with the upper end of the 95% Wilson interval of the miss rate
(with 0 misses in 40 cases the miss rate can still be up to 8.8%); how often a red flag was
answered with reassurance (the `deny`, "some leg pain is common" or "this is normal" answers:
REASSURING_INTENTS) and how many were at least asked the screening
questions; and for messages that must not escalate, how
many were told to call 911, how many to call the clinic today, and how many were asked the
screening questions (`pain_worsening`: not an escalation, but a needless interrogation of a
patient who said nothing worrying). On the real-world set also intent accuracy. docs/SAFETY.md
explains the sets and reports the figures.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import yaml

from bot.settings import PROJECT_ROOT
from bot.vocabulary import (EMERGENCY, ESCALATION_TIERS, INTENT_OF_TIER, NONE, REASSURING_INTENTS,
                            SCREENING_INTENT, TIER_OF_INTENT, URGENT, tier_rank)

SETS_DIR = PROJECT_ROOT / "tests"
# name -> files. The blind batches are gated (make test, make evaluate); the real-world sets
# are reported. batch1 is the development batch; batches 2 to 50 were each sealed until their
# first figures, then one of issue 13's rounds studied and fixed their misses, so they are
# development sets now (tests/blind/README.md has which round studied which; 24, whose failures
# round 17's helper read, in round 18; 25 in round 19; 26 in round 20; 27 and 28 in round 21; 29
# and 30 in round 22; 31 and 32 in round 23; 33 and 34 in round 24; 35 and 36 in round 25; 37 and
# 38 in round 26; 39 and 40 in round 27; 41 and 42 in round 28; 43 and 44 in round 29; 45 and 46 in
# round 30; 47 and 48 in round 31; 49 and 50 in round 32).
# benign1 to benign11 (2026-12-05 and 06, 160 harmless messages each near the signs' words, written to
# measure needless escalations) and context1 and context2 (2026-12-05, reports and look-alikes told
# with tricky context) were studied after their first runs too (benign1 in round 22, benign2 and
# context2 in round 23, benign3 in round 24, benign4 in round 25, benign5 in round 26, benign6 in
# round 27, benign7 in round 28, benign8 in round 29, benign9 in round 30, benign10 in round 31,
# benign11 in round 32, benign12 in round 33, benign13 in round 34, benign14 in round 35, benign15 in
# round 36).
# blind_sealed is for the batches nobody has studied (59, 60 and benign16, written on 2026-12-07
# before round 36 studied 57, 58 and benign15). Every figure and test copes with an empty or not yet
# written set (reported as having no cases, skipped).
# real_world: batches 1 to 13, studied (fixed cases moved into the training data and the corpus), so
# their figures are optimistic;
# real_world_fresh is empty: the collector of batch 13 found almost no unused patient page.
SETS: Dict[str, Tuple[str, ...]] = {
    "blind_batch1": ("blind/batch1.yml",),
    "blind_studied": ("blind/batch2.yml", "blind/batch3.yml", "blind/batch4.yml",
                      "blind/batch5.yml", "blind/batch6.yml", "blind/batch7.yml",
                      "blind/batch8.yml", "blind/batch9.yml", "blind/batch10.yml",
                      "blind/batch11.yml", "blind/batch12.yml", "blind/batch13.yml",
                      "blind/batch14.yml", "blind/batch15.yml", "blind/batch16.yml",
                      "blind/batch17.yml", "blind/batch18.yml", "blind/batch19.yml",
                      "blind/batch20.yml", "blind/batch21.yml", "blind/batch22.yml",
                      "blind/batch23.yml", "blind/batch24.yml", "blind/batch25.yml",
                      "blind/batch26.yml", "blind/batch27.yml", "blind/batch28.yml",
                      "blind/context1.yml", "blind/batch29.yml", "blind/batch30.yml",
                      "blind/benign1.yml", "blind/batch31.yml", "blind/batch32.yml",
                      "blind/benign2.yml", "blind/context2.yml", "blind/batch33.yml",
                      "blind/batch34.yml", "blind/benign3.yml", "blind/batch35.yml",
                      "blind/batch36.yml", "blind/benign4.yml", "blind/batch37.yml",
                      "blind/batch38.yml", "blind/benign5.yml", "blind/batch39.yml",
                      "blind/batch40.yml", "blind/benign6.yml", "blind/batch41.yml",
                      "blind/batch42.yml", "blind/benign7.yml", "blind/batch43.yml",
                      "blind/batch44.yml", "blind/benign8.yml", "blind/batch45.yml",
                      "blind/batch46.yml", "blind/benign9.yml", "blind/batch47.yml",
                      "blind/batch48.yml", "blind/benign10.yml", "blind/batch49.yml",
                      "blind/batch50.yml", "blind/benign11.yml", "blind/batch51.yml",
                      "blind/batch52.yml", "blind/benign12.yml", "blind/batch53.yml",
                      "blind/batch54.yml", "blind/benign13.yml", "blind/batch55.yml",
                      "blind/batch56.yml", "blind/benign14.yml", "blind/batch57.yml",
                      "blind/batch58.yml", "blind/benign15.yml"),
    "blind_sealed": ("blind/batch59.yml", "blind/batch60.yml", "blind/benign16.yml"),
    "real_world": ("real_world/messages.yml", "real_world/batch2.yml", "real_world/batch3.yml",
                   "real_world/batch4.yml", "real_world/batch5.yml", "real_world/batch6.yml",
                   "real_world/batch7.yml", "real_world/batch8.yml", "real_world/batch9.yml",
                   "real_world/batch10.yml", "real_world/batch11.yml", "real_world/batch12.yml",
                   "real_world/batch13.yml"),
    "real_world_fresh": (),
}
GATED = ("blind_batch1", "blind_studied", "blind_sealed")
# Sets whose texts are never printed (gate messages, reports): nobody may read them yet.
SEALED = ("blind_sealed", "real_world_fresh")
Z95 = 1.959964
# The targets of docs/SAFETY.md.
MAX_BENIGN_URGENT = 0.05
Parse = Callable[[str], Dict]


def wilson_upper(failures: int, total: int, z: float = Z95) -> float:
    """Upper end of the Wilson score interval for a proportion failures/total."""
    if total == 0:
        return 1.0
    p = failures / total
    centre = p + z * z / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return min(1.0, (centre + spread) / (1 + z * z / total))


def known_misses(root: Path = SETS_DIR) -> Dict[str, str]:
    """Blind signs not escalated yet (text -> why): reported, not failed, until fixed."""
    path = root / "blind" / "known_misses.yml"
    entries = (yaml.safe_load(path.read_text()) or {}).get("misses") if path.exists() else None
    return {entry["text"]: entry["why"] for entry in entries or []}


def load_cases(name: str, root: Path = SETS_DIR) -> List[Dict]:
    cases: List[Dict] = []
    for relative in SETS[name]:
        path = root / relative
        if path.exists():
            cases += [{**c, "file": relative} for c in yaml.safe_load(path.read_text())["cases"]]
    return cases


def tier_of(parse_data: Dict) -> str:
    """The tier of advice a parse leads to: the rules answer a red-flag intent with its advice."""
    return TIER_OF_INTENT.get((parse_data.get("intent") or {}).get("name") or "", NONE)


def judge(cases: List[Dict], parse: Parse) -> Dict:
    """Every figure of one set. A case escalates correctly at its tier or higher."""
    figures: Dict = {"cases": len(cases), "missed": [], "reassured": [], "screened": [], "benign_escalated": [],
                     "benign_screened": []}
    intents_right = intents_total = intents_also = 0
    outcomes = [(case, parse(case["text"])) for case in cases]
    for tier in reversed(ESCALATION_TIERS):
        signs = [(c, p) for c, p in outcomes if c["expect"] == tier]
        missed = [(c, p) for c, p in signs if tier_rank(tier_of(p)) < tier_rank(tier)]
        figures[tier] = {"total": len(signs), "escalated": len(signs) - len(missed),
                         "recall": 1 - len(missed) / len(signs) if signs else None,
                         "miss_rate_upper95": wilson_upper(len(missed), len(signs)) if signs else None}
        figures["missed"] += [_row(c, p) for c, p in missed]
        figures["reassured"] += [_row(c, p) for c, p in missed if p["intent"]["name"] in REASSURING_INTENTS]
        # A missed sign that got the screening questions, whose lists name every sign.
        figures["screened"] += [_row(c, p) for c, p in missed if p["intent"]["name"] == SCREENING_INTENT]
    benign = [(c, p) for c, p in outcomes if c["expect"] == NONE]
    told = {tier: [(c, p) for c, p in benign if tier_of(p) == tier] for tier in ESCALATION_TIERS}
    # Benign messages asked the screening questions: no escalation, but a patient who said nothing
    # worrying is interrogated about every warning sign (a happy update, a resolved worry); not
    # counted when the reviewer's intent is the screening itself (pain worse, no sign named).
    screened = [(c, p) for c, p in benign
                if p["intent"]["name"] == SCREENING_INTENT and c.get("intent") != SCREENING_INTENT]
    figures["benign"] = {"total": len(benign), **{f"told_{tier}": len(told[tier]) for tier in ESCALATION_TIERS},
                         "screened": len(screened)}
    figures["benign_escalated"] = [_row(c, p) for tier in ESCALATION_TIERS for c, p in told[tier]]
    figures["benign_screened"] = [_row(c, p) for c, p in screened]
    for case, parsed in outcomes:
        if case.get("intent"):
            intents_total += 1
            right = _intent_matches(case, parsed)
            intents_right += right
            intents_also += right or parsed["intent"]["name"] in (case.get("also") or [])
    if intents_total:
        figures["intent_accuracy"] = intents_right / intents_total
        figures["intent_cases"] = intents_total
        if any(case.get("also") for case in cases):
            # The reviewer's own alternatives, written while labelling (never after a run): an
            # answer that serves the patient as well. Reported beside the strict figure.
            figures["intent_accuracy_with_also"] = intents_also / intents_total
    return figures


def _intent_matches(case: Dict, parsed: Dict) -> bool:
    """A red-flag case counts as right when it escalates at its tier (the intent that carries it)."""
    want, got = case["intent"], parsed["intent"]["name"]
    if want in TIER_OF_INTENT:
        return tier_rank(tier_of(parsed)) >= tier_rank(TIER_OF_INTENT[want])
    return want == got


def _row(case: Dict, parsed: Dict) -> Dict:
    return {"text": case["text"], "expect": case["expect"], "sign": case.get("sign"),
            "kind": case.get("kind"), "got": parsed["intent"]["name"], "file": case["file"]}


def problems(name: str, figures: Dict, known: Optional[Dict[str, str]] = None,
             max_benign_urgent: Optional[float] = None) -> List[str]:
    """What fails the gate on a set: a missed sign or a benign message told to call 911 (unless
    known), and, when a limit is given (the real-world target), too many told to call today."""
    found = [f"{name}: {m['expect']} not escalated ({m['got']}): {shown(name, m)}" for m in figures["missed"]
             if m["text"] not in (known or {})]
    found += [f"{name}: benign message told to call 911: {shown(name, m)}"
              for m in figures["benign_escalated"]
              if m["got"] == INTENT_OF_TIER[EMERGENCY] and m["text"] not in (known or {})]
    benign = figures["benign"]
    if max_benign_urgent is not None and benign["total"] and \
            benign[f"told_{URGENT}"] / benign["total"] > max_benign_urgent:
        found.append(f"{name}: {benign[f'told_{URGENT}']} of {benign['total']} benign messages told to call "
                     f"today (max {max_benign_urgent:.0%})")
    return found


def shown(name: str, row: Dict, quoted: bool = True) -> str:
    """A case as gate messages and reports show it: its text (quoted, or as it is for a report's
    table), or for a sealed set only its file, sign and kind (tests/model/test_safety_sets.py
    names sealed cases the same way)."""
    if name in SEALED:
        return f"[sealed: {row['file'].split('/')[-1]}, sign {row.get('sign')}, {row.get('kind')}]"
    return repr(row["text"]) if quoted else row["text"]


def summary_lines(name: str, figures: Dict) -> List[str]:
    lines = []
    for tier in reversed(ESCALATION_TIERS):
        f = figures[tier]
        if f["total"]:
            lines.append(f"{name}: {tier} recall {f['escalated']}/{f['total']} = {f['recall']:.1%} "
                         f"(miss rate <= {f['miss_rate_upper95']:.1%} at 95%)")
    b = figures["benign"]
    lines.append(f"{name}: benign {b['total']}: told 911 {b['told_emergency']}, told call today {b['told_urgent']} "
                 f"({b['told_urgent'] / max(1, b['total']):.1%}; real-world target <= {MAX_BENIGN_URGENT:.0%}), "
                 f"asked the screening questions {b.get('screened', 0)} "
                 f"({b.get('screened', 0) / max(1, b['total']):.1%}); "
                 f"missed red flags asked the screening questions {len(figures['screened'])}, "
                 f"answered with reassurance {len(figures['reassured'])}")
    if "intent_accuracy" in figures:
        lines.append(f"{name}: intent accuracy {figures['intent_accuracy']:.1%} of {figures['intent_cases']}"
                     + (f" ({figures['intent_accuracy_with_also']:.1%} with the reviewer's alternatives)"
                        if "intent_accuracy_with_also" in figures else ""))
    return lines


def evaluate_sets(parse: Parse, names: Optional[List[str]] = None) -> Dict[str, Dict]:
    return {name: judge(load_cases(name), parse) for name in (names or list(SETS))}
