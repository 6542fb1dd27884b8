"""Red-flag detection: finds warning signs after lumbar microdiscectomy in a patient's message.

The signs, their tiers and their wording live in data/red_flags.yml (content editors own it);
`detector` compiles them into spaCy matchers; `matching`, `context` (negation, questions,
history, built from the token-level tests in `clauses`) and `temperature` do the reading. The
Rasa component is bot/nlu/red_flag_detector.py.

The detector's names are imported from `detector` when first used (PEP 562): importing spaCy
imports thinc, which imports TensorFlow whenever it is installed, about 4 s and 400 MB. Code that
only reads the catalogue (`bot.red_flags.catalogue`: `python -m bot`'s staff and inbox commands,
which `make reload` loads too) then never pays for it.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.red_flags.detector import (CatalogueError, Detection, Hit, RedFlagDetector, detect,
                                        get_detector)

__all__ = ["CatalogueError", "Detection", "Hit", "RedFlagDetector", "detect",
           "get_detector"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("bot.red_flags.detector"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
