"""`rasa train` for `make train` and `make reload`: Rasa's output to a log, a short summary on screen.

Rasa caches every trained component by the fingerprint of its inputs and retrains only those
whose inputs changed (docs/CONTENT.md, "The fast loop", says what that means for each kind of
edit). The summary says which were retrained, how long each took, and which came from the
cache; the full output goes to var/logs/train.log and is printed when training fails.
"""
from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Tuple

from bot.settings import PROJECT_ROOT, Settings
from bot.tooling.servers import MODELS_DIR, log_dir, rasa_command, rasa_env

MODEL_NAME = "assistant"
_STAMP = r"(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) +\w+ +rasa\.engine\.training\.hooks +- "
STARTED = re.compile(_STAMP + r"Starting to train component '(?P<name>[^']+)'", re.MULTILINE)
FINISHED = re.compile(_STAMP + r"Finished training component '(?P<name>[^']+)'", re.MULTILINE)
RESTORED = re.compile(_STAMP + r"Restored component '(?P<name>[^']+)' from cache", re.MULTILINE)
# Output that is never the reason for a failure: tqdm progress bars, libraries' notices.
NOISE = re.compile(r"it/s\]|s/it\]|\d+%\|.*\||Warning: |^\s*(warnings\.warn|from |import )")


@dataclass
class Training:
    code: int
    seconds: float
    log: Path
    trained: Dict[str, float] = field(default_factory=dict)  # component -> seconds (whole seconds)
    cached: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.code == 0

    def summary(self) -> str:
        def seconds(value: float) -> str:
            return "<1 s" if value < 1 else f"{value:.0f} s"

        trained = ", ".join(f"{name} {seconds(s)}" for name, s in self.trained.items()) or "nothing"
        cached = ", ".join(self.cached) or "nothing"
        return f"trained in {self.seconds:.1f}s: retrained {trained}; from Rasa's cache: {cached}"

    def failure(self) -> str:
        """The log without progress bars and notices, for a failed training."""
        lines = self.log.read_text(encoding="utf-8", errors="replace").replace("\r", "\n").splitlines()
        kept = [line for line in lines if line.strip() and not NOISE.search(line)]
        return "\n".join(kept + [f"training failed (exit {self.code}); the full output is in {self.log}"])


def read_log(text: str) -> Tuple[Dict[str, float], List[str]]:
    """(trained component -> seconds, components restored from Rasa's cache)."""
    def at(match: "re.Match[str]") -> datetime:
        return datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S")

    starts = [(m["name"], at(m)) for m in STARTED.finditer(text)]
    ends = [(m["name"], at(m)) for m in FINISHED.finditer(text)]
    trained: Dict[str, float] = {}
    for (name, start), (_, end) in zip(starts, ends, strict=False):  # one at a time; a failure: no end
        count = sum(n == name or n.startswith(f"{name} #") for n in trained)
        trained[f"{name} #{count + 1}" if count else name] = (end - start).total_seconds()
    cached = [m["name"] for m in RESTORED.finditer(text)]
    return trained, cached


def train(settings: Settings, skip_validation: bool = False) -> Training:
    """Trains models/assistant.tar.gz (Rasa reuses what it can), its output in var/logs/train.log."""
    logs = log_dir(settings)
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / "train.log"
    command = [*rasa_command(), "train", "--fixed-model-name", MODEL_NAME, "--out", str(MODELS_DIR)]
    if skip_validation:
        command.append("--skip-validation")  # `make validate` is the step for that
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as output:
        code = subprocess.call(command, cwd=PROJECT_ROOT, env=rasa_env(settings), stdout=output,
                               stderr=subprocess.STDOUT)
    seconds = time.monotonic() - started
    trained, cached = read_log(log.read_text(encoding="utf-8", errors="replace"))
    return Training(code, seconds, log, trained, cached)
