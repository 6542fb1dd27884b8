"""`python -m bot.tooling.turn_profile`: the per-turn cost of the Rasa server, in one process.

Loads the trained model with Rasa's Agent and the project's endpoints.yml (the configured SQL
tracker store on a throw-away SQLite file, in-memory locks, the clinic NLG, the action server
started by bot.tooling.servers), then runs conversations of `--turns` turns with `make bench`'s
message mix (a custom action every 30 turns) and prints, per arm, the p50 per turn at turn 1 and
at the last turn, the growth per earlier turn (least-squares slope over turns 2..M) and the p50
of all turns; wall time and this process's CPU time (the CPU time is the steadier on a shared
machine: the action server's work is not in it).

`--rest` sends each message as the REST channel's POST /webhooks/rest/webhook through the Rasa
server's own Sanic app (built as `rasa run` builds it, with credentials.yml's channels and the
HTTP API), driven in this process over ASGI: the channel's checks, the sender's keyed hash, the
rate limit and Sanic's request and response are then in the figures and the profile; only the
socket is not.

`--phases` prints the CPU time per turn of each part of a turn (the tracker store's reads, marks,
inserts and commits, each NLU component, each policy, the action server calls, ...): each part's
functions timed with this process's CPU clock, a part called inside another counted in its own
row only; what is not in a row is in "the rest of Rasa's turn" or, outside Rasa's
handle_message, in Sanic, ASGI and the channel.

`--ab NAME` compares an optimisation on and off in the same process: conversations alternate
between the two arms (on, off, off, on, ...), and the output gives each figure's ratio on/off.
`--off NAME` turns an optimisation off for the whole run. `--profile FILE` writes a cProfile of
the measured turns. `--help` lists the optimisations (bot/rasa_patches.py; `kept_trackers`:
bot/storage/tracker_store.py's `keep_in_process`).

    python -m bot.tooling.turn_profile --conversations 6 --turns 50 --ab validator
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import inspect
import json
import logging
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Awaitable, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from bot.tooling.bench.clients import MESSAGES
from bot.tooling.quiet import quiet_warnings
from bot.tooling.servers import MODELS_DIR, PROJECT_ROOT, Servers, isolated_settings, rasa_env

# Each optimisation: (turn on, turn off), both taking the loaded agent.
Switch = Tuple[Callable[[object], None], Callable[[object], None]]


def switches() -> Dict[str, Switch]:
    """The optimisations that can be toggled at run time (imported late: Rasa is slow to import)."""
    from bot import rasa_patches

    def patch(name: str, on: bool) -> Callable[[object], None]:
        def switch(_agent: object) -> None:
            (rasa_patches.apply if on else rasa_patches.revert)(name)
        return switch

    found: Dict[str, Switch] = {name: (patch(name, True), patch(name, False)) for name in rasa_patches.PATCHES}

    def keep(on: bool) -> Callable[[object], None]:
        def switch(agent: object) -> None:
            store = agent.tracker_store  # type: ignore[attr-defined]
            getattr(store, "_tracker_store", store).keep_in_process = on  # inside Rasa's AwaitableTrackerStore
        return switch

    found["kept_trackers"] = (keep(True), keep(False))

    def every(on: bool) -> Callable[[object], None]:
        def switch(agent: object) -> None:
            for name, (enable, disable) in list(found.items()):
                if name != "all":
                    (enable if on else disable)(agent)
        return switch

    found["all"] = (every(True), every(False))  # this branch's per-turn work against Rasa's own
    return found


@dataclass
class Arm:
    name: str
    wall: List[List[float]] = field(default_factory=list)  # per conversation, ms per turn
    cpu: List[List[float]] = field(default_factory=list)
    action_turns: List[List[int]] = field(default_factory=list)  # per conversation, turns calling the action server

    def figures(self, kind: str) -> Dict[str, float]:
        runs = self.wall if kind == "wall" else self.cpu
        turns = len(runs[0])
        by_turn = [[run[i] for run in runs] for i in range(turns)]
        means = [(i + 1, statistics.fmean(v)) for i, v in enumerate(by_turn) if i > 0]
        later = [t for run in runs for t in run[1:]]
        actions = [run[i] for run, turns in zip(runs, self.action_turns, strict=True) for i in turns if i > 0]
        return {"first": statistics.median(by_turn[0]), "last": statistics.median(by_turn[-1]),
                "slope": slope(means), "p50": statistics.median(later), "mean": statistics.fmean(later),
                "action": statistics.median(actions) if actions else float("nan")}


def slope(points: Sequence[Tuple[float, float]]) -> float:
    if len(points) < 2:
        return float("nan")
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def order(conversations: int) -> Iterator[bool]:
    """on, off, off, on, on, off, ...: each arm as often first as second (ABBA)."""
    for i in range(conversations):
        yield (i // 2) % 2 == 0 if i % 2 == 0 else (i // 2) % 2 == 1


ACTION_CALLS = [0]  # calls to the action server so far (count_action_calls)


def count_action_calls() -> None:
    """Count Rasa's calls to the action server, to report the turns that make one apart."""
    from rasa.core.actions.action import RemoteAction

    run = RemoteAction.run

    async def counted(self: RemoteAction, *args: object, **kwargs: object) -> object:
        ACTION_CALLS[0] += 1
        return await run(self, *args, **kwargs)

    RemoteAction.run = counted


# One turn: (sender, text) -> the replies.
Turn = Callable[[str, str], Awaitable[List[Dict[str, object]]]]


class Phases:
    """CPU seconds per part of a turn; `time(owner, name, label)` wraps a function (before the
    agent is loaded: Rasa's graph nodes keep the component functions they found)."""

    def __init__(self) -> None:
        self.seconds: Dict[str, float] = {}
        self._inner: List[float] = []  # per open call, the time of the calls timed inside it

    def _add(self, label: str, started: float) -> None:
        spent = time.process_time() - started
        self.seconds[label] = self.seconds.get(label, 0.0) + spent - self._inner.pop()
        if self._inner:
            self._inner[-1] += spent

    def time(self, owner: object, name: str, label: str) -> None:
        function = getattr(owner, name)
        if inspect.iscoroutinefunction(function):
            @functools.wraps(function)
            async def timed_async(*args: object, **kwargs: object) -> object:
                started = time.process_time()
                self._inner.append(0.0)
                try:
                    return await function(*args, **kwargs)
                finally:
                    self._add(label, started)
            wrapper: Callable[..., object] = timed_async
        else:
            @functools.wraps(function)
            def timed(*args: object, **kwargs: object) -> object:
                started = time.process_time()
                self._inner.append(0.0)
                try:
                    return function(*args, **kwargs)
                finally:
                    self._add(label, started)
            wrapper = timed
        static = isinstance(vars(owner).get(name), staticmethod) if isinstance(owner, type) else False
        setattr(owner, name, staticmethod(wrapper) if static else wrapper)

    def wrap_turn_parts(self) -> None:
        import sqlalchemy.orm
        from rasa.core.actions.action import RemoteAction
        from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
        from rasa.core.policies.memoization import MemoizationPolicy
        from rasa.core.policies.policy import Policy
        from rasa.core.policies.rule_policy import RulePolicy
        from rasa.core.processor import MessageProcessor
        from rasa.shared.core.trackers import DialogueStateTracker

        import bot.channels.rest as rest
        from bot.nlu.intent_classifier import TfidfIntentClassifier
        from bot.nlu.lemma_tokenizer import LemmaTokenizer
        from bot.nlu.red_flag_detector import RedFlagDetector
        from bot.nlu.tier_reader import TierReader
        from bot.responses import ClinicResponseGenerator
        from bot.storage.tracker_store import ConfiguredSQLTrackerStore as Store

        for owner, name, label in [
            (Store, "retrieve", "tracker store: retrieve (the rest: kept tracker or read)"),
            (Store, "_insert", "tracker store: save (the INSERT, the rest)"),
            (Store, "_mark", "tracker store: the table's mark (3 a turn; opens the connection)"),
            (Store, "_row", "tracker store: event rows (as_dict, json)"),
            (sqlalchemy.orm.Session, "commit", "tracker store: commit"),
            (TfidfIntentClassifier, "process", "NLU: TF-IDF intent classifier"),
            (RedFlagDetector, "process", "NLU: red-flag detector"),
            (TierReader, "process", "NLU: tier reader"),
            (LemmaTokenizer, "process", "NLU: lemma tokenizer"),
            (RulePolicy, "predict_action_probabilities", "policy: RulePolicy (the rest)"),
            (RulePolicy, "_get_possible_keys", "policy: RulePolicy's rule lookup"),
            (Policy, "_prediction_states", "policy: states (both policies)"),
            (MemoizationPolicy, "predict_action_probabilities", "policy: MemoizationPolicy"),
            (DefaultPolicyPredictionEnsemble, "combine_predictions_from_kwargs", "policy: ensemble"),
            (RemoteAction, "run", "action server calls"),
            (ClinicResponseGenerator, "generate", "NLG (clinic responses)"),
            (DialogueStateTracker, "copy", "tracker copy before each action"),
            (rest, "conversation_id", "channel: sender hash"),
            (MessageProcessor, "handle_message", "the rest of Rasa's turn (processor, graph, events, lock)"),
        ]:
            self.time(owner, name, label)

    def report(self, turns: int, total: float) -> str:
        lines = [f"{'CPU per turn':64} {'ms':>6} {'share':>6}"]
        outside = total - sum(self.seconds.values())
        for label, seconds in sorted([*self.seconds.items(), ("Sanic, ASGI, the channel", outside)],
                                     key=lambda item: -item[1]):
            lines.append(f"  {label:62} {seconds / turns * 1000:6.2f} {seconds / total:6.0%}")
        lines.append(f"  {'total':62} {total / turns * 1000:6.2f}")
        return "\n".join(lines)


def agent_turn(agent: object) -> Turn:
    """A turn handed straight to the agent, as Rasa's channels hand it."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    async def turn(sender: str, text: str) -> List[Dict[str, object]]:
        output = CollectingOutputChannel()
        await agent.handle_message(UserMessage(text, output, sender))  # type: ignore[attr-defined]
        return output.messages

    return turn


async def rest_turn(agent: object) -> Turn:
    """A turn POSTed to the REST channel of the Rasa server's Sanic app, over ASGI in this process."""
    from rasa.core.run import configure_app, create_http_input_channels

    app = configure_app(create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml")),
                        enable_api=True, auth_token="turn-profile", endpoints=None)
    app.ctx.agent = agent
    await app._startup()  # what Sanic does before serving: routes and signals finalised

    async def turn(sender: str, text: str) -> List[Dict[str, object]]:
        body = json.dumps({"sender": sender, "message": text}).encode()
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/webhooks/rest/webhook", "raw_path": b"/webhooks/rest/webhook",
                 "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
                 "server": ("127.0.0.1", 5005),
                 "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode())]}
        sent: List[Dict[str, object]] = []
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> Dict[str, object]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: Dict[str, object]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        reply = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]
        if status != 200:
            raise RuntimeError(f"REST turn answered {status}: {reply[:200]!r}")
        return json.loads(reply)

    return turn


async def converse(turn: Turn, sender: str, turns: int) -> Tuple[List[float], List[float], List[int]]:
    """One conversation of `turns` turns: ms per turn (wall, CPU) and the turns calling an action."""
    wall: List[float] = []
    cpu: List[float] = []
    action_turns: List[int] = []
    for i in range(turns):
        calls = ACTION_CALLS[0]
        start, start_cpu = time.perf_counter(), time.process_time()
        replies = await turn(sender, MESSAGES[i % len(MESSAGES)])
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if ACTION_CALLS[0] > calls:
            action_turns.append(i)
        if not any(m.get("text") for m in replies):
            raise RuntimeError(f"turn {i + 1} of {sender} got no answer")
    return wall, cpu, action_turns


async def load_agent(model: Path) -> object:
    from rasa.core.agent import load_agent as rasa_load_agent
    from rasa.core.utils import AvailableEndpoints

    endpoints = AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / "endpoints.yml"))
    return await rasa_load_agent(model_path=str(model), endpoints=endpoints)


async def profile(args: argparse.Namespace) -> Dict[str, Arm]:
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # as `rasa run --quiet`: no line per turn to print
    count_action_calls()
    phases = Phases() if args.phases else None
    if phases:
        phases.wrap_turn_parts()
    agent = await load_agent(args.model)
    turn = await rest_turn(agent) if args.rest else agent_turn(agent)
    toggles = switches()
    for name in args.off:
        toggles[name][1](agent)
    arms = {True: Arm(f"{args.ab} on" if args.ab else "as configured"), False: Arm(f"{args.ab} off")}
    for i in range(args.warmup):
        await converse(turn, f"warmup-{i}", min(args.turns, len(MESSAGES)))
    if phases:
        phases.seconds.clear()
    profiler = cProfile.Profile() if args.profile else None
    for i, on in enumerate(order(args.conversations) if args.ab else [True] * args.conversations):
        if args.ab:
            toggles[args.ab][0 if on else 1](agent)
        if profiler:
            profiler.enable()
        wall, cpu, action_turns = await converse(turn, f"profile-{i}-{'on' if on else 'off'}", args.turns)
        if profiler:
            profiler.disable()
        arms[on].wall.append(wall)
        arms[on].cpu.append(cpu)
        arms[on].action_turns.append(action_turns)
    if profiler:
        profiler.dump_stats(args.profile)
    if phases:
        cpu = [t for arm in arms.values() for run in arm.cpu for t in run]
        print(phases.report(len(cpu), sum(cpu) / 1000))
    return {arm.name: arm for arm in arms.values() if arm.wall}


def report(arms: Dict[str, Arm], turns: int) -> str:
    """Per arm: turn 1, the last turn, growth per earlier turn, p50 and mean of turns 2..M, p50
    of the turns calling the action server; with two arms, the ratio of each figure."""
    keys = ("first", "last", "slope", "p50", "mean", "action")
    lines = []
    for kind in ("wall", "cpu"):
        lines.append(f"{kind + ' ms':18} {'turn 1':>8} {'turn ' + str(turns):>8} {'growth':>8} "
                     f"{'p50':>8} {'mean':>8} {'action':>8}")
        figures = {name: arm.figures(kind) for name, arm in arms.items()}
        for name, f in figures.items():
            lines.append(f"  {name:16}" + "".join(f"{f[k]:9.2f}" if k == "slope" else f"{f[k]:9.1f}"
                                                  for k in keys))
        if len(figures) == 2:
            on, off = figures.values()
            lines.append(f"  {'ratio on/off':16}" + "".join(
                f"{on[k] / off[k]:9.2f}" if off[k] else f"{'n/a':>9}" for k in keys))
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> None:
    names = ", ".join(switches())
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=f"optimisations: {names}")
    parser.add_argument("--model", type=Path, default=MODELS_DIR / "assistant.tar.gz")
    parser.add_argument("--conversations", type=int, default=8, help="measured conversations (default 8)")
    parser.add_argument("--turns", type=int, default=50, help="turns per conversation (default 50)")
    parser.add_argument("--warmup", type=int, default=1, help="conversations before measuring (default 1)")
    parser.add_argument("--ab", metavar="NAME", help="alternate conversations with NAME on and off")
    parser.add_argument("--off", metavar="NAME", action="append", default=[], help="NAME off for the run")
    parser.add_argument("--rest", action="store_true",
                        help="each turn a POST to the REST channel of the server's Sanic app (over ASGI)")
    parser.add_argument("--phases", action="store_true", help="print the CPU time per turn of each part of a turn")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the measured turns")
    args = parser.parse_args(argv)
    quiet_warnings()
    for name in [*args.off, *([args.ab] if args.ab else [])]:
        if name not in switches():
            parser.error(f"unknown optimisation {name!r}; known: {names}")
    with tempfile.TemporaryDirectory(prefix="turn-profile-") as tmp:
        # As make bench: the per-sender rate limit lifted (this loop is the flood it stops).
        settings = replace(isolated_settings(Path(tmp)), messages_per_minute=10**6)
        servers = Servers(settings, log_dir=Path(tmp) / "logs")
        try:
            servers.start_action_server()  # only the action server: Rasa runs here, in this process
            os.environ.update(rasa_env(settings))  # DATABASE_URL, ACTION_SERVER_URL and its token
            arms = asyncio.run(profile(args))
        finally:
            servers.stop()
    print(report(arms, args.turns))


if __name__ == "__main__":
    main()
