"""The reference: the bot `rasa init` makes, trained here with the project's Python and Rasa.

Its project is copied from the scaffold `rasa init` itself copies (rasa/cli/initial_project in the
installed Rasa; nothing is downloaded). The trained model is kept outside git, in
var/bench/reference-<rasa version>.tar.gz with the training's time beside it, and reused until
--retrain-reference. It is served as `rasa init` leaves it: REST, the in-memory tracker store, no
action server (its domain has no custom action).
"""
from __future__ import annotations

import importlib.util
import os
import json
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.tooling.servers import QUIET_ENV, free_port, wait_until_up

STARTUP_TIMEOUT_S = 600.0


def scaffold() -> Path:
    """The folder `rasa init` copies into a new project."""
    spec = importlib.util.find_spec("rasa")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("Rasa is not installed in this Python")
    return Path(list(spec.submodule_search_locations)[0]) / "cli" / "initial_project"


def make_project(into: Path) -> Path:
    """A fresh `rasa init` project in `into` (what `rasa init --no-prompt` writes, without training)."""
    shutil.copytree(scaffold(), into, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def env(cache: Path) -> Dict[str, str]:
    """The project's Python and quiet settings; Rasa's training cache in `cache`, empty at first."""
    return {**os.environ, **QUIET_ENV, "RASA_CACHE_DIRECTORY": str(cache)}


def rasa(*args: str) -> List[str]:
    """Plain Rasa, as `rasa init`'s user runs it: none of the project's start-up code (bot/tooling/quiet.py
    and what it loads) touches the reference."""
    return [sys.executable, "-m", "rasa", *args]


def cached_model(var_dir: Path) -> Path:
    return var_dir / "bench" / f"reference-{version('rasa')}.tar.gz"


def trained(var_dir: Path, work: Path, log: Path, retrain: bool = False) -> Dict[str, Any]:
    """The reference model (trained now if not cached or `retrain`): {"model", "train_s", "trained_at"}."""
    model = cached_model(var_dir.resolve())
    about = model.parent / f"{model.name[:-len('.tar.gz')]}.json"
    if model.exists() and about.exists() and not retrain:
        return {**json.loads(about.read_text()), "model": str(model), "trained_now": False}
    project = make_project(work / "reference-training")
    model.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("wb") as output:
        code = subprocess.call(rasa("train", "--fixed-model-name", "reference", "--out", "models"),
                               cwd=project, env=env(project / ".rasa" / "cache"),
                               stdout=output, stderr=subprocess.STDOUT)
    if code != 0 or not (project / "models" / "reference.tar.gz").exists():
        raise RuntimeError(f"training the reference bot failed: see {log}")
    shutil.move(project / "models" / "reference.tar.gz", model)  # Rasa cuts a name's "version" at a dot
    facts = {"train_s": round(time.perf_counter() - started, 1),
             "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    about.write_text(json.dumps(facts) + "\n")
    return {**facts, "model": str(model), "trained_now": True}


class ReferenceServer:
    """`rasa run` of the reference model in a fresh `rasa init` project, on a free port."""

    def __init__(self, model: Path, work: Path, log: Path):
        self.model, self.project, self.log = model, work / "reference", log
        self.port = free_port()
        self.process: Optional[subprocess.Popen] = None
        self.startup_s = float("nan")

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/rest/webhook"

    def __enter__(self) -> "ReferenceServer":
        if not self.project.exists():
            make_project(self.project)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                rasa("run", "--model", str(self.model), "--port", str(self.port), "--interface", "127.0.0.1"),
                cwd=self.project, env=env(self.project / ".rasa" / "cache"), stdout=output,
                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            # Its TensorFlow models took 2.5 minutes to load on the busy shared machine.
            wait_until_up(f"http://127.0.0.1:{self.port}/", self.process, timeout=STARTUP_TIMEOUT_S)
        except BaseException:
            self.__exit__()
            raise
        self.startup_s = round(time.perf_counter() - started, 1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
