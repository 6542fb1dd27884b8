"""The figures of `make evaluate`: held-out NLU and red-flag evaluation, and the gate on them.

Trains the NLU for a config (or takes `--model`), parses every held-out example (tests/nlu/)
and every red-flag phrasing (tests/red_flags/corpus.yml), writes reports/<name>/ (report.json,
report.md, confusion_matrix.png) and fails when intent macro-F1 drops more than 1 point below
docs/nlu_baseline.json, when a red-flag phrasing is not escalated, or when more than 2% of the
look-alikes are. `--compare A.yml B.yml` puts configs side by side (docs/NLU.md).
"""
from __future__ import annotations

import asyncio
import json

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import yaml

from bot.settings import PROJECT_ROOT
from bot.tooling.evaluation import multi_question, safety
from bot.vocabulary import ESCALATION_TIERS, INTENT_OF_TIER, is_red_flag_intent, tier_rank

BASELINE = PROJECT_ROOT / "docs" / "nlu_baseline.json"
REPORTS = PROJECT_ROOT / "reports"
MAX_F1_DROP = 0.01
MAX_FALSE_ESCALATION = 0.02
# A sign is escalated when the intent is its tier or a higher one.
ESCALATES = {tier: {INTENT_OF_TIER[t] for t in ESCALATION_TIERS if tier_rank(t) >= tier_rank(tier)}
             for tier in ESCALATION_TIERS}
Parse = Callable[[str], Dict]


def heldout_examples() -> List[Tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(PROJECT_ROOT / "tests" / "nlu"))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def red_flag_corpus() -> Dict[str, List[Dict]]:
    """Signs that must escalate (positives and mixed) and look-alikes that must not. known_misses are
    the detector's documented gaps (tests/unit/test_red_flags.py): reported, not gated."""
    corpus = yaml.safe_load((PROJECT_ROOT / "tests" / "red_flags" / "corpus.yml").read_text())
    return {"signs": corpus["positives"] + corpus.get("mixed", []), "lookalikes": corpus["lookalikes"],
            "known_misses": corpus.get("known_misses") or []}


def model_parser(model: Path) -> Parse:
    """`text -> parse data` of a trained model, as the Rasa server runs it (one event loop)."""
    from rasa.core.agent import Agent

    agent, loop = Agent.load(str(model)), asyncio.new_event_loop()
    return lambda text: loop.run_until_complete(agent.parse_message(text))


def evaluate_model(model: Path) -> Dict:
    return evaluate(model_parser(model))


def evaluate(parse: Parse) -> Dict:
    """Every figure the gate and the report need, from any `text -> parse data` function."""
    from sklearn.metrics import precision_recall_fscore_support

    examples = heldout_examples()
    started = time.perf_counter()
    parsed = [parse(text) for text, _ in examples]
    parse_ms = (time.perf_counter() - started) * 1000 / max(1, len(examples))
    truth = [intent for _, intent in examples]
    predicted = [p["intent"]["name"] for p in parsed]
    labels = sorted(set(truth))
    p, r, f, n = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    per_intent = {label: {"precision": round(p[i], 3), "recall": round(r[i], 3), "f1": round(f[i], 3),
                          "support": int(n[i])} for i, label in enumerate(labels)}
    misses = [{"text": text, "expected": want, "predicted": got["intent"]["name"],
               "confidence": round(got["intent"].get("confidence") or 0.0, 2)}
              for (text, want), got in zip(examples, parsed, strict=True) if got["intent"]["name"] != want]
    return {"macro_f1": round(float(f.mean()), 4), "per_intent": per_intent, "misclassified": misses,
            "confusion": {"labels": labels, "truth": truth, "predicted": predicted},
            "parse_ms": round(parse_ms, 2), "red_flags": red_flag_figures(parse),
            "multi_question": multi_question.evaluate(
                parse, [(text, want, got) for (text, want), got in zip(examples, parsed, strict=True)]),
            "safety_sets": safety.evaluate_sets(parse)}


def red_flag_figures(parse: Parse) -> Dict:
    corpus = red_flag_corpus()
    figures: Dict = {"missed": [], "escalated": []}
    for tier in reversed(ESCALATION_TIERS):
        signs = [e["text"] for e in corpus["signs"] if e["tier"] == tier]
        missed = [t for t in signs if parse(t)["intent"]["name"] not in ESCALATES[tier]]
        figures[f"{tier}_recall"] = round(1 - len(missed) / len(signs), 4) if signs else 1.0
        figures[f"{tier}_phrasings"] = len(signs)
        figures["missed"] += [{"tier": tier, "text": t} for t in missed]
    lookalikes = [e["text"] for e in corpus["lookalikes"]]
    figures["escalated"] = [t for t in lookalikes if is_red_flag_intent(parse(t)["intent"]["name"])]
    figures["lookalikes"] = len(lookalikes)
    figures["false_escalation"] = round(len(figures["escalated"]) / max(1, len(lookalikes)), 4)
    figures["known_misses"] = [{"tier": e["tier"], "text": e["text"],
                                "escalated": parse(e["text"])["intent"]["name"] in ESCALATES.get(e["tier"], ())}
                               for e in corpus.get("known_misses", [])]
    return figures


def gate(result: Dict, baseline: Optional[Dict]) -> List[str]:
    """What makes this evaluation fail; empty when it passes. Without a baseline, only the red flags."""
    problems = []
    if baseline and result["macro_f1"] < baseline["macro_f1"] - MAX_F1_DROP:
        problems.append(f"intent macro-F1 {result['macro_f1']:.3f} dropped more than {MAX_F1_DROP:.2f} "
                        f"below the baseline {baseline['macro_f1']:.3f}")
    flags = result["red_flags"]
    problems += [f"{m['tier']} phrasing not escalated: {m['text']!r}" for m in flags["missed"]]
    if flags["false_escalation"] > MAX_FALSE_ESCALATION:
        problems.append(f"{flags['false_escalation']:.1%} of look-alikes escalated (max {MAX_FALSE_ESCALATION:.0%})")
    for name in safety.GATED:  # the real-world set is reported, not gated
        if name in result.get("safety_sets", {}):
            problems += safety.problems(name, result["safety_sets"][name], safety.known_misses())
    return problems


def read_baseline() -> Optional[Dict]:
    return json.loads(BASELINE.read_text()) if BASELINE.exists() else None


def write_baseline(result: Dict, config: str) -> None:
    keep = {"macro_f1": result["macro_f1"], "per_intent_f1": {k: v["f1"] for k, v in result["per_intent"].items()},
            "emergency_recall": result["red_flags"]["emergency_recall"],
            "urgent_recall": result["red_flags"]["urgent_recall"],
            "false_escalation": result["red_flags"]["false_escalation"],
            "config": config, "date": datetime.now(timezone.utc).date().isoformat()}
    BASELINE.write_text(json.dumps(keep, indent=2, sort_keys=True) + "\n")

