"""Red-flag detection: finds warning signs after lumbar microdiscectomy in a patient's message.

The signs, their tiers and their wording live in data/red_flags.yml (content editors own it);
`detector` compiles them into spaCy matchers, `matching`, `context` (negation, questions,
history) and `temperature` do the reading. The Rasa component is bot/nlu/red_flag_detector.py.
"""
from bot.red_flags.detector import (CatalogueError, Detection, Hit, RedFlagDetector, detect,
                                    get_detector)

__all__ = ["CatalogueError", "Detection", "Hit", "RedFlagDetector", "detect",
           "get_detector"]
