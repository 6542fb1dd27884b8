"""One benchmark run: both bots up side by side, the phases in order, the figures of each."""
from __future__ import annotations

import argparse
import asyncio
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List

from bot import settings as bot_settings
from bot.tooling.bench import content_edit, reference
from bot.tooling.bench.clients import CLIENTS, MESSAGES, REFERENCE_MESSAGES, Bot, concurrent, long_session, paired
from bot.tooling.bench.monitor import Monitor
from bot.tooling.bench.stats import Run, ratio
from bot.tooling.bench.targets import throughput_ratio
from bot.tooling.servers import Servers, isolated_settings


@dataclass(frozen=True)
class Sizes:
    warmup: int  # turns to each bot before measuring
    single: int  # turns to each bot, one client
    seconds: float  # the 10-client run of each bot
    long_senders: int  # senders of the long session, each LONG_TURNS turns


FULL = Sizes(warmup=30, single=300, seconds=20.0, long_senders=5)
QUICK = Sizes(warmup=6, single=20, seconds=3.0, long_senders=2)
LONG_TURNS = 50


def serve(args: argparse.Namespace, work: Path, logs: Path, stack: ExitStack, facts: Dict[str, Any]) -> List[Bot]:
    """Starts the project's servers, then the reference's, one at a time (start-up timed alone)."""
    # The rate limit protects patients from floods; the clients here are the flood it would stop.
    settings = replace(isolated_settings(work / "project-var"), messages_per_minute=10**6)
    settings.var_dir.mkdir(parents=True)
    servers = Servers(settings, model=args.model, log_dir=logs)
    stack.callback(servers.stop)
    started = time.perf_counter()
    servers.start_action_server()
    facts["project"]["action_startup_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    servers.start_rasa()
    facts["project"]["startup_s"] = round(time.perf_counter() - started, 1)
    facts["processes"] = {"project": servers.processes["rasa"], "action-server": servers.processes["action-server"]}
    bots = [Bot("project", f"{servers.rasa_url}/webhooks/rest/webhook", MESSAGES, must_answer=True)]
    if facts["reference"] is not None:
        model = Path(facts["reference"]["model"])
        server = stack.enter_context(reference.ReferenceServer(model, work, logs / "reference.log"))
        facts["reference"]["startup_s"] = server.startup_s
        facts["processes"]["reference"] = server.process
        bots.append(Bot("reference", server.webhook, REFERENCE_MESSAGES, must_answer=False))
    return bots


def measure(args: argparse.Namespace, work: Path, logs: Path) -> Dict[str, Any]:
    """The report's figures: "project", "reference" (None with --no-reference), "ratios", "failures"."""
    sizes = QUICK if args.quick else FULL
    facts: Dict[str, Any] = {"project": {"model": str(args.model)}, "reference": None}
    if args.reference:
        facts["reference"] = reference.trained(bot_settings.load().var_dir, work, logs / "reference-train.log",
                                               retrain=args.retrain_reference)
    failures: List[str] = []
    with ExitStack() as stack:
        bots = serve(args, work, logs, stack, facts)
        processes = facts.pop("processes")
        monitor = Monitor(processes)
        monitor.start()
        warmup = asyncio.run(paired(bots, sizes.warmup))
        if any(run.errors for run in warmup.values()):  # e.g. a model did not load
            raise RuntimeError(f"no good answer in the warm-up: {[r.errors[0] for r in warmup.values() if r.errors]}")
        runs: Dict[str, Dict[str, Run]] = {"single": asyncio.run(paired(bots, sizes.single)), "throughput": {}}
        for bot in bots:  # one bot at a time: 10 clients each take both cores
            runs["throughput"][bot.name] = asyncio.run(concurrent(bot, bot.name, CLIENTS, 10**6, sizes.seconds))
        long = asyncio.run(long_session(bots[0], sizes.long_senders, LONG_TURNS))
        dead = [f"{name} (exit code {p.returncode})" for name, p in processes.items() if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{', '.join(dead)} stopped during the benchmark")
        memory = monitor.stop()
        facts["other_cpu_pct"] = monitor.other_cpu_pct()
    failures += long.pop("errors") + [e for phase in runs.values() for run in phase.values() for e in run.errors]
    facts["project"].update(long_session=long, peak_mb=memory["project"]["peak_mb"],
                            processes=memory["project"]["processes"],
                            action_peak_mb=memory["action-server"]["peak_mb"])
    for bot in bots:
        facts[bot.name].update(single=runs["single"][bot.name].summary(),
                               throughput=runs["throughput"][bot.name].summary())
    if facts["reference"] is not None:
        facts["reference"]["peak_mb"] = memory["reference"]["peak_mb"]
    if not args.skip_train:
        edit = content_edit.measure(work / "content-edit", logs)
        facts["project"].update(train_s=edit["train_s"], reload=edit["reload"])
        failures += edit["errors"]
    facts["failures"] = failures
    return facts


def ratios(facts: Dict[str, Any], baseline: Dict[str, Any]) -> Dict[str, Any]:
    project, ref = facts["project"], facts.get("reference") or {}
    single, ref_single = project["single"], ref.get("single") or {}
    vs_baseline, compared = throughput_ratio(project["throughput"]["msg_per_s"],
                                             (ref.get("throughput") or {}).get("msg_per_s"), baseline)
    return {"p50": ratio(single["p50_ms"], ref_single.get("p50_ms")),
            "p95": ratio(single["p95_ms"], ref_single.get("p95_ms")),
            "peak_rss": ratio(project["peak_mb"], ref.get("peak_mb")),
            "startup": ratio(project["startup_s"], ref.get("startup_s")),
            "throughput_vs_baseline": vs_baseline, "throughput_compared": compared}
