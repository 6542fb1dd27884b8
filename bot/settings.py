"""Every setting of the assistant, declared once: its field, environment variable, default,
parser, whether it is secret, and what it is for.

`load()` reads them from the environment, `Settings.as_env()` hands them to child processes,
and `.env.example` and the README's settings table are generated from the same declarations
(`python -m bot settings --env-example`, `--markdown`; tests/unit/test_settings.py checks both
are current). Defaults run the bot on a laptop with no server (SQLite under var/, in-memory locks).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

from bot.phone import check_clinic_number, tel_uri

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _whole_number(env: str) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            return int(raw)
        except ValueError as exc:
            raise ValueError(f"{env} must be a whole number, got {raw!r}") from exc
    return parse


def setting(env: str, default: Any, about: str, parse: Callable[[str], Any] = str,
            secret: bool = False, example: str = "") -> Any:
    """A dataclass field that knows its environment variable; `example` goes in .env.example."""
    meta = {"env": env, "about": about, "parse": parse, "secret": secret, "example": example}
    return field(default=default, repr=not secret, metadata=meta)


@dataclass(frozen=True)
class Settings:
    clinic_name: str = setting("CLINIC_NAME", "the clinic", "how answers name the clinic")
    clinic_phone: str = setting("CLINIC_PHONE", "844-288-7474",
                                "the clinic's general line, which answers give (format `NNN-NNN-NNNN`)")
    surgeon_office_phone: str = setting(
        "SURGEON_OFFICE_PHONE", "", "the surgeon's office line the urgent advice gives; "
        "empty: `CLINIC_PHONE`", example="844-288-7475")
    after_hours_phone: str = setting(
        "AFTER_HOURS_PHONE", "", "the after-hours line for urgent problems when the office is "
        "closed; empty: the urgent advice says urgent care or the emergency department",
        example="844-288-7476")
    var_dir: Path = setting("BOT_VAR_DIR", PROJECT_ROOT / "var",
                            "where local data lives (SQLite database, API token)", parse=Path)
    database_url: str = setting(
        "DATABASE_URL", "", "conversations and the project's tables; empty: SQLite in "
        "`BOT_VAR_DIR`; `postgresql://...` in production", secret=True,
        example="postgresql://bot:secret@127.0.0.1:5432/assistant")
    lock_store_url: str = setting("LOCK_STORE_URL", "", "empty: in-memory locks (one process); "
                                  "`redis://host:6379/0` when several Rasa replicas run",
                                  example="redis://127.0.0.1:6379/0")
    action_server_url: str = setting("ACTION_SERVER_URL", "http://localhost:5055/webhook",
                                     "where Rasa reaches the custom actions")
    rasa_port: int = setting("RASA_PORT", 5005, "the Rasa server's port",
                             parse=_whole_number("RASA_PORT"))
    rasa_api_token: str = setting("RASA_API_TOKEN", "", "protects Rasa's HTTP API (used by "
                                  "`make reload`); empty: one is made per machine in `BOT_VAR_DIR`",
                                  secret=True)
    sender_hash_key: str = setting("SENDER_HASH_KEY", "dev-only-not-secret",
                                   "secret key for hashing sender ids; set a long random one "
                                   "in production", secret=True)
    retention_days: int = setting("RETENTION_DAYS", 90, "how long conversations, escalations, "
                                  "callbacks and recovery data (surgery date, pain diary) are kept "
                                  "(`python -m bot purge`)",
                                  parse=_whole_number("RETENTION_DAYS"))

    def __post_init__(self) -> None:
        check_clinic_number(self.clinic_phone, "CLINIC_PHONE")
        if not self.surgeon_office_phone:
            object.__setattr__(self, "surgeon_office_phone", self.clinic_phone)
        check_clinic_number(self.surgeon_office_phone, "SURGEON_OFFICE_PHONE")
        if self.after_hours_phone:
            check_clinic_number(self.after_hours_phone, "AFTER_HOURS_PHONE")
        if not self.database_url:  # derived, so a var_dir set alone moves the database too
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.var_dir) / 'assistant.db'}")

    def as_env(self) -> Dict[str, str]:
        """These settings as the environment variables `load` reads, for child processes."""
        return {spec.metadata["env"]: str(getattr(self, spec.name)) for spec in fields(self)}

    @property
    def tel_uri(self) -> str:
        return tel_uri(self.clinic_phone)


def declarations() -> Iterator[Tuple[str, Any, Dict[str, Any]]]:
    """(environment variable, default, metadata) of every setting, in declaration order."""
    for spec in fields(Settings):
        yield spec.metadata["env"], spec.default, dict(spec.metadata)


def load() -> Settings:
    """Read the settings from the environment (call again after changing it). An empty
    variable counts as unset; a malformed one raises ValueError naming the variable."""
    values = {}
    for spec in fields(Settings):
        raw = os.environ.get(spec.metadata["env"], "").strip()
        if raw:
            values[spec.name] = spec.metadata["parse"](raw)
    return Settings(**values)


def _shown_default(default: Any) -> str:
    if isinstance(default, Path):
        return f"{default.relative_to(PROJECT_ROOT)}/" if default.is_relative_to(PROJECT_ROOT) else str(default)
    return str(default)


def env_example() -> str:
    """The text of .env.example."""
    lines = ["# Generated by `python -m bot settings --env-example` from bot/settings.py: edit there.",
             "# Copy to .env (never commit it) or set these in the service's environment.",
             "# Every one is optional: the defaults run the bot on a laptop with no server."]
    for env, default, meta in declarations():
        lines.append(f"# {meta['about'].replace('`', '')}" + (" (secret)" if meta["secret"] else ""))
        value = meta["example"] or ("" if meta["secret"] else _shown_default(default))
        lines.append(f"# {env}={value}")
    return "\n".join(lines) + "\n"


def markdown_table() -> str:
    """The README's settings table."""
    rows: List[str] = ["| variable | default | |", "| --- | --- | --- |"]
    for env, default, meta in declarations():
        shown = f"`{_shown_default(default)}`" if _shown_default(default) else "empty"
        rows.append(f"| `{env}` | {shown} | {meta['about']}{' (secret)' if meta['secret'] else ''} |")
    return "\n".join(rows) + "\n"
