"""Answers "is this normal / how long / when do I stop my pain medicine" for the patient's own
point in recovery: the time they just said, else the surgery date of the conversation (slot
`surgery_date`, actions/recovery.py) or, for a returning patient who consented, the saved one
(read once a session), else the general answer."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import recovery
from bot.recovery.timeline import days_since_surgery, stage_response

MEDICATION = "manage_medication"
# The general answer of each intent this action answers, when no time or date is known.
GENERAL = {"leg_pain_normal": "utter_leg_pain_normal", "duration_overview": "utter_duration_overview"}


class ActionAnswerRecoveryStage(Action):
    def name(self) -> Text:
        return "action_answer_recovery_stage"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == MEDICATION:
            dispatcher.utter_message(response="utter_manage_medication")
        said = next(tracker.get_latest_entity_values("time_since_surgery"), None)
        days = days_since_surgery(said or tracker.latest_message.get("text", ""))
        if days is not None:
            dispatcher.utter_message(response=stage_response(days), time_since_surgery=said)
            return []
        events = recovery.restore(tracker) if recovery.surgery_date_of(tracker) is None else []
        surgery = recovery.surgery_date_of(tracker)
        if surgery is not None:
            for message in recovery.stage_messages(surgery, recovery.today()):
                dispatcher.utter_message(**message)
        elif intent != MEDICATION:
            # No usable duration or date: the general answer.
            dispatcher.utter_message(response=GENERAL.get(intent or "", "utter_duration_overview"))
        return events
