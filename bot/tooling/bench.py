"""`make bench`: latency, throughput and memory of the real servers over REST, and training time.

Runs both servers via bot.tooling.servers on free ports with a throw-away SQLite database, chats over the
REST channel on 127.0.0.1 and prints a markdown table (docs/BENCHMARKS.md). Exits non-zero when a
server or a turn fails (non-200, empty reply, timeout), never because a figure misses its target.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp
import psutil

from bot import settings as bot_settings
from bot.tooling.servers import MODELS_DIR, PROJECT_ROOT, Servers, isolated_settings, rasa_env

# What patients type, in their own words; "N weeks out" turns run the custom action.
MESSAGES = [
    "hi", "hello there", "is it normal that my leg still hurts after microdiscectomy?",
    "im 3 weeks out is this normal", "why does my leg hurt after the surgery?",
    "how long will the leg pain last?", "can i drive?", "ice or heat?",
    "what can I take for the pain?", "should i do physical therapy", "when can I lift things?",
    "is it ok to sit for long?", "it's been 8 weeks and my leg still hurts",
    "could the disc herniate again?", "what is a barricaid?", "when should i call a doctor",
    "what is a microdiscectomy exactly", "is it scar tissue?", "my nerve is healing?",
    "is it inflammation", "2 days after surgery and my calf burns", "how do I reach the clinic",
    "what habits help recovery", "are you a bot?", "help", "thanks", "thank you so much",
    "what's the weather like", "bye", "the pain is worse than before surgery, was it misdiagnosed?",
]
TURNS_PER_SENDER = 10  # a new conversation (sender id) every 10 turns keeps trackers realistic
CLIENTS = 10


@dataclass(frozen=True)
class Sizes:
    warmup: int  # turns before measuring
    single: int  # turns of the one-client run
    per_client: int  # turns of each client in the concurrent run
    seconds: float  # length of the sustained run


FULL = Sizes(warmup=30, single=300, per_client=60, seconds=20.0)
QUICK = Sizes(warmup=10, single=40, per_client=8, seconds=3.0)
# A long conversation in one session (the widget keeps its session id until domain.yml's session
# expiry): each of these senders says LONG_TURNS messages in a row, one after the other.
LONG_TURNS = 50
LONG_SENDERS = {False: 5, True: 2}  # full run, quick run


@dataclass
class Run:
    latencies: List[float] = field(default_factory=list)  # seconds, successful turns only
    errors: List[str] = field(default_factory=list)
    wall: float = 0.0

    def summary(self) -> Dict[str, float]:
        ms = [t * 1000 for t in self.latencies]
        return {"turns": len(ms), "errors": len(self.errors), "p50_ms": round(percentile(ms, 50), 1),
                "p95_ms": round(percentile(ms, 95), 1), "mean_ms": round(sum(ms) / max(1, len(ms)), 1),
                "msg_per_s": round(len(ms) / self.wall, 1)}


def percentile(values: List[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


class Monitor(threading.Thread):
    """Every 100 ms, the resident memory of each server (with its children: SANIC_WORKERS);
    at the end, the share of the machine's CPU that other processes (training, tests) took."""

    def __init__(self, processes: Dict[str, subprocess.Popen]):
        super().__init__(daemon=True)
        self.servers = {name: psutil.Process(p.pid) for name, p in processes.items()}
        self.peak_mb, self.largest_mb = dict.fromkeys(self.servers, 0.0), dict.fromkeys(self.servers, 0.0)
        self.count, self.stopped = dict.fromkeys(self.servers, 1), threading.Event()
        self.start_cpu, self.start_wall = self.cpu(), time.perf_counter()

    def cpu(self) -> float:
        """CPU seconds of the whole machine minus those of this process and the servers."""
        total = psutil.cpu_times()
        ours = [psutil.Process(), *(c for p in self.servers.values() for c in [p, *p.children(True)])]
        return (sum(total) - total.idle - getattr(total, "iowait", 0)
                - sum(sum(p.cpu_times()[:2]) for p in ours))

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            for name, process in self.servers.items():
                try:
                    rss = [p.memory_info().rss / 2**20 for p in [process, *process.children(True)]]
                except psutil.Error:  # a server (or a child) is gone: the caller reports it
                    continue
                self.peak_mb[name] = max(self.peak_mb[name], sum(rss))
                self.largest_mb[name], self.count[name] = max(self.largest_mb[name], *rss), len(rss)

    def stop(self) -> Dict[str, float]:
        self.stopped.set()
        self.join()
        capacity = (time.perf_counter() - self.start_wall) * (os.cpu_count() or 1)
        return {"rasa_peak_mb": round(self.peak_mb["rasa"]), "rasa_processes": self.count["rasa"],
                "rasa_largest_process_mb": round(self.largest_mb["rasa"]),
                "action_peak_mb": round(self.peak_mb["action-server"]),
                "other_cpu_pct": round(max(0.0, self.cpu() - self.start_cpu) / capacity * 100)}


async def client(session: aiohttp.ClientSession, url: str, name: str, turns: int,
                 deadline: float, run: Run) -> None:
    """One patient after another: `turns` messages (or until `deadline`), in order."""
    offset = sum(map(ord, name))  # clients start at different places in the list
    for turn in range(turns):
        if time.perf_counter() >= deadline:
            return
        body = {"sender": f"{name}-{turn // TURNS_PER_SENDER}",
                "message": MESSAGES[(offset + turn) % len(MESSAGES)]}
        start = time.perf_counter()
        try:
            async with session.post(url, json=body) as response:
                replies = await response.json(content_type=None) if response.status == 200 else None
                if response.status != 200:
                    run.errors.append(f"{body['message']!r}: HTTP {response.status}")
                elif not replies or not any(r.get("text") for r in replies):
                    run.errors.append(f"{body['message']!r}: empty reply")
                else:
                    run.latencies.append(time.perf_counter() - start)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            run.errors.append(f"{body['message']!r}: {type(error).__name__} {error}")


async def drive(url: str, tag: str, clients: int, turns: int, seconds: float = 3600.0) -> Run:
    run, timeout = Run(), aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=clients)) as session:
        start = time.perf_counter()
        await asyncio.gather(*(client(session, url, f"bench-{tag}-{i}", turns, start + seconds, run)
                               for i in range(clients)))
        run.wall = time.perf_counter() - start
    return run


async def long_session(url: str, senders: int, turns: int = LONG_TURNS) -> Dict[str, Any]:
    """Per-turn time at turn 1 and at turn `turns` of one session (median over `senders`), and the
    growth per earlier turn (least-squares slope over turns 2..`turns`, turn 1 starts the session)."""
    by_turn: List[List[float]] = [[] for _ in range(turns)]
    errors: List[str] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for s in range(senders):
            for turn in range(turns):
                body = {"sender": f"bench-long-{s}", "message": MESSAGES[turn % len(MESSAGES)]}
                start = time.perf_counter()
                try:
                    async with session.post(url, json=body) as response:
                        replies = await response.json(content_type=None) if response.status == 200 else None
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                    errors.append(f"{body['message']!r}: {type(error).__name__} {error}")
                    continue
                if not replies or not any(r.get("text") for r in replies):
                    errors.append(f"{body['message']!r}: no reply in a long session")
                    continue
                by_turn[turn].append((time.perf_counter() - start) * 1000)
    means = [(i + 1, sum(v) / len(v)) for i, v in enumerate(by_turn) if v and i > 0]
    slope = float("nan")
    if len(means) > 1:
        mx, my = (sum(x for x, _ in means) / len(means), sum(y for _, y in means) / len(means))
        slope = sum((x - mx) * (y - my) for x, y in means) / sum((x - mx) ** 2 for x, _ in means)
    return {"senders": senders, "turns": turns, "first_turn_ms": round(percentile(by_turn[0], 50), 1),
            "last_turn_ms": round(percentile(by_turn[-1], 50), 1),
            "growth_ms_per_turn": round(slope, 3), "errors": errors}


def machine() -> Dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    return {"cpu": cpu, "cores": str(os.cpu_count()),
            "ram_gb": f"{psutil.virtual_memory().total / 2**30:.1f}",
            "os": platform.platform(terse=True), "python": platform.python_version(),
            "rasa": version("rasa")}


def train_seconds(out: Path, log: Path) -> Optional[float]:
    """Seconds for a full `--force` training into `out` (not models/); None when it fails."""
    command = [sys.executable, "-m", "bot", "rasa", "train", "--force",
               "--fixed-model-name", "bench", "--out", str(out)]
    start = time.perf_counter()
    with log.open("wb") as output:
        code = subprocess.call(command, cwd=PROJECT_ROOT, env=rasa_env(bot_settings.load()),
                               stdout=output, stderr=subprocess.STDOUT)
    return round(time.perf_counter() - start, 1) if code == 0 else None


def benchmark(args: argparse.Namespace, work: Path, logs: Path) -> Dict[str, Any]:
    sizes = QUICK if args.quick else FULL
    settings = isolated_settings(work)
    figures: Dict[str, Any] = {}  # the JSON report's figures
    started = time.perf_counter()
    with Servers(settings, model=args.model, log_dir=logs) as servers:
        figures["startup_s"] = round(time.perf_counter() - started, 1)
        monitor = Monitor(servers.processes)
        monitor.start()
        url = f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook"
        runs = {"warmup": asyncio.run(drive(url, "warmup", 1, sizes.warmup))}
        if runs["warmup"].errors:  # e.g. the model did not load: Rasa then answers nothing
            raise RuntimeError(f"no good answer in the warm-up: {runs['warmup'].errors[0]}")
        runs["single"] = asyncio.run(drive(url, "single", 1, sizes.single))
        runs["concurrent"] = asyncio.run(drive(url, "concurrent", CLIENTS, sizes.per_client))
        runs["sustained"] = asyncio.run(drive(url, "sustained", CLIENTS, 10**6, sizes.seconds))
        figures["long_session"] = asyncio.run(long_session(url, LONG_SENDERS[args.quick]))
        dead = [f"{name} (exit code {p.returncode})" for name, p in servers.processes.items()
                if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{', '.join(dead)} stopped during the benchmark")
        figures.update(monitor.stop())
    figures.update({name: runs[name].summary() for name in ("single", "concurrent", "sustained")})
    failures = [e for r in runs.values() for e in r.errors] + figures["long_session"].pop("errors")
    if not args.skip_train:
        figures["train_s"] = train_seconds(work / "models", logs / "train.log")
        if figures["train_s"] is None:
            failures.append(f"training failed: see {logs / 'train.log'}")
    figures["errors"], figures["error_samples"] = len(failures), failures[:10]
    return figures


def table(f: Dict[str, Any]) -> str:
    s, c, u, long = f["single"], f["concurrent"], f["sustained"], f["long_session"]
    train = "skipped" if "train_s" not in f else "FAILED" if f["train_s"] is None else f"{f['train_s']} s"
    rasa_rss = f"{f['rasa_peak_mb']} MB" + ("" if f["rasa_processes"] == 1 else
               f" in {f['rasa_processes']} processes, largest {f['rasa_largest_process_mb']} MB")
    rows = [("Latency p50, 1 client", f"{s['p50_ms']} ms", "~40 ms", "<= 15 ms"),
            ("Latency p95 / mean, 1 client", f"{s['p95_ms']} / {s['mean_ms']} ms", "", ""),
            ("Latency p50 / p95, 10 clients", f"{c['p50_ms']} / {c['p95_ms']} ms", "", ""),
            ("Throughput, 10 clients x fixed turns", f"{c['msg_per_s']} msg/s", "", ""),
            ("Sustained throughput, 10 clients", f"{u['msg_per_s']} msg/s", "~25 msg/s", ">= 60 msg/s"),
            (f"Per-turn time at turn 1 / turn {long['turns']} of one session",
             f"{long['first_turn_ms']} / {long['last_turn_ms']} ms "
             f"({long['growth_ms_per_turn']} ms more per earlier turn)", "", "no growth"),
            ("Errors (failed turns, failed training)", str(f["errors"]), "", "0"),
            ("Peak RSS, Rasa server", rasa_rss, "~1100 MB", "< 800 MB per process"),
            ("Peak RSS, action server", f"{f['action_peak_mb']} MB", "", ""),
            ("Server start-up (both)", f"{f['startup_s']} s", "", ""),
            ("Training time (--force)", train, "", "")]
    lines = ["| Figure | Measured | Reference (`rasa init`) | Target |", "|---|---|---|---|"]
    return "\n".join(lines + [f"| {' | '.join(row)} |" for row in rows])


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tooling.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (seconds, not minutes)")
    parser.add_argument("--skip-train", action="store_true", help="do not time a training run")
    parser.add_argument("--model", type=Path, default=MODELS_DIR / "assistant.tar.gz",
                        help="trained model to serve (default: models/assistant.tar.gz)")
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "reports" / "bench.json",
                        help="where to write the figures (default: reports/bench.json)")
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"No model at {args.model}: run `make train` first.", file=sys.stderr)
        return 2
    logs = PROJECT_ROOT / "reports" / "bench-logs"
    shutil.rmtree(logs, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="bot-bench-"))
    try:
        figures = benchmark(args, work, logs)
    except (RuntimeError, TimeoutError, OSError, psutil.Error) as error:
        print(f"Benchmark failed: {error} (server logs in {logs})", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    command = "python -m bot.tooling.bench " + " ".join(argv if argv is not None else sys.argv[1:])
    report = {"date": date.today().isoformat(), "command": command.strip(), "quick": args.quick,
              "model": str(args.model), "turns_per_sender": TURNS_PER_SENDER, "clients": CLIENTS,
              "machine": machine(), **figures}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    m = report["machine"]
    print(f"\n{table(figures)}\n\nMachine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, "
          f"{m['os']}, Python {m['python']}, Rasa {m['rasa']}\nCommand: `{report['command']}`"
          f"{' (quick smoke run)' if args.quick else ''}; figures in {args.json}")
    if figures["other_cpu_pct"] > 10:  # someone else's training or tests shared the cores
        print(f"Note: other processes used {figures['other_cpu_pct']}% of the CPU during the run; "
              "the figures are pessimistic.")
    for sample in figures["error_samples"]:
        print(f"error: {sample}", file=sys.stderr)
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
