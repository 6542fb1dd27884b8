"""`make load`: patients' traffic against the production topology, then a count in PostgreSQL.

Starts bot.tooling.production's topology (nginx, 2 Rasa replicas, 2 action servers) on free
loopback ports with its own database (`rasa_load`, recreated each run) and Redis database 2, then
runs virtual patients in steps of concurrency. Each patient is a new conversation playing one
scenario of a realistic mix (FAQ questions, the screening, emergency and urgent signs, a
callback request). It reports, per step, messages per second, p50/p95 and errors; the highest
rate whose p95 stays within 200 ms; the peak memory of each process; and then proves, by
counting in PostgreSQL, that every answered message is in the tracker store (once), and every
escalation and callback request in its table. Exits non-zero on any error or missing row.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import psutil
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot import settings as bot_settings
from bot.storage.database import database_url, engine_for
from bot.storage.models import conversation_id, hash_sender
from bot.tooling.bench import Monitor, machine, percentile
from bot.tooling.production import Plan, Topology, production_settings
from bot.tooling.servers import MODELS_DIR, PROJECT_ROOT, free_port

P95_TARGET_MS = 200.0
FAQ = ["is it normal that my leg still hurts after microdiscectomy?", "why does my leg hurt after the surgery?",
       "how long will the leg pain last?", "can i drive?", "ice or heat?", "what can I take for the pain?",
       "should i do physical therapy", "when can I lift things?", "is it ok to sit for long?",
       "im 3 weeks out is this normal", "could the disc herniate again?", "how do I reach the clinic",
       "what habits help recovery", "hi", "thanks", "bye"]


@dataclass(frozen=True)
class Scenario:
    """One conversation: its messages, the text its last answer must hold, what it stores."""

    name: str
    weight: int
    messages: Tuple[str, ...]
    expect: str = ""
    stores: str = ""  # "escalations" or "callback_requests": one row when the scenario completes


SCENARIOS = (
    Scenario("faq", 10, ()),  # three questions drawn from FAQ
    # A screening answered "no" twice ends at the routine tier, which is recorded too.
    Scenario("screening", 3, ("my leg pain is getting worse", "no", "no"), "don't point to a warning sign",
             "escalations"),
    Scenario("emergency", 2, ("i cant pee and its numb down there",), "Call 911 now", "escalations"),
    Scenario("urgent", 2, ("temp 38.5 and the wound is leaking",), "call your surgeon's office", "escalations"),
    Scenario("callback", 3, ("can someone from the clinic call me back", "yes", "Sam Jones", "555-123-4567",
                             "weekday mornings"), "callback request is saved", "callback_requests"),
)


@dataclass
class Tally:
    """What the clients sent and got, for one step and for the whole run."""

    latencies: List[float] = field(default_factory=list)  # ms, answered turns
    errors: List[str] = field(default_factory=list)
    sent: Counter = field(default_factory=Counter)  # sender: messages answered with 200
    expected: Counter = field(default_factory=Counter)  # (table, sender): rows expected
    scenarios: Counter = field(default_factory=Counter)
    wall: float = 0.0

    def summary(self) -> Dict[str, Any]:
        return {"messages": len(self.latencies), "errors": len(self.errors),
                "msg_per_s": round(len(self.latencies) / self.wall, 1) if self.wall else 0.0,
                "p50_ms": round(percentile(self.latencies, 50), 1),
                "p95_ms": round(percentile(self.latencies, 95), 1)}


async def say(session: aiohttp.ClientSession, url: str, sender: str, message: str,
              tally: Tally) -> Optional[str]:
    """One turn; its answer's text, or None (counted as an error) when there is none."""
    start = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": message}) as response:
            body = await response.text()
            if response.status != 200:
                tally.errors.append(f"{message!r}: HTTP {response.status}")
                return None
            text = "\n".join(reply.get("text", "") for reply in json.loads(body))
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        tally.errors.append(f"{message!r}: {type(error).__name__}")
        return None
    tally.sent[sender] += 1
    if not text:
        tally.errors.append(f"{message!r}: empty reply")
        return None
    tally.latencies.append((time.perf_counter() - start) * 1000)
    return text


async def patient(session: aiohttp.ClientSession, url: str, name: str, deadline: float,
                  tally: Tally, rng: random.Random) -> None:
    """Conversation after conversation until the deadline, each a new sender."""
    number = 0
    while time.perf_counter() < deadline:
        scenario = rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0]
        sender, number = f"{name}-{number}", number + 1
        messages = scenario.messages or tuple(rng.sample(FAQ, 3))
        answer: Optional[str] = None
        for message in messages:
            answer = await say(session, url, sender, message, tally)
            if answer is None:
                break
        tally.scenarios[scenario.name] += 1
        if answer is not None and scenario.expect and scenario.expect not in answer:
            tally.errors.append(f"{scenario.name}: the last answer lacks {scenario.expect!r}")
        elif answer is not None and scenario.stores:
            tally.expected[(scenario.stores, sender)] += 1


async def step(url: str, clients: int, seconds: float, tag: str, tally: Tally) -> Tally:
    """`clients` patients at once for `seconds`; the step's own figures, added to `tally`."""
    own = Tally()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=clients)) as session:
        start = time.perf_counter()
        await asyncio.gather(*(patient(session, url, f"load-{tag}-{i}", start + seconds, own,
                                       random.Random(f"{tag}-{i}")) for i in range(clients)))
        own.wall = time.perf_counter() - start
    tally.latencies += own.latencies
    tally.errors += own.errors
    tally.sent.update(own.sent)
    tally.expected.update(own.expected)
    tally.scenarios.update(own.scenarios)
    return own


def user_turns(engine: Engine) -> Counter:
    """Patient messages in the tracker store, per sender."""
    query = sa.text("SELECT sender_id, count(*) FROM events WHERE type_name = 'user' GROUP BY sender_id")
    with engine.connect() as connection:
        return Counter(dict(connection.execute(query).all()))


def stored_rows(engine: Engine, table: str) -> Counter:
    """Rows of the project's table ("escalations" or "callback_requests") per sender hash."""
    query = sa.text(f"SELECT sender_hash, count(*) FROM {table} GROUP BY sender_hash")  # noqa: S608 - our names
    with engine.connect() as connection:
        return Counter(dict(connection.execute(query).all()))


def reconcile(engine: Engine, key: str, tally: Tally) -> List[str]:
    """Every answered message in the tracker store once, every expected row in its table once."""
    problems = []
    turns = user_turns(engine)
    for sender, sent in tally.sent.items():
        stored = turns[conversation_id("rest", sender, key)]  # Rasa holds the REST sender's hash
        if stored != sent:
            problems.append(f"{sender}: {sent} messages answered, {stored} in the tracker store")
    for table in ("escalations", "callback_requests"):
        rows = stored_rows(engine, table)
        for (kind, sender), count in tally.expected.items():
            stored = rows[hash_sender(conversation_id("rest", sender, key), key)]  # the tables hash Rasa's id
            if kind == table and stored != count:
                problems.append(f"{sender}: {count} {table} expected, {stored} stored")
    return problems


def fresh_database(plan: Plan) -> None:
    url = database_url(plan.settings)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            quoted = admin.dialect.identifier_preparer.quote(url.database)
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        admin.dispose()


def load_plan(model: Path) -> Plan:
    base = bot_settings.load()
    run_dir = Path(base.var_dir) / "load"
    settings = replace(production_settings(base, run_dir),
                       database_url="postgresql://postgres@127.0.0.1:5432/rasa_load",
                       lock_store_url="redis://127.0.0.1:6379/2")
    return Plan(settings, port=free_port(), action_port=free_port(), rasa_ports=(free_port(), free_port()),
                action_ports=(free_port(), free_port()), run_dir=run_dir, model=model)


def run(args: argparse.Namespace) -> Dict[str, Any]:
    plan = load_plan(args.model)
    fresh_database(plan)
    tally, steps = Tally(), []
    with Topology(plan) as topology:
        monitor = Monitor({name: p for name, p in topology.processes.items()})
        monitor.start()
        url = f"{plan.url}/webhooks/rest/webhook"
        warmup = asyncio.run(step(url, 2, 5, "warmup", tally))
        if warmup.errors:
            raise RuntimeError(f"no good answer in the warm-up: {warmup.errors[0]}")
        for clients in args.clients:
            own = asyncio.run(step(url, clients, args.seconds, f"c{clients}", tally))
            steps.append({"clients": clients, **own.summary()})
            print(f"  {clients:3d} clients: {steps[-1]}", flush=True)
        capacity = (time.perf_counter() - monitor.start_wall) * (os.cpu_count() or 1)
        other_cpu_pct = round(max(0.0, monitor.cpu() - monitor.start_cpu) / capacity * 100)
        monitor.stopped.set()
        monitor.join()
        dead = topology.dead()
        engine = engine_for(plan.settings)
        try:
            problems = reconcile(engine, plan.settings.sender_hash_key, tally)
            totals = {"tracker_user_events": sum(user_turns(engine).values()),
                      **{t: sum(stored_rows(engine, t).values()) for t in ("escalations", "callback_requests")}}
        finally:
            engine.dispose()
    good = [s for s in steps if s["p95_ms"] <= P95_TARGET_MS and not s["errors"]]
    return {"steps": steps, "sustained_msg_per_s_at_p95_200ms": max((s["msg_per_s"] for s in good), default=0.0),
            "peak_mb": {name: round(mb) for name, mb in monitor.peak_mb.items()},
            "other_cpu_pct": other_cpu_pct,
            "messages_answered": sum(tally.sent.values()), "errors": len(tally.errors),
            "error_samples": tally.errors[:10], "scenarios": dict(tally.scenarios),
            "escalations_expected": sum(c for (t, _), c in tally.expected.items() if t == "escalations"),
            "callbacks_expected": sum(c for (t, _), c in tally.expected.items() if t == "callback_requests"),
            **totals, "missing_or_doubled": problems[:20], "dead_processes": dead}


def table(f: Dict[str, Any]) -> str:
    lines = ["| clients | msg/s | p50 ms | p95 ms | errors |", "|---|---|---|---|---|"]
    lines += [f"| {s['clients']} | {s['msg_per_s']} | {s['p50_ms']} | {s['p95_ms']} | {s['errors']} |"
              for s in f["steps"]]
    memory = ", ".join(f"{name} {mb} MB" for name, mb in f["peak_mb"].items())
    return "\n".join(lines + [
        "", f"Sustained at p95 <= {P95_TARGET_MS:.0f} ms: {f['sustained_msg_per_s_at_p95_200ms']} msg/s",
        f"Peak memory: {memory}",
        f"CPU taken by other processes on the machine during the run: {f['other_cpu_pct']}% of "
        f"{os.cpu_count()} cores",
        f"Answered {f['messages_answered']} messages, {f['errors']} errors; tracker store holds "
        f"{f['tracker_user_events']} patient messages; escalations {f['escalations']} stored of "
        f"{f['escalations_expected']} given; callback requests {f['callback_requests']} of "
        f"{f['callbacks_expected']}; mismatches: {len(f['missing_or_doubled'])}"])


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tooling.load", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=lambda s: [int(n) for n in s.split(",")], default=[1, 2, 4, 8, 16],
                        help="concurrent patients of each step (default 1,2,4,8,16)")
    parser.add_argument("--seconds", type=float, default=25.0, help="length of each step (default 25)")
    parser.add_argument("--model", type=Path, default=MODELS_DIR / "assistant.tar.gz")
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "reports" / "load.json")
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"No model at {args.model}: run `make train` first.", file=sys.stderr)
        return 2
    try:
        figures = run(args)
    except (RuntimeError, TimeoutError, OSError, psutil.Error, sa.exc.SQLAlchemyError) as error:
        print(f"Load test failed: {error}", file=sys.stderr)
        return 1
    report = {"date": date.today().isoformat(), "machine": machine(), "seconds_per_step": args.seconds,
              **figures}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{table(figures)}\n\nFigures in {args.json}")
    for sample in figures["error_samples"] + figures["missing_or_doubled"]:
        print(f"error: {sample}", file=sys.stderr)
    failed = figures["errors"] or figures["missing_or_doubled"] or figures["dead_processes"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
