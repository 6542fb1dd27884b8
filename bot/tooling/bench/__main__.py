"""`python -m bot.tooling.bench`: measure, print the target table, write reports/bench.json.

Exits non-zero when a server, a turn, a training or the reload fails; never because a figure
misses its target.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any, Dict, List, Optional

import psutil

from bot.settings import PROJECT_ROOT
from bot.tooling.bench.clients import CLIENTS, TURNS_PER_SENDER
from bot.tooling.bench.monitor import machine
from bot.tooling.bench.run import measure, ratios
from bot.tooling.bench.stats import without_nan
from bot.tooling.bench.targets import rows, table
from bot.tooling.servers import MODELS_DIR

BASELINE = PROJECT_ROOT / "docs" / "bench-baseline.json"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot.tooling.bench", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke run with few turns (every phase; figures meaningless)")
    p.add_argument("--reference", action=argparse.BooleanOptionalAction, default=True,
                   help="measure the `rasa init` bot beside the project (default: yes; `make bench` does)")
    p.add_argument("--retrain-reference", action="store_true",
                   help="train the reference again instead of reusing var/bench/reference-<rasa version>.tar.gz")
    p.add_argument("--skip-train", action="store_true",
                   help="no training from an empty cache, hence no content-edit reload either")
    p.add_argument("--model", type=Path, default=MODELS_DIR / "assistant.tar.gz",
                   help="the project's trained model to serve (default: models/assistant.tar.gz)")
    p.add_argument("--json", type=Path, default=PROJECT_ROOT / "reports" / "bench.json",
                   help="where to write the figures (default: reports/bench.json)")
    p.add_argument("--baseline", type=Path, default=BASELINE,
                   help="the stored throughput baseline (default: docs/bench-baseline.json)")
    p.add_argument("--save-baseline", action="store_true",
                   help="store this run's throughput as the baseline (a full run with the reference)")
    return p


def commit() -> str:
    """HEAD's short hash, "+changes" when tracked files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD") or "unknown"
        return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")
    except OSError:
        return "unknown"


def load_baseline(path: Path) -> Dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def baseline_of(report: Dict[str, Any]) -> Dict[str, Any]:
    project, ref = report["project"]["throughput"], (report["reference"] or {}).get("throughput") or {}
    return {"date": report["date"], "commit": report["commit"], "machine": report["machine"],
            "command": report["command"], "quick": report["quick"], "clients": CLIENTS,
            "project_msg_per_s": project["msg_per_s"], "project_p95_ms": project["p95_ms"],
            "project_errors": project["errors"], "reference_msg_per_s": ref.get("msg_per_s"),
            "other_cpu_pct": report["other_cpu_pct"]}


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    if not args.model.exists():
        print(f"No model at {args.model}: run `make train` first.", file=sys.stderr)
        return 2
    logs = PROJECT_ROOT / "reports" / "bench-logs"
    shutil.rmtree(logs, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="bot-bench-"))
    try:
        facts = measure(args, work, logs)
    except (RuntimeError, TimeoutError, OSError, psutil.Error) as error:
        print(f"Benchmark failed: {error} (logs in {logs})", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failures = facts.pop("failures")
    baseline = load_baseline(args.baseline)
    command = "python -m bot.tooling.bench " + " ".join(argv if argv is not None else sys.argv[1:])
    report = {"date": date.today().isoformat(), "command": command.strip(), "quick": args.quick,
              "commit": commit(), "machine": machine(), "turns_per_sender": TURNS_PER_SENDER, "clients": CLIENTS,
              **facts, "baseline": baseline, "ratios": ratios(facts, baseline),
              "errors": len(failures), "error_samples": failures[:10]}
    report["targets"] = [{**asdict(row), "verdict": row.verdict} for row in rows(report)]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(without_nan(report), indent=2, allow_nan=False) + "\n")
    m = report["machine"]
    print(f"\n{table(report)}\n\nMachine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}, "
          f"Python {m['python']}, Rasa {m['rasa']}; commit {report['commit']}\nCommand: `{report['command']}`"
          f"{' (quick smoke run: the figures mean nothing)' if args.quick else ''}; figures in {args.json}")
    if report["other_cpu_pct"] > 10:  # someone else's training or tests shared the cores
        print(f"Note: other processes used {report['other_cpu_pct']}% of the CPU during the run; "
              "absolute figures are pessimistic, the ratios less so.")
    if args.save_baseline:
        if failures or args.quick or not args.reference:
            print("Not stored as the baseline: that takes a full run with the reference and no error.")
        else:
            args.baseline.write_text(json.dumps(without_nan(baseline_of(report)), indent=2, allow_nan=False) + "\n")
            print(f"Stored this run's throughput as the baseline in {args.baseline}.")
    for sample in failures[:10]:
        print(f"error: {sample}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
