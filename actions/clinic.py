"""The callback request: validate what the patient typed, then store it with their consent."""
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import database
from actions.database import turn_of
from bot.phone import patient_number

logger = logging.getLogger(__name__)

CALLBACK_SLOTS = ("callback_consent", "callback_name", "callback_phone", "callback_time")


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_callback_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        # Without consent nothing else is asked, and nothing is stored.
        if tracker.get_slot("callback_consent") is False:
            return ["callback_consent"]
        return domain_slots

    def validate_callback_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        name = str(value or "").strip()[:100]
        return {"callback_name": name or None}

    def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        phone = patient_number(value)  # the rule: bot/phone.py
        if not phone:
            dispatcher.utter_message(response="utter_invalid_callback_phone")
            return {"callback_phone": None}
        return {"callback_phone": phone}

    def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        best_time = str(value or "").strip()[:100]
        return {"callback_time": best_time or None}


class ActionSubmitCallback(Action):
    def name(self) -> Text:
        return "action_submit_callback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if tracker.get_slot("callback_consent") is not True:
            dispatcher.utter_message(response="utter_callback_not_saved")
        else:
            try:
                # Kept in the outbox even while the database is down: saved is the truth.
                database.stores().request_callback(
                    tracker.sender_id, tracker.get_latest_input_channel(),
                    tracker.get_slot("callback_name"), tracker.get_slot("callback_phone"),
                    tracker.get_slot("callback_time"), consent=True, turn=turn_of(tracker),
                )
                dispatcher.utter_message(response="utter_callback_saved")
            except Exception as error:
                logger.error("could not keep a callback request (%s)", type(error).__name__)
                dispatcher.utter_message(response="utter_callback_unavailable")
        # The request is stored in our table; don't keep name and number in the conversation.
        return [SlotSet(slot, None) for slot in CALLBACK_SLOTS]
