"""`python -m bot ...`: run the assistant, chat in the terminal, and the staff commands."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from typing import List, Optional

from bot import settings as bot_settings
from bot import staff
from bot.tooling.servers import MODELS_DIR, Servers, rasa_bin, rasa_env, reload_model

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
    """Terminal chat; the action server runs alongside for custom actions."""
    servers = Servers(settings)
    try:
        servers.start_action_server()
        command = [rasa_bin(), "shell", "--model", str(MODELS_DIR), "--endpoints", "endpoints.yml"]
        return subprocess.call(command, env=rasa_env(settings))
    except KeyboardInterrupt:
        return 0
    finally:
        servers.stop()


def reload(args: argparse.Namespace, settings: bot_settings.Settings) -> int:
    """Content edit to running bot: retrain what changed (Rasa caches the rest), then swap the model."""
    started = time.monotonic()
    command = [rasa_bin(), "train", "--fixed-model-name", "assistant", "--out", str(MODELS_DIR)]
    if subprocess.call(command, env=rasa_env(settings)) != 0:
        return 1
    trained = time.monotonic()
    reload_model(settings, MODELS_DIR / "assistant.tar.gz")
    done = time.monotonic()
    print(f"trained in {trained - started:.1f}s, reloaded in {done - trained:.1f}s: "
          f"the edit reached the running bot {done - started:.1f}s after `make reload`.")
    return 0


def rasa(args: argparse.Namespace, settings: bot_settings.Settings) -> int:
    """Any rasa command with the project's environment (used by the Makefile)."""
    os.execve(rasa_bin(), [rasa_bin(), *args.rasa_args], rasa_env(settings))
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
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args, bot_settings.load())
