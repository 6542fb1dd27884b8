"""Fills responses with the clinic's settings and adds the disclaimer to a conversation's first reply.

Runs inside the Rasa server (endpoints.yml `nlg: type: bot.responses.ClinicResponseGenerator`), so it
works even when the action server is down: the safety advice never depends on a backend.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot import settings as bot_settings

DISCLAIMER = "utter_disclaimer"


def is_first_reply(tracker: DialogueStateTracker) -> bool:
    """True when the bot has not spoken yet in the current session."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            return False
        if isinstance(event, SessionStarted):
            return True
    return True


class ClinicResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Any = None, domain: Optional[Domain] = None, **_: Any) -> None:
        super().__init__((domain or Domain.empty()).responses)
        config = bot_settings.load()
        self.clinic_vars = {
            "clinic_name": config.clinic_name,
            "clinic_phone": config.clinic_phone,
            "clinic_tel": config.tel_uri,
        }

    async def generate(
        self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text, **kwargs: Any
    ) -> Optional[Dict[Text, Any]]:
        values = {**kwargs, **self.clinic_vars}
        slots = tracker.current_slot_values()
        response = self.generate_from_slots(utter_action, slots, output_channel, **values)
        if response and response.get("text") and utter_action != DISCLAIMER and is_first_reply(tracker):
            disclaimer = self.generate_from_slots(DISCLAIMER, slots, output_channel, **values)
            if disclaimer and disclaimer.get("text"):
                response["text"] = f"{disclaimer['text']}\n\n{response['text']}"
        return response
