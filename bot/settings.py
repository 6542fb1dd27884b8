"""Every setting of the assistant, read from environment variables in this one place.

Defaults work out of the box on a laptop (SQLite under var/, in-memory locks); production
overrides them through the environment (see .env.example).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_PHONE = re.compile(r"^\d{3}-\d{3}-\d{4}$")


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    clinic_name: str = "the clinic"
    # Written exactly as patients should dial it: 3-3-4 digits with hyphens.
    clinic_phone: str = "844-288-7474"
    var_dir: Path = PROJECT_ROOT / "var"
    # One database for Rasa's tracker store and the project's own tables.
    database_url: str = ""
    # Empty: in-memory locks (one process). redis://host:port/db for several replicas.
    lock_store_url: str = ""
    # Where the Rasa server reaches the action server (endpoints.yml reads it).
    action_server_url: str = "http://localhost:5055/webhook"
    rasa_port: int = 5005
    # Protects Rasa's HTTP API (model reload). Empty: `python -m bot run` makes one per run.
    rasa_api_token: str = field(default="", repr=False)
    # Key for hashing sender ids in the project's tables; a secret in production.
    sender_hash_key: str = field(default="dev-only-not-secret", repr=False)
    # How long conversations and escalation records are kept before `python -m bot purge`.
    retention_days: int = 90

    def __post_init__(self) -> None:
        if not _PHONE.match(self.clinic_phone):
            raise ValueError(
                f"CLINIC_PHONE must look like 844-288-7474, got {self.clinic_phone!r}"
            )

    def as_env(self) -> Dict[str, str]:
        """These settings as the environment variables `load` reads, for child processes."""
        return {
            "CLINIC_NAME": self.clinic_name,
            "CLINIC_PHONE": self.clinic_phone,
            "BOT_VAR_DIR": str(self.var_dir),
            "DATABASE_URL": self.database_url,
            "LOCK_STORE_URL": self.lock_store_url,
            "ACTION_SERVER_URL": self.action_server_url,
            "RASA_PORT": str(self.rasa_port),
            "RASA_API_TOKEN": self.rasa_api_token,
            "SENDER_HASH_KEY": self.sender_hash_key,
            "RETENTION_DAYS": str(self.retention_days),
        }

    @property
    def tel_uri(self) -> str:
        return "tel:+1" + self.clinic_phone.replace("-", "")


def load() -> Settings:
    """Read the settings from the environment (call again after changing it)."""
    var_dir = Path(_env("BOT_VAR_DIR", str(PROJECT_ROOT / "var")))
    return Settings(
        clinic_name=_env("CLINIC_NAME", Settings.clinic_name),
        clinic_phone=_env("CLINIC_PHONE", Settings.clinic_phone),
        var_dir=var_dir,
        database_url=_env("DATABASE_URL", f"sqlite:///{var_dir / 'assistant.db'}"),
        lock_store_url=_env("LOCK_STORE_URL", ""),
        action_server_url=_env("ACTION_SERVER_URL", Settings.action_server_url),
        rasa_port=_int("RASA_PORT", Settings.rasa_port),
        rasa_api_token=_env("RASA_API_TOKEN", ""),
        sender_hash_key=_env("SENDER_HASH_KEY", Settings.sender_hash_key),
        retention_days=_int("RETENTION_DAYS", Settings.retention_days),
    )
