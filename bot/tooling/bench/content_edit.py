"""Training from an empty cache and a content edit going live, in a throw-away copy of the project.

The copy (in a temporary folder; the repository's files are never touched) is trained with
`python -m bot train` and Rasa's cache empty, as on a fresh checkout. Its bot is started with
`python -m bot run`, one response text in its domain.yml is edited, and `python -m bot reload`
(what `make reload` runs) puts it live; the clock stops when the running bot answers with the new
text.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict

import yaml

from bot.settings import PROJECT_ROOT
from bot.tooling.servers import QUIET_ENV, free_port, wait_until_up

# Never copied: what is not the project's source (or would be large and is made again).
NOT_COPIED = (".git", ".venv", "node_modules", "models", "var", "reports", "results", ".rasa", "__pycache__",
              ".pytest_cache", ".mypy_cache", ".ruff_cache")
EDITED_RESPONSE, ASKED = "utter_goodbye", "bye"  # the response edited, and a message that gets it
LIVE_TIMEOUT_S = 300.0


def copy_project(into: Path) -> Path:
    shutil.copytree(PROJECT_ROOT, into, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    if (PROJECT_ROOT / "node_modules").exists():  # the demo page `python -m bot run` serves needs it
        (into / "node_modules").symlink_to((PROJECT_ROOT / "node_modules").resolve())
    return into


def edit_response(domain: Path, marker: str) -> str:
    """Appends `marker` to the first text of EDITED_RESPONSE in domain.yml; returns the new text."""
    raw = domain.read_text(encoding="utf-8")
    text = yaml.safe_load(raw)["responses"][EDITED_RESPONSE][0]["text"]
    if raw.count(text) != 1:
        raise RuntimeError(f"cannot edit {EDITED_RESPONSE}: its text is not written once, verbatim, in {domain}")
    edited = f"{text} ({marker})"
    domain.write_text(raw.replace(text, edited), encoding="utf-8")
    return edited


def copy_env(project: Path) -> Dict[str, str]:
    """The copy's own ports, var/ folder, SQLite database and Rasa cache."""
    var = project / "var"
    return {**os.environ, **QUIET_ENV, "PYTHONPATH": str(project), "BOT_VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'assistant.db'}", "RASA_PORT": str(free_port()),
            "ACTION_SERVER_URL": f"http://localhost:{free_port()}/webhook", "DEMO_SITE_PORT": str(free_port()),
            "RASA_CACHE_DIRECTORY": str(project / ".rasa" / "cache")}


def answer(port: str, sender: str, message: str) -> str:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/rest/webhook", data=body)
    with urllib.request.urlopen(request, timeout=30) as response:
        return "\n".join(reply.get("text", "") for reply in json.loads(response.read()))


def live_answer(port: str, sender: str) -> str:
    """The answer to ASKED; empty while the server is busy swapping its model (an error or a timeout)."""
    try:
        return answer(port, sender, ASKED)
    except OSError:
        return ""


def measure(work: Path, logs: Path) -> Dict[str, Any]:
    """{"train_s": training from an empty cache, "reload": {...}, "errors": [...]}."""
    project = copy_project(work / "edited-project")
    env = copy_env(project)
    logs.mkdir(parents=True, exist_ok=True)
    figures: Dict[str, Any] = {"train_s": None, "reload": None, "errors": []}

    def call(*args: str, name: str) -> subprocess.Popen:
        with (logs / f"{name}.log").open("ab") as output:
            return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=project, env=env, stdout=output,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    started = time.perf_counter()
    if call("train", name="project-train").wait() != 0:
        figures["errors"].append(f"training the project from an empty cache failed: see {logs / 'project-train.log'}")
        return figures
    figures["train_s"] = round(time.perf_counter() - started, 1)
    running = call("run", name="edit-run")
    try:
        wait_until_up(f"http://127.0.0.1:{env['RASA_PORT']}/", running, timeout=LIVE_TIMEOUT_S)
        answer(env["RASA_PORT"], "bench-edit-0", ASKED)  # the bot answers before the edit
        marker = f"edited {time.time_ns()}"
        edit_response(project / "domain.yml", marker)
        started = time.perf_counter()
        reload = call("reload", name="edit-reload")
        polls, live = 0, None
        while time.perf_counter() - started < LIVE_TIMEOUT_S and live is None:
            polls += 1
            if marker in live_answer(env["RASA_PORT"], f"bench-edit-{polls}"):
                live = round(time.perf_counter() - started, 1)
            elif reload.poll() not in (None, 0):
                break
            else:
                time.sleep(0.2)
        code = reload.wait(timeout=LIVE_TIMEOUT_S)
        figures["reload"] = {"live_s": live, "command_s": round(time.perf_counter() - started, 1),
                             "exit_code": code, "response": EDITED_RESPONSE}
        if code != 0 or live is None:
            figures["errors"].append(f"the edit did not go live (reload exit {code}): see {logs / 'edit-reload.log'}")
    except (OSError, RuntimeError, TimeoutError, subprocess.TimeoutExpired) as error:
        figures["errors"].append(f"content edit: {type(error).__name__} {error} (see {logs / 'edit-run.log'})")
    finally:
        stop(running)
    return figures


def stop(launcher: subprocess.Popen) -> None:
    """SIGTERM to `python -m bot run`: it stops its servers the way Ctrl-C does."""
    if launcher.poll() is None:
        os.kill(launcher.pid, signal.SIGTERM)
        try:
            launcher.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)  # its servers get SIGTERM from the kernel (die_with_parent)
            launcher.wait()
