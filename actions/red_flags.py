"""Records an escalation after its advice was given (the advice itself is a rule's response)."""
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import database
from actions.database import turn_of
from bot.vocabulary import (CLASSIFIER_FLAG, DIARY_ALERT_SLOT, DIARY_FLAG, DIARY_INTENT, RAISED_BY_KEY,
                            READING_KEY, RED_FLAG_ENTITY, TIER_OF_ADVICE, TIER_READER_FLAG, is_red_flag_intent)

logger = logging.getLogger(__name__)

def tier_given(tracker: Tracker) -> Optional[str]:
    """The tier of the advice the patient just received."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") in TIER_OF_ADVICE:
            return TIER_OF_ADVICE[event["name"]]
        if event.get("event") == "user":
            return None
    return None


def flags_matched(tracker: Tracker, tier: str) -> List[str]:
    """Flag ids the detector found; "classifier" when only it heard one ("tier_reader" when the
    learned tier reader raised its unsure reading); the diary's flag when a
    pain score's trend escalated; otherwise the advice ended a screening (the patient answered
    its questions)."""
    flags = [e["value"] for e in tracker.latest_message.get("entities", []) if e.get("entity") == RED_FLAG_ENTITY]
    if flags:
        return flags
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if is_red_flag_intent(intent):
        reading = tracker.latest_message.get(READING_KEY) or {}
        return [TIER_READER_FLAG if reading.get(RAISED_BY_KEY) == TIER_READER_FLAG else CLASSIFIER_FLAG]
    if intent == DIARY_INTENT and tracker.get_slot(DIARY_ALERT_SLOT):
        return [DIARY_FLAG]
    return [f"screening_{tier}"]


class ActionRecordEscalation(Action):
    def name(self) -> Text:
        return "action_record_escalation"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        tier = tier_given(tracker)
        if tier is not None:
            channel = tracker.get_latest_input_channel()
            try:
                database.stores().record_escalation(tracker.sender_id, channel, tier,
                                                    flags_matched(tracker, tier), turn_of(tracker))
            except Exception as error:  # the patient already has the advice; never fail their turn
                # Even the local outbox failed (disk full?): say so loudly, without the tracker.
                logger.error("could not keep a %s escalation (%s)", tier, type(error).__name__)
        return []
