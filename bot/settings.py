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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.phone import check_clinic_number, tel_uri

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SENDER_HASH_KEY = "dev-only-not-secret"  # refused with PostgreSQL (see Settings)


def _whole_number(env: str) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            return int(raw)
        except ValueError as exc:
            raise ValueError(f"{env} must be a whole number, got {raw!r}") from exc
    return parse


def _decimal(env: str) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            return float(raw)
        except ValueError as exc:
            raise ValueError(f"{env} must be a number, got {raw!r}") from exc
    return parse


def _yes_no(env: str) -> Callable[[str], bool]:
    def parse(raw: str) -> bool:
        text = raw.strip().lower()
        if text in ("yes", "true", "on", "1"):
            return True
        if text in ("no", "false", "off", "0"):
            return False
        raise ValueError(f"{env} must be yes or no, got {raw!r}")
    return parse


def _timezone(raw: str) -> str:
    """An IANA time zone name (`America/New_York`), checked against the zone database."""
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"CLINIC_TIMEZONE must be an IANA time zone name like America/New_York, "
                         f"got {raw!r}") from exc
    return raw


def setting(env: str, default: Any, about: str, parse: Callable[[str], Any] = str,
            secret: bool = False, example: str = "") -> Any:
    """A dataclass field that knows its environment variable; `example` goes in .env.example."""
    meta = {"env": env, "about": about, "parse": parse, "secret": secret, "example": example}
    return field(default=default, repr=not secret, metadata=meta)


def _origins(text: str) -> List[str]:
    """A comma-separated list of web origins; an origin never ends in "/" (the Origin header
    a browser sends has none), so a trailing one is dropped."""
    return [origin.strip().rstrip("/") for origin in text.split(",") if origin.strip()]


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
    clinic_timezone: str = setting(
        "CLINIC_TIMEZONE", "America/New_York", "the clinic's time zone (IANA name): what \"today\" "
        "is for days since surgery, dates like \"yesterday\" and the check-ins' hour", parse=_timezone)
    var_dir: Path = setting("BOT_VAR_DIR", PROJECT_ROOT / "var",
                            "where local data lives (SQLite database, with its write-ahead log `-wal` and "
                            "`-shm` beside it while in use; API token)", parse=Path)
    database_url: str = setting(
        "DATABASE_URL", "", "conversations and the project's tables; empty: SQLite in "
        "`BOT_VAR_DIR`; `postgresql://...` in production", secret=True,
        example="postgresql://bot:secret@127.0.0.1:5432/assistant")
    database_pool_size: int = setting(
        "DATABASE_POOL_SIZE", 5, "PostgreSQL connections each process keeps open (a Rasa replica's "
        "tracker store, an action server's tables); processes x (pool + overflow) must stay under "
        "the server's `max_connections` (`make production` checks)",
        parse=_whole_number("DATABASE_POOL_SIZE"))
    database_max_overflow: int = setting(
        "DATABASE_MAX_OVERFLOW", 5, "extra PostgreSQL connections a process may open at a peak "
        "(closed again after)", parse=_whole_number("DATABASE_MAX_OVERFLOW"))
    lock_store_url: str = setting("LOCK_STORE_URL", "", "empty: in-memory locks, provider retries "
                                  "and rate limits (one process); `redis://host:6379/0` when several "
                                  "Rasa replicas run: they share all three there",
                                  example="redis://127.0.0.1:6379/0")
    action_server_url: str = setting("ACTION_SERVER_URL", "http://localhost:5055/webhook",
                                     "where Rasa reaches the custom actions")
    rasa_port: int = setting("RASA_PORT", 5005, "the Rasa server's port",
                             parse=_whole_number("RASA_PORT"))
    serve_without_tensorflow: bool = setting(
        "SERVE_WITHOUT_TENSORFLOW", True, "the Rasa server runs without TensorFlow (about 300 MB less) "
        "when its model uses only the project's components, none with TensorFlow; `no`: TensorFlow is "
        "loaded as Rasa does (bot/without_tensorflow.py)", parse=_yes_no("SERVE_WITHOUT_TENSORFLOW"))
    rasa_url: str = setting("RASA_URL", "", "where the action server reaches the Rasa server's "
                            "HTTP API to send due check-ins (a load balancer in front of the "
                            "replicas will do); empty: `http://localhost:RASA_PORT`",
                            example="http://rasa.internal:5005")
    demo_site_port: int = setting("DEMO_SITE_PORT", 5080, "the demo clinic page with the chat widget "
                                  "(`make run`, dev only)", parse=_whole_number("DEMO_SITE_PORT"))
    widget_origins: str = setting(
        "WIDGET_ORIGINS", "", "the web sites (origins, comma-separated) whose pages may open the chat "
        "widget's socket.io connection; empty: only the demo page on `DEMO_SITE_PORT`",
        example="https://www.clinic.example,https://clinic.example")
    rasa_api_token: str = setting("RASA_API_TOKEN", "", "protects Rasa's HTTP API (used by "
                                  "`make reload`); empty: one is made per machine in `BOT_VAR_DIR`",
                                  secret=True)
    action_server_token: str = setting(
        "ACTION_SERVER_TOKEN", "", "shared secret the Rasa server sends the action server, which "
        "refuses calls without it; empty: one is made per machine in `BOT_VAR_DIR`", secret=True)
    bind_host: str = setting("BIND_HOST", "127.0.0.1", "the interface both servers listen on; "
                             "`0.0.0.0` only behind a proxy or in a container")
    cors_origins: str = setting("CORS_ORIGINS", "", "web origins allowed to call the REST channel "
                                "from a browser, comma-separated; empty: none",
                                example="https://clinic.example.org")
    max_body_bytes: int = setting("MAX_BODY_BYTES", 16384, "the largest request body the REST "
                                  "channel accepts (larger: 413)",
                                  parse=_whole_number("MAX_BODY_BYTES"))
    messages_per_minute: int = setting("MESSAGES_PER_MINUTE", 30, "messages one REST sender or "
                                       "widget session may send per minute, counted across the "
                                       "replicas in Redis with `LOCK_STORE_URL`; more are told "
                                       "politely to wait (REST: 429)",
                                       parse=_whole_number("MESSAGES_PER_MINUTE"))
    sender_hash_key: str = setting("SENDER_HASH_KEY", DEV_SENDER_HASH_KEY,
                                   "secret key for hashing sender ids (Rasa's conversations are "
                                   "kept under the hash: a new key starts them afresh); set a long "
                                   "random one in production", secret=True)
    retention_days: int = setting("RETENTION_DAYS", 90, "how long conversations, escalations, "
                                  "callbacks, recovery data (surgery date, pain diary) and the review "
                                  "inbox are kept, and STOPs of numbers silent that long "
                                  "(`python -m bot purge`)",
                                  parse=_whole_number("RETENTION_DAYS"))
    # Messaging channels (docs/CHANNELS.md). A channel whose settings are missing stays off, and
    # the Rasa server's start-up log says which. The *_API_URL settings let the tests talk to a
    # local fake of each provider; in production they keep their defaults.
    public_url: str = setting(
        "PUBLIC_URL", "", "the public https address the providers call (`https://bot.example.org`): "
        "Twilio signs this URL (behind a proxy the server sees another), Telegram is registered "
        "with it; empty: the address the server sees", example="https://bot.example.org")
    twilio_account_sid: str = setting("TWILIO_ACCOUNT_SID", "", "SMS and WhatsApp: the Twilio "
                                      "account SID (`AC...`)", example="ACxxxxxxxxxxxxxxxx")
    twilio_auth_token: str = setting("TWILIO_AUTH_TOKEN", "", "SMS and WhatsApp: the Twilio auth "
                                     "token, which signs the webhooks", secret=True)
    twilio_sms_number: str = setting("TWILIO_SMS_NUMBER", "", "SMS: the Twilio number patients "
                                     "text (`+1NNNNNNNNNN`); empty: SMS off", example="+18442887474")
    twilio_whatsapp_number: str = setting("TWILIO_WHATSAPP_NUMBER", "", "WhatsApp: the Twilio "
                                          "WhatsApp sender (`+1NNNNNNNNNN`); empty: WhatsApp off",
                                          example="+18442887474")
    twilio_api_url: str = setting("TWILIO_API_URL", "https://api.twilio.com",
                                  "where replies to SMS and WhatsApp are sent (tests: a local fake)")
    messenger_page_token: str = setting("MESSENGER_PAGE_TOKEN", "", "Messenger: the Facebook "
                                        "page access token", secret=True)
    messenger_app_secret: str = setting("MESSENGER_APP_SECRET", "", "Messenger: the Meta app "
                                        "secret, which signs the webhooks", secret=True)
    messenger_verify_token: str = setting("MESSENGER_VERIFY_TOKEN", "", "Messenger: any long "
                                          "random text, given to Meta when subscribing the webhook",
                                          secret=True)
    messenger_api_url: str = setting("MESSENGER_API_URL", "https://graph.facebook.com",
                                     "where replies to Messenger are sent (tests: a local fake)")
    telegram_bot_token: str = setting("TELEGRAM_BOT_TOKEN", "", "Telegram: the bot token from "
                                      "@BotFather", secret=True)
    telegram_webhook_secret: str = setting(
        "TELEGRAM_WEBHOOK_SECRET", "", "Telegram: random text (1-256 of `A-Z a-z 0-9 _ -`) "
        "Telegram sends with every update", secret=True)
    telegram_api_url: str = setting("TELEGRAM_API_URL", "https://api.telegram.org",
                                    "where replies to Telegram are sent (tests: a local fake)")
    slack_bot_token: str = setting("SLACK_BOT_TOKEN", "", "Slack: the bot token (`xoxb-...`)",
                                   secret=True)
    slack_signing_secret: str = setting("SLACK_SIGNING_SECRET", "", "Slack: the app's signing "
                                        "secret, which signs the webhooks", secret=True)
    slack_api_url: str = setting("SLACK_API_URL", "https://slack.com/api/",
                                 "where replies to Slack are sent (tests: a local fake)")
    inbox_port: int = setting("INBOX_PORT", 5007, "the staff review inbox page's port (`python -m bot inbox "
                              "serve`)", parse=_whole_number("INBOX_PORT"))
    inbox_password_hash: str = setting(
        "INBOX_PASSWORD_HASH", "", "the staff login's password hash, from `python -m bot inbox hash-password`; "
        "empty: the inbox page refuses to start", secret=True)
    inbox_confidence: float = setting("INBOX_CONFIDENCE", 0.5, "the review inbox collects messages whose "
                                      "intent confidence is below this", parse=_decimal("INBOX_CONFIDENCE"))
    inbox_session_minutes: int = setting("INBOX_SESSION_MINUTES", 30, "a staff login to the inbox page "
                                         "expires after this many idle minutes",
                                         parse=_whole_number("INBOX_SESSION_MINUTES"))

    def __post_init__(self) -> None:
        if self.sender_hash_key == DEV_SENDER_HASH_KEY and self.database_url.startswith("postgres"):
            # The development key is public: with it, anyone could tell a patient's rows.
            raise ValueError("SENDER_HASH_KEY is the development key; set a long random one "
                             "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) "
                             "to use PostgreSQL")
        check_clinic_number(self.clinic_phone, "CLINIC_PHONE")
        if not self.surgeon_office_phone:
            object.__setattr__(self, "surgeon_office_phone", self.clinic_phone)
        check_clinic_number(self.surgeon_office_phone, "SURGEON_OFFICE_PHONE")
        if self.after_hours_phone:
            check_clinic_number(self.after_hours_phone, "AFTER_HOURS_PHONE")
        _timezone(self.clinic_timezone)  # also when built in code, not only from the environment
        if not self.database_url:  # derived, so a var_dir set alone moves the database too
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.var_dir) / 'assistant.db'}")

    def as_env(self) -> Dict[str, str]:
        """These settings as the environment variables `load` reads, for child processes."""
        return {spec.metadata["env"]: str(getattr(self, spec.name)) for spec in fields(self)}

    @property
    def allowed_origins(self) -> List[str]:
        """Where the widget may connect from: WIDGET_ORIGINS, or the demo page on this machine."""
        return _origins(self.widget_origins) or [f"http://localhost:{self.demo_site_port}", f"http://127.0.0.1:{self.demo_site_port}"]

    @property
    def rest_cors_origins(self) -> List[str]:
        """Web origins that may call the REST channel from a browser: CORS_ORIGINS."""
        return _origins(self.cors_origins)

    @property
    def rasa_api_url(self) -> str:
        """The Rasa server's HTTP API as the action server reaches it: RASA_URL, else this machine."""
        return self.rasa_url.rstrip("/") or f"http://localhost:{self.rasa_port}"

    @property
    def clinic_zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic_timezone)

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
