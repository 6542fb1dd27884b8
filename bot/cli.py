"""`python -m bot ...`: run the assistant, chat in the terminal, and the staff commands."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from typing import List, Optional

from bot import settings as bot_settings
from bot import staff
from bot.inbox import commands as inbox_commands
from bot.tooling import training
from bot.tooling.servers import (MODELS_DIR, Servers, free_port, log_dir, rasa_command, rasa_env,
                                 reload_model)

HOW_TO_CHAT = """
The assistant is up on {url} (REST channel). Try:

  curl -s -XPOST {url}/webhooks/rest/webhook -d '{{"sender":"me","message":"how long will my leg hurt?"}}'

or chat in the terminal with: make shell.   Ctrl-C stops both servers.
"""


def run(args: argparse.Namespace, settings: bot_settings.Settings) -> int:
    servers = Servers(settings)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        servers.start()
        print(HOW_TO_CHAT.format(url=servers.rasa_url), flush=True)
        while all(p.poll() is None for p in servers.processes.values()):
            time.sleep(1)
        print("A server stopped unexpectedly; stopping the other.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        servers.stop()
    return 0


def shell(args: argparse.Namespace, settings: bot_settings.Settings) -> int:
    """Terminal chat. Its own free ports, so it also works while `make run` is up; the servers'
    logs go to var/logs/, never between a patient's message and the answer."""
    settings = replace(settings, rasa_port=free_port(), action_server_url=f"http://localhost:{free_port()}/webhook")
    logs = log_dir(settings)
    servers = Servers(settings, log_dir=logs)
    log = logs / "shell.log"
    try:
        print("Starting the assistant (about half a minute)...", flush=True)
        servers.start_action_server()
        # --quiet: the Rasa server logs warnings only, to the screen and to the log.
        command = [*rasa_command(), "shell", "--model", str(MODELS_DIR), "--endpoints", "endpoints.yml",
                   "--port", str(settings.rasa_port), "--quiet", "--log-file", str(log)]
        started = log.stat().st_size if log.exists() else 0
        code = subprocess.call(command, env=rasa_env(settings))
        if code != 0:  # what went wrong, from the log
            with log.open(encoding="utf-8", errors="replace") as handle:
                handle.seek(started)
                print(handle.read().rstrip(), file=sys.stderr)
        print(f"(logs: {log} and {logs / 'action-server.log'})")
        return code
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:
        print(f"The assistant did not start: {error}. See {logs / 'action-server.log'}.", file=sys.stderr)
        return 1
    finally:
        servers.stop()


def train(args: argparse.Namespace, settings: bot_settings.Settings) -> int:
    """Rasa's training, quietly: a summary of what was retrained and what came from the cache."""
    result = training.train(settings)
    print(result.summary() if result.ok else result.failure(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def reload(args: argparse.Namespace, settings: bot_settings.Settings) -> int:
    """Content edit to running bot: retrain what changed (Rasa caches the rest), then swap the model.

    Rasa's own pre-training validation is skipped: `make validate` is that step, and runs more."""
    started = time.monotonic()
    result = training.train(settings, skip_validation=True)
    if not result.ok:
        print(result.failure(), file=sys.stderr)
        print("The running bot keeps its model.", file=sys.stderr)
        return 1
    print(result.summary())
    trained = time.monotonic()
    try:
        reload_model(settings, MODELS_DIR / f"{training.MODEL_NAME}.tar.gz")
    except OSError as error:
        print(f"The model is trained, but no bot answered on port {settings.rasa_port} ({error}): "
              "`make run` starts one with it.", file=sys.stderr)
        return 1
    done = time.monotonic()
    print(f"reloaded in {done - trained:.1f}s: the edit reached the running bot {done - started:.1f}s after "
          "`make reload`.")
    return 0


def rasa(args: argparse.Namespace, settings: bot_settings.Settings) -> int:
    """Any rasa command with the project's environment (used by the tests and the benchmark)."""
    command = rasa_command()
    os.execve(command[0], [*command, *args.rasa_args], rasa_env(settings))
    return 1  # not reached


def show_settings(args: argparse.Namespace, settings: bot_settings.Settings) -> int:
    """The settings' declarations as .env.example or as the README's table (never their values)."""
    print(bot_settings.env_example() if args.env_example else bot_settings.markdown_table(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the action server and the Rasa server").set_defaults(handler=run)
    commands.add_parser("shell", help="chat with the assistant in the terminal").set_defaults(handler=shell)
    commands.add_parser("train", help="train the model (Rasa reuses what did not change); a summary, "
                        "the log in var/logs/train.log").set_defaults(handler=train)
    commands.add_parser("reload", help="retrain and load the new model into the running bot").set_defaults(
        handler=reload)
    rasa_parser = commands.add_parser("rasa", help="run a rasa command with the project's environment")
    rasa_parser.add_argument("rasa_args", nargs=argparse.REMAINDER)
    rasa_parser.set_defaults(handler=rasa)
    settings_parser = commands.add_parser("settings", help="print the declared settings (no values)")
    shown = settings_parser.add_mutually_exclusive_group(required=True)
    shown.add_argument("--env-example", action="store_true", help="as .env.example")
    shown.add_argument("--markdown", action="store_true", help="as the README's table")
    settings_parser.set_defaults(handler=show_settings)
    staff.add_commands(commands)
    inbox_commands.add_commands(commands)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args, bot_settings.load())
