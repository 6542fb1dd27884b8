"""Starts the action server and the Rasa server together, the way `make run` and the tests do.

One place knows the command lines, the environment they need and how to stop them cleanly,
so the integration tests exercise exactly what a developer runs.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import urlparse

from bot.settings import PROJECT_ROOT, Settings, load

MODELS_DIR = PROJECT_ROOT / "models"

# Patient data must not leave the machine, and a closed network must not slow start-up.
QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONUNBUFFERED": "1",
    # Libraries' deprecation notices say nothing to someone running the bot.
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
}


def rasa_env(settings: Settings) -> Dict[str, str]:
    """Environment for the servers and any `rasa` command: the settings, and endpoints.yml's variables."""
    env = {**os.environ, **QUIET_ENV, **{k: v for k, v in settings.as_env().items() if v}}
    env.setdefault("PYTHONPATH", str(PROJECT_ROOT))
    return env


def action_port(settings: Settings) -> int:
    return urlparse(settings.action_server_url).port or 5055


def rasa_command() -> List[str]:
    """Rasa's command line, started through bot/tooling/quiet.py (libraries' notices ignored)."""
    return [sys.executable, "-m", "bot.tooling.quiet", "rasa"]


def log_dir(settings: Settings) -> Path:
    """Where the dev commands keep what they do not print (training, the shell's servers)."""
    return Path(settings.var_dir) / "logs"


def action_server_command(settings: Settings) -> List[str]:
    # rasa_sdk alone: no TensorFlow import, a small fast process (its notices ignored, bot/tooling/quiet.py).
    return [sys.executable, "-m", "bot.tooling.quiet", "rasa_sdk", "--actions", "actions",
            "--port", str(action_port(settings))]


def api_token(settings: Settings) -> str:
    """The token for Rasa's HTTP API: RASA_API_TOKEN, or one kept (0600) in var/ for this machine."""
    if settings.rasa_api_token:
        return settings.rasa_api_token
    path = settings.var_dir / "rasa-api-token"
    if not path.exists():
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def rasa_server_command(settings: Settings, model: Optional[Path] = None) -> List[str]:
    # The API is on only for `python -m bot reload`, and only with the token.
    return [
        *rasa_command(), "run",
        "--model", str(model or MODELS_DIR),
        "--endpoints", "endpoints.yml",
        "--credentials", "credentials.yml",
        "--port", str(settings.rasa_port),
        "--enable-api", f"--auth-token={api_token(settings)}",  # a token may start with "-"
    ]


def demo_site_command(settings: Settings) -> List[str]:
    """The demo clinic page with the widget (bot/tooling/demo_site.py), talking to this Rasa server."""
    return [sys.executable, "-m", "bot.tooling.demo_site", "--port", str(settings.demo_site_port),
            "--rasa-url", f"http://localhost:{settings.rasa_port}"]


def reload_model(settings: Settings, model: Path) -> None:
    """Swaps the running Rasa server's model without a restart (PUT /model)."""
    body = json.dumps({"model_file": str(model.resolve())}).encode()
    url = f"http://localhost:{settings.rasa_port}/model?token={api_token(settings)}"
    request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        if response.status != 204:
            raise RuntimeError(f"the Rasa server refused the model: HTTP {response.status}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def require_free(port: int, what: str) -> None:
    """Fail clearly when another process has the port: the health check would otherwise ask
    that process, and the new server's own "address already in use" would go unseen."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} for the {what} is in use (is `make run` running?)")


def isolated_settings(var_dir: Path, base: Optional[Settings] = None) -> Settings:
    """Settings for a throwaway run (tests, benchmarks): own ports, own SQLite under var_dir."""
    return replace(
        base or load(), var_dir=var_dir, database_url=f"sqlite:///{var_dir / 'assistant.db'}",
        rasa_port=free_port(), action_server_url=f"http://localhost:{free_port()}/webhook",
        demo_site_port=free_port(),
    )


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 180.0) -> None:
    """Polls `url` until it answers; fails fast if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            command = process.args if isinstance(process.args, list) else [process.args]
            raise RuntimeError(f"{' '.join(map(str, command[:3]))} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


class Servers:
    """The action server and the Rasa server as child processes."""

    def __init__(self, settings: Settings, model: Optional[Path] = None, log_dir: Optional[Path] = None):
        self.settings = settings
        self.model = model
        self.log_dir = log_dir
        self.processes: Dict[str, subprocess.Popen] = {}

    @property
    def rasa_url(self) -> str:
        return f"http://localhost:{self.settings.rasa_port}"

    @property
    def demo_url(self) -> str:
        return f"http://localhost:{self.settings.demo_site_port}"

    @property
    def action_url(self) -> str:
        return f"http://localhost:{action_port(self.settings)}"

    def say(self, sender: str, message: str) -> List[Dict]:
        """One patient turn over the REST channel; returns the bot's messages."""
        body = json.dumps({"sender": sender, "message": message}).encode()
        url = f"{self.rasa_url}/webhooks/rest/webhook"
        with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=30) as response:
            return json.loads(response.read())

    def ask(self, sender: str, message: str) -> str:
        """The text of the bot's answer to one turn."""
        return "\n".join(reply.get("text", "") for reply in self.say(sender, message))

    def _spawn(self, name: str, command: List[str]) -> subprocess.Popen:
        out = None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab")
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=rasa_env(self.settings),
            stdout=out, stderr=subprocess.STDOUT if out else None, start_new_session=True,
        )
        self.processes[name] = process
        return process

    def start_action_server(self) -> None:
        require_free(action_port(self.settings), "action server")
        process = self._spawn("action-server", action_server_command(self.settings))
        wait_until_up(f"{self.action_url}/health", process)

    def stop_action_server(self) -> None:
        self._stop("action-server")

    def start_rasa(self) -> None:
        require_free(self.settings.rasa_port, "Rasa server")
        rasa = self._spawn("rasa", rasa_server_command(self.settings, self.model))
        wait_until_up(f"{self.rasa_url}/", rasa)

    def stop_rasa(self) -> None:
        self._stop("rasa")

    def start_demo_site(self) -> None:
        """The demo clinic page with the chat widget (`make run`, the browser tests)."""
        require_free(self.settings.demo_site_port, "demo page")
        process = self._spawn("demo-site", demo_site_command(self.settings))
        wait_until_up(f"{self.demo_url}/", process, timeout=30)

    def start(self) -> "Servers":
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        require_free(self.settings.rasa_port, "Rasa server")
        self.start_action_server()
        self.start_rasa()
        return self

    def _stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        for name in list(self.processes):
            self._stop(name)

    def __enter__(self) -> "Servers":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
