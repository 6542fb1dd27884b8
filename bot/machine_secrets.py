"""Secrets a single machine can make for itself when the operator set none: kept (0600) under
BOT_VAR_DIR, so the launcher and the servers it starts agree on them without configuration.
Several machines (replicas) must share one: there the setting is required (docs/OPERATIONS.md)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from bot.settings import Settings


def machine_secret(var_dir: Path, name: str) -> str:
    """The secret in var_dir/name, made on first use."""
    path = Path(var_dir) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def api_token(settings: Settings) -> str:
    """The token for Rasa's HTTP API: RASA_API_TOKEN, or this machine's own."""
    return settings.rasa_api_token or machine_secret(settings.var_dir, "rasa-api-token")


def action_token(settings: Settings) -> str:
    """The action server's shared secret: ACTION_SERVER_TOKEN, or this machine's own."""
    return settings.action_server_token or machine_secret(settings.var_dir, "action-server-token")
