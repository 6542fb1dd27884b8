"""`python -m bot.evaluate` (make evaluate): held-out NLU and red-flag evaluation, with a report.

Trains the NLU for a config (or takes `--model`), parses every held-out example (tests/nlu/)
and every red-flag phrasing (tests/red_flags/corpus.yml), writes reports/<name>/ (report.json,
report.md, confusion_matrix.png) and fails when intent macro-F1 drops more than 1 point below
docs/nlu_baseline.json, when a red-flag phrasing is not escalated, or when more than 2% of the
look-alikes are. `--compare A.yml B.yml` puts configs side by side (docs/NLU.md).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import yaml

from bot.servers import rasa_env
from bot.settings import PROJECT_ROOT, load

BASELINE = PROJECT_ROOT / "docs" / "nlu_baseline.json"
REPORTS = PROJECT_ROOT / "reports"
MAX_F1_DROP = 0.01
MAX_FALSE_ESCALATION = 0.02
ESCALATES = {"emergency": {"red_flag_emergency"}, "urgent": {"red_flag_urgent", "red_flag_emergency"}}
Parse = Callable[[str], Dict]


def heldout_examples() -> List[Tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(PROJECT_ROOT / "tests" / "nlu"))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def red_flag_corpus() -> Dict[str, List[Dict]]:
    corpus = yaml.safe_load((PROJECT_ROOT / "tests" / "red_flags" / "corpus.yml").read_text())
    return {"signs": corpus["positives"] + corpus.get("mixed", []), "lookalikes": corpus["lookalikes"]}


def model_parser(model: Path) -> Parse:
    from rasa.core.agent import Agent

    agent, loop = Agent.load(str(model)), asyncio.new_event_loop()
    return lambda text: loop.run_until_complete(agent.parse_message(text))


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
              for (text, want), got in zip(examples, parsed) if got["intent"]["name"] != want]
    return {"macro_f1": round(float(f.mean()), 4), "per_intent": per_intent, "misclassified": misses,
            "confusion": {"labels": labels, "truth": truth, "predicted": predicted},
            "parse_ms": round(parse_ms, 2), "red_flags": red_flag_figures(parse)}


def red_flag_figures(parse: Parse) -> Dict:
    corpus = red_flag_corpus()
    figures: Dict = {"missed": [], "escalated": []}
    for tier in ("emergency", "urgent"):
        signs = [e["text"] for e in corpus["signs"] if e["tier"] == tier]
        missed = [t for t in signs if parse(t)["intent"]["name"] not in ESCALATES[tier]]
        figures[f"{tier}_recall"] = round(1 - len(missed) / len(signs), 4)
        figures["missed"] += [{"tier": tier, "text": t} for t in missed]
    lookalikes = [e["text"] for e in corpus["lookalikes"]]
    figures["escalated"] = [t for t in lookalikes if parse(t)["intent"]["name"].startswith("red_flag_")]
    figures["false_escalation"] = round(len(figures["escalated"]) / len(lookalikes), 4)
    return figures


def gate(result: Dict, baseline: Optional[Dict]) -> List[str]:
    """What makes this evaluation fail; empty when it passes."""
    problems = []
    if baseline and result["macro_f1"] < baseline["macro_f1"] - MAX_F1_DROP:
        problems.append(f"intent macro-F1 {result['macro_f1']:.3f} dropped more than {MAX_F1_DROP:.2f} "
                        f"below the baseline {baseline['macro_f1']:.3f}")
    flags = result["red_flags"]
    problems += [f"{m['tier']} phrasing not escalated: {m['text']!r}" for m in flags["missed"]]
    if flags["false_escalation"] > MAX_FALSE_ESCALATION:
        problems.append(f"{flags['false_escalation']:.1%} of look-alikes escalated (max {MAX_FALSE_ESCALATION:.0%})")
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


def train_nlu(config: Path, out: Path) -> Tuple[Path, float]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", "rasa", "train", "nlu", "--config", str(config),
                    "--nlu", "data/nlu", "--out", str(out), "--fixed-model-name", "nlu"],
                   cwd=PROJECT_ROOT, env=rasa_env(load()), check=True, capture_output=True)
    return out / "nlu.tar.gz", time.perf_counter() - started


def main(argv: Optional[List[str]] = None) -> int:
    from bot.evaluation_report import compare_table, cross_validate, write_report

    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    parser.add_argument("--model", type=Path, help="evaluate this model instead of training one")
    parser.add_argument("--out", type=Path, help="report folder (default: reports/<time>)")
    parser.add_argument("--update-baseline", action="store_true", help="record this run as the baseline")
    parser.add_argument("--cross-validation", type=int, metavar="FOLDS", help="also cross-validate on data/nlu")
    parser.add_argument("--compare", type=Path, nargs="+", metavar="CONFIG", help="compare configs instead")
    args = parser.parse_args(argv)
    out = args.out or REPORTS / datetime.now().strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        if args.compare:
            runs = {}
            for config in args.compare:
                model, seconds = train_nlu(config, Path(scratch) / config.stem)
                runs[config.name] = {**evaluate(model_parser(model)), "train_s": round(seconds, 1)}
            (out / "comparison.md").write_text(compare_table(runs))
            print((out / "comparison.md").read_text())
            return 0
        model = args.model or train_nlu(args.config, Path(scratch))[0]
        result = evaluate(model_parser(model))
    if args.cross_validation:
        result["cross_validation_macro_f1"] = cross_validate(args.config, args.cross_validation, out / "cv")
    baseline = read_baseline()
    problems = gate(result, baseline)
    write_report(result, baseline, problems, out)
    print(f"macro-F1 {result['macro_f1']:.3f} (baseline {baseline['macro_f1'] if baseline else 'none'}); "
          f"red-flag recall {result['red_flags']['emergency_recall']:.0%} emergency, "
          f"{result['red_flags']['urgent_recall']:.0%} urgent; false escalation "
          f"{result['red_flags']['false_escalation']:.1%}. Report: {out / 'report.md'}")
    for problem in problems:
        print(f"FAIL: {problem}")
    if args.update_baseline and not any("escalat" in p for p in problems):
        write_baseline(result, args.config.name)
        print(f"baseline updated: {BASELINE}")
        return 0
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
