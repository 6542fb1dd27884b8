"""The clients: patients (or the reference bot's users) posting to a Rasa server's REST channel."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import aiohttp

from bot.tooling.bench.stats import Run, percentile, ratio, slope

# What patients type, in their own words: "N weeks out" runs a custom action (the recovery stage),
# the bladder message is an emergency red flag (the detector, then the escalation's custom action).
MESSAGES = [
    "hi", "hello there", "is it normal that my leg still hurts after microdiscectomy?",
    "im 3 weeks out is this normal", "why does my leg hurt after the surgery?",
    "how long will the leg pain last?", "can i drive?", "ice or heat?",
    "what can I take for the pain?", "should i do physical therapy", "when can I lift things?",
    "is it ok to sit for long?", "it's been 8 weeks and my leg still hurts",
    "could the disc herniate again?", "what is a barricaid?", "when should i call a doctor",
    "what is a microdiscectomy exactly", "i dont have a fever but my bladder leaks", "my nerve is healing?",
    "is it inflammation", "2 days after surgery and my calf burns", "how do I reach the clinic",
    "what habits help recovery", "are you a bot?", "help", "thanks", "thank you so much",
    "what's the weather like", "bye", "the pain is worse than before surgery, was it misdiagnosed?",
]
# The `rasa init` bot's own conversations (its data/stories.yml and rules.yml), ten turns a sender.
REFERENCE_MESSAGES = [
    "hello", "I am feeling great", "hi", "I am sad", "yes", "hey there", "I am very sad", "no",
    "are you a bot?", "bye",
]
TURNS_PER_SENDER = 10  # a new conversation (sender id) every 10 turns keeps trackers realistic
CLIENTS = 10
TIMEOUT = aiohttp.ClientTimeout(total=30)


@dataclass(frozen=True)
class Bot:
    """A Rasa server under test and what its users say."""

    name: str  # "project" or "reference"
    url: str  # its REST webhook
    messages: Sequence[str]
    must_answer: bool  # an empty reply is an error (the project); the reference may say nothing

    def message(self, client: str, turn: int) -> Dict[str, str]:
        # Each project client starts at another place in the list; the reference's follow its stories.
        offset = sum(map(ord, client)) if self.name == "project" else 0
        return {"sender": f"{client}-{turn // TURNS_PER_SENDER}",
                "message": self.messages[(offset + turn) % len(self.messages)]}


async def turn(session: aiohttp.ClientSession, bot: Bot, body: Dict[str, str], run: Run) -> Optional[float]:
    """One POST; its seconds when it succeeded, else the failure in run.errors."""
    start = time.perf_counter()
    try:
        async with session.post(bot.url, json=body) as response:
            replies = await response.json(content_type=None) if response.status == 200 else None
            if response.status != 200 or not isinstance(replies, list):
                run.errors.append(f"{bot.name} {body['message']!r}: HTTP {response.status}")
                return None
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        run.errors.append(f"{bot.name} {body['message']!r}: {type(error).__name__} {error}")
        return None
    seconds = time.perf_counter() - start
    if not any(isinstance(r, dict) and r.get("text") for r in replies):
        if bot.must_answer:
            run.errors.append(f"{bot.name} {body['message']!r}: empty reply")
            return None
        run.empty += 1
    run.latencies.append(seconds)
    return seconds


async def client(session: aiohttp.ClientSession, bot: Bot, name: str, turns: int, deadline: float,
                 run: Run) -> None:
    """One user after another: `turns` messages (or until `deadline`), in order."""
    for number in range(turns):
        if time.perf_counter() >= deadline:
            return
        await turn(session, bot, bot.message(name, number), run)


async def concurrent(bot: Bot, tag: str, clients: int, turns: int, seconds: float = 3600.0) -> Run:
    """`clients` users at once, each `turns` turns or until `seconds` have passed."""
    run = Run()
    async with aiohttp.ClientSession(timeout=TIMEOUT, connector=aiohttp.TCPConnector(limit=clients)) as session:
        start = time.perf_counter()
        await asyncio.gather(*(client(session, bot, f"bench-{tag}-{i}", turns, start + seconds, run)
                               for i in range(clients)))
        run.wall = time.perf_counter() - start
    return run


async def paired(bots: Sequence[Bot], turns: int) -> Dict[str, Run]:
    """One client, one turn to each bot in turn (which goes first alternates), so both see the same
    machine: the others' load moves both bots' times, not their ratio."""
    runs = {bot.name: Run() for bot in bots}
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for number in range(turns):
            for bot in (bots if number % 2 == 0 else list(reversed(bots))):
                await turn(session, bot, bot.message("bench-single", number), runs[bot.name])
    return runs


async def long_session(bot: Bot, senders: int, turns: int) -> Dict[str, Any]:
    """Per-turn time at turn 1 and at turn `turns` of one session (median over `senders`, each a
    different message, the same one at both ends), and the growth per earlier turn (least-squares
    slope over turns 2..`turns`; turn 1 also starts the session)."""
    by_turn: List[List[float]] = [[] for _ in range(turns)]
    run = Run()
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for s in range(senders):
            for number in range(turns):
                index = (7 * s + (0 if number == turns - 1 else number)) % len(bot.messages)
                seconds = await turn(session, bot, {"sender": f"bench-long-{s}", "message": bot.messages[index]}, run)
                if seconds is not None:
                    by_turn[number].append(seconds * 1000)
    first, last = percentile(by_turn[0], 50), percentile(by_turn[-1], 50)
    means = [(i + 1, sum(v) / len(v)) for i, v in enumerate(by_turn) if v and i > 0]
    return {"senders": senders, "turns": turns, "first_turn_ms": round(first, 1), "last_turn_ms": round(last, 1),
            "last_over_first": ratio(last, first), "growth_ms_per_turn": round(slope(means), 3),
            "errors": run.errors}
