"""Starts the action server and the Rasa server together, the way `make run` and the tests do.

One place knows the command lines, the environment they need and how to stop them cleanly,
so the integration tests exercise exactly what a developer runs.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Dict, Iterator, List, Optional
from urllib.parse import urlparse

from bot.machine_secrets import action_token, api_token
from bot.settings import PROJECT_ROOT, Settings, load

MODELS_DIR = PROJECT_ROOT / "models"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

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
    env["ACTION_SERVER_TOKEN"] = action_token(settings)  # endpoints.yml sends it; the action server checks it
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
    # rasa_sdk alone: no TensorFlow import, a small fast process (its notices ignored, bot/tooling/quiet.py);
    # bot/action_server.py adds the shared secret, quiet errors, BIND_HOST and the outbox.
    return [sys.executable, "-m", "bot.tooling.quiet", "bot.action_server", "--actions", "actions",
            "--port", str(action_port(settings))]


def rasa_server_command(settings: Settings, model: Optional[Path] = None) -> List[str]:
    # The API is on only for `python -m bot reload`, and only with the token.
    return [
        *rasa_command(), "run",
        "--model", str(model or MODELS_DIR),
        "--endpoints", "endpoints.yml",
        "--credentials", "credentials.yml",
        "--port", str(settings.rasa_port),
        "--interface", settings.bind_host,
        "--enable-api", f"--auth-token={api_token(settings)}",  # a token may start with "-"
        # Rasa's CORS: only these origins (none by default) may call it from a browser.
        *(["--cors", *settings.rest_cors_origins] if settings.rest_cors_origins else []),
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


def die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the launcher dies, however it dies (SIGKILL
    included; Linux's PR_SET_PDEATHSIG), so no server outlives `make run` or `make shell`
    holding its port. The children have their own session (a Ctrl-C reaches the launcher
    only, which stops them in order); this is the guard for when it cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the launcher's own signal handling remains
        return
    if os.getppid() == 1:  # the launcher died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


class Stopped(KeyboardInterrupt):
    """The launcher was told to stop (SIGTERM from a supervisor, SIGHUP from a closed terminal)."""


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP end the launcher the way Ctrl-C does, so its `finally` stops the servers."""
    def handler(signum: int, _frame: object) -> None:
        raise Stopped(signal.Signals(signum).name)

    for signum in STOP_SIGNALS[:2]:
        signal.signal(signum, handler)


@contextmanager
def signals_held() -> Iterator[None]:
    """Ignore the stop signals meanwhile (main thread only: elsewhere signals cannot arrive)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


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
            preexec_fn=die_with_parent,
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
        """Stop every server, Rasa first (it calls the action server); a second signal while
        stopping must not cut this short, or a server would be left holding its port."""
        with signals_held():
            for name in sorted(self.processes, key=lambda n: n != "rasa"):
                self._stop(name)

    def __enter__(self) -> "Servers":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
