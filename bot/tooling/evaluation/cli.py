"""The command line of `python -m bot.tooling.evaluation` (make evaluate), and the rasa runs it needs."""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional, Tuple

from bot.tooling.evaluation import first_run, safety
from bot.tooling.evaluation import metrics as ev
from bot.tooling.evaluation.report import compare_table, write_report
from bot.tooling.servers import QUIET_ENV, rasa_env
from bot.settings import PROJECT_ROOT, load


def rasa_run(*args: str, cache: Optional[Path] = None) -> None:
    """`python -m bot rasa ...` in the project; its output is shown only when it fails.
    `cache`: Rasa's training cache (default .rasa/cache, which skips components trained before)."""
    env = {**rasa_env(load()), **({"RASA_CACHE_DIRECTORY": str(cache)} if cache else {})}
    subprocess.run([sys.executable, "-m", "bot", "rasa", *args], cwd=PROJECT_ROOT, env=env,
                   check=True, capture_output=True)


def train_nlu(config: Path, out: Path, cache: Optional[Path] = None) -> Tuple[Path, float]:
    started = time.perf_counter()
    rasa_run("train", "nlu", "--config", str(config), "--nlu", "data/nlu", "--out", str(out),
             "--fixed-model-name", "nlu", cache=cache)
    return out / "nlu.tar.gz", time.perf_counter() - started


def cross_validate(config: Path, folds: int, out: Path) -> float:
    """Macro-F1 of `rasa test nlu --cross-validation` on data/nlu (its report stays in `out`)."""
    rasa_run("test", "nlu", "--nlu", "data/nlu", "--config", str(config), "--cross-validation",
             "--folds", str(folds), "--out", str(out))
    report = json.loads((out / "intent_report.json").read_text())
    return round(report["macro avg"]["f1-score"], 4)


def shown(path: Path) -> str:
    """A path as the report and the baseline record it: relative to the project when inside it."""
    path = path.resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def compare(configs: List[Path], out: Path) -> int:
    """Each config trained from an empty cache (an honest training time), then evaluated."""
    runs = {}
    with tempfile.TemporaryDirectory() as scratch:
        for i, config in enumerate(configs):
            print(f"training and evaluating {shown(config)} ...", flush=True)
            cold_cache = Path(scratch) / f"cache{i}"
            model, seconds = train_nlu(config.resolve(), Path(scratch) / str(i), cache=cold_cache)
            runs[shown(config)] = {**ev.evaluate_model(model), "train_s": round(seconds, 1)}
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    (out / "comparison.md").write_text(compare_table(runs) + f"\nMeasured {when} with {os.cpu_count()} CPUs: "
                                       "held-out set tests/nlu/, red-flag corpus tests/red_flags/corpus.yml, "
                                       "NLU training from an empty Rasa cache.\n")
    print((out / "comparison.md").read_text() + f"\nwritten to {out / 'comparison.md'}")
    return 0


def evaluate_once(args: argparse.Namespace, out: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        model = args.model.resolve() if args.model else train_nlu(args.config.resolve(), Path(scratch))[0]
        result = ev.evaluate_model(model)
    if args.cross_validation:
        cv_f1 = cross_validate(args.config.resolve(), args.cross_validation, out / "cv")
        result["cross_validation_macro_f1"] = cv_f1
    result.update(model=shown(args.model) if args.model else None,
                  config=None if args.model else shown(args.config),
                  date=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    baseline = ev.read_baseline()
    problems = ev.gate(result, baseline)
    write_report(result, baseline, problems, out)
    flags = result["red_flags"]
    print(f"macro-F1 {result['macro_f1']:.3f} (baseline {baseline['macro_f1'] if baseline else 'none'}); "
          f"red-flag recall {flags['emergency_recall']:.0%} emergency, {flags['urgent_recall']:.0%} urgent; "
          f"false escalation {flags['false_escalation']:.1%}. Report: {out / 'report.md'}")
    for problem in problems:
        print(f"FAIL: {problem}")
    if args.update_baseline:
        if ev.gate(result, None):  # a red-flag failure is never re-baselined away
            print("baseline NOT updated: fix the red-flag problems first")
            return 1
        ev.write_baseline(result, result["config"] or f"model {result['model']}")
        print(f"baseline updated: {shown(ev.BASELINE)}")
        return 0
    return 1 if problems else 0


def first_runs(args: argparse.Namespace) -> int:
    """Figures of fresh sets, never their texts (bot/tooling/evaluation/first_run.py)."""
    with tempfile.TemporaryDirectory() as scratch:
        model = args.model.resolve() if args.model else train_nlu(args.config.resolve(), Path(scratch))[0]
        parse = ev.model_parser(model)
        for path in args.first_run:
            figures = safety.judge(first_run.cases_of(path), parse)
            print("\n".join(first_run.report_lines(path, figures)))
            if args.write_misses:
                written = first_run.write_misses(path, figures)
                print(f"{path.name}: {written} failures appended to {shown(first_run.KNOWN_MISSES)}, unread")
            if args.drop_passed:
                dropped = first_run.drop_passed(path, figures)
                print(f"{path.name}: {dropped} listed failures that pass now taken out of "
                      f"{shown(first_run.KNOWN_MISSES)}, unread")
    return 0


def quiet() -> None:
    """Only the tool's own output: no TensorFlow banners, library notices or per-message debug logs."""
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)
    show = warnings.showwarning  # libraries reset the filters while importing, so filter the display

    def show_useful(message, category, *args, **kwargs):
        if not issubclass(category, DeprecationWarning) and "Slot auto-fill" not in str(message):
            show(message, category, *args, **kwargs)

    warnings.showwarning = show_useful
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tooling.evaluation", description=ev.__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    parser.add_argument("--model", type=Path, help="evaluate this model instead of training one")
    parser.add_argument("--out", type=Path, help="report folder (default: reports/<time>)")
    parser.add_argument("--update-baseline", action="store_true",
                        help="record this run as the baseline (refused while a red-flag check fails)")
    parser.add_argument("--cross-validation", type=int, metavar="FOLDS", help="also cross-validate on data/nlu")
    parser.add_argument("--compare", type=Path, nargs="+", metavar="CONFIG",
                        help="train and evaluate each config, side by side in comparison.md")
    parser.add_argument("--first-run", type=Path, nargs="+", metavar="SET_FILE",
                        help="figures only (never texts) of fresh set files, e.g. a new blind batch")
    parser.add_argument("--drop-passed", action="store_true",
                        help="with --first-run: take the set's listed failures that pass now out of "
                             "known_misses.yml, unread")
    parser.add_argument("--write-misses", action="store_true",
                        help="with --first-run: list a blind batch's failures in known_misses.yml, unread")
    args = parser.parse_args(argv)
    quiet()
    if args.first_run:
        return first_runs(args)
    out = (args.out or ev.REPORTS / datetime.now().strftime("%Y%m%d-%H%M%S")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    try:
        return compare(args.compare, out) if args.compare else evaluate_once(args, out)
    except subprocess.CalledProcessError as error:
        output = (error.stdout or b"").decode(errors="replace")[-2000:] + without_warnings(error.stderr)[-3000:]
        command = " ".join(error.cmd[4:])
        print(f"FAIL: `rasa {command}` exited with {error.returncode}:\n{output}", file=sys.stderr)
        return 1


def without_warnings(stderr: Optional[bytes]) -> str:
    """A failed rasa run's stderr without the library warnings (each a line and its indented source)."""
    kept, skipping = [], False
    for line in (stderr or b"").decode(errors="replace").splitlines():
        skipping = "Warning: " in line or "declare_namespace" in line or (skipping and line.startswith("  "))
        if not skipping:
            kept.append(line)
    return "\n".join(kept)
