"""Fills responses with the clinic's settings and adds the disclaimer to a conversation's first reply.

Runs inside the Rasa server (endpoints.yml `nlg: type: bot.responses.ClinicResponseGenerator`), so it
works even when the action server is down: the safety advice never depends on a backend.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.nlg.interpolator import interpolate_text
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot import settings as bot_settings
from bot.phone import tel_uri

DISCLAIMER = "utter_disclaimer"
# What the urgent advice says when the office is closed: with or without an after-hours line.
WHEN_CLOSED_LINE = "utter_when_office_closed_line"
WHEN_CLOSED_NO_LINE = "utter_when_office_closed_no_line"


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
            "surgeon_phone": config.surgeon_office_phone,
            "surgeon_tel": tel_uri(config.surgeon_office_phone),
            "after_hours_phone": config.after_hours_phone,
        }
        closed = WHEN_CLOSED_LINE if config.after_hours_phone else WHEN_CLOSED_NO_LINE
        self.clinic_vars["when_office_closed"] = self._plain_text(closed)

    def _plain_text(self, name: str) -> str:
        """The first text of a domain response with the clinic's settings filled in."""
        variations = self.responses.get(name) or [{}]
        return interpolate_text(variations[0].get("text", ""), self.clinic_vars)

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
