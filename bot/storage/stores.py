"""The one place the project's repositories are built: actions, staff commands and (later)
the review inbox all get them from `Stores`, so each uses the same engine, hash key and clock.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from bot.settings import Settings
from bot.storage.callbacks import CallbackRepository
from bot.storage.database import engine_for
from bot.storage.escalations import EscalationRepository
from bot.storage.recovery import RecoveryRepository


class Stores:
    """The repositories over one engine. Use as a context manager for a short-lived command
    (the engine is disposed of at the end), or keep one per process (the action server)."""

    def __init__(self, settings: Settings, engine: Engine = None) -> None:
        self.settings = settings
        self.engine = engine or engine_for(settings)
        self.escalations = EscalationRepository(self.engine, settings.sender_hash_key)
        self.callbacks = CallbackRepository(self.engine, settings.sender_hash_key)
        self.recovery = RecoveryRepository(self.engine, settings.sender_hash_key)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Stores":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
