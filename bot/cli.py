"""`python -m bot ...`: run the assistant, chat in the terminal, and the staff commands."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import urllib.error
import uuid
from dataclasses import replace
from typing import List, Optional

from bot import settings as bot_settings
from bot import staff
from bot.inbox import commands as inbox_commands
from bot.tooling import training
from bot.tooling.servers import (MODELS_DIR, Servers, free_port, log_dir,
                                 rasa_command, rasa_env, reload_model, stop_on_signals)

HOW_TO_CHAT = """
The assistant is up on {url} (REST and socket.io channels).

  The demo clinic page with the chat widget: {demo}

or over REST:

  curl -s -XPOST {url}/webhooks/rest/webhook -d '{{"sender":"me","message":"how long will my leg hurt?"}}'

or chat in the terminal with: make shell.   Ctrl-C stops the servers.
"""


def run(args: argparse.Namespace, settings: bot_settings.Settings) -> int:
    servers = Servers(settings)
    stop_on_signals()  # SIGTERM (a supervisor), SIGHUP (a closed terminal): as Ctrl-C
    try:
        servers.start()
        servers.start_demo_site()
        print(HOW_TO_CHAT.format(url=servers.rasa_url, demo=servers.demo_url), flush=True)
        while all(p.poll() is None for p in servers.processes.values()):
            time.sleep(1)
        print("A server stopped unexpectedly; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        servers.stop()
    return 0


def shell(args: argparse.Namespace, settings: bot_settings.Settings) -> int:
    """Terminal chat, through the REST channel as any client: Rasa's own `rasa shell` would use
    its plain REST input, which keeps the session's id in the events table unhashed. Its own free
    ports, so it also works while `make run` is up; the servers' logs go to var/logs/, never
    between a patient's message and the answer."""
    from rasa.core.channels import console  # the prompt, with the answers' buttons to pick from

    settings = replace(settings, rasa_port=free_port(), action_server_url=f"http://localhost:{free_port()}/webhook")
    logs = log_dir(settings)
    servers = Servers(settings, log_dir=logs)
    stop_on_signals()  # closing the terminal (SIGHUP) stops the servers too
    try:
        print("Starting the assistant (about half a minute)...", flush=True)
        servers.start()
        asyncio.run(console.record_messages(sender_id=uuid.uuid4().hex, server_url=servers.rasa_url,
                                            use_response_stream=False))
        return 0
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:
        print(f"The assistant did not start: {error}. See {logs}/rasa.log and action-server.log.",
              file=sys.stderr)
        return 1
    finally:
        servers.stop()
        print(f"(logs: {logs / 'rasa.log'} and {logs / 'action-server.log'})")


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
    except urllib.error.HTTPError as error:  # answered, but refused
        why = ("a model with a TensorFlow component needs a restart: bot/without_tensorflow.py"
               if error.code == 400 else "401: RASA_API_TOKEN differs from the running bot's"
               if error.code == 401 else "see its log")
        print(f"The model is trained, but the running bot refused it (HTTP {error.code}) and keeps its "
              f"model ({why}).", file=sys.stderr)
        return 1
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


def register_channel(args: argparse.Namespace, settings: bot_settings.Settings) -> int:
    """Register the webhook with a provider that takes it by API (Telegram); never done at
    start, so the server starts without a network (docs/CHANNELS.md)."""
    import asyncio

    from bot.channels.telegram import register_webhook, webhook_url

    missing = [env for env, value in (("TELEGRAM_BOT_TOKEN", settings.telegram_bot_token),
                                      ("TELEGRAM_WEBHOOK_SECRET", settings.telegram_webhook_secret),
                                      ("PUBLIC_URL", settings.public_url)) if not value]
    if missing:
        print(f"Set {', '.join(missing)} first (docs/CHANNELS.md).", file=sys.stderr)
        return 1
    try:
        info = asyncio.run(register_webhook(settings))
    except Exception as error:  # the provider's answer, without the token in the URL
        print(f"Telegram refused the webhook: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(f"Telegram sends updates to {info.get('url') or webhook_url(settings)} "
          f"({info.get('pending_update_count', 0)} waiting).")
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
    channels = commands.add_parser("channels", help="messaging channels (docs/CHANNELS.md)")
    channel_actions = channels.add_subparsers(dest="channel_command", required=True)
    register = channel_actions.add_parser("register", help="register the webhook with the provider")
    register.add_argument("provider", choices=["telegram"])
    register.set_defaults(handler=register_channel)
    staff.add_commands(commands)
    inbox_commands.add_commands(commands)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = bot_settings.load()
    except ValueError as error:  # a malformed or refused setting: say which, no traceback
        print(f"Settings: {error}", file=sys.stderr)
        return 2
    return args.handler(args, settings)
