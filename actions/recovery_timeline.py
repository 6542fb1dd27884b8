"""Answers "is this normal / how long" for the patient's own point in recovery."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.recovery.timeline import days_since_surgery, stage_response


class ActionAnswerRecoveryStage(Action):
    def name(self) -> Text:
        return "action_answer_recovery_stage"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        said = next(tracker.get_latest_entity_values("time_since_surgery"), None)
        days = days_since_surgery(said or tracker.latest_message.get("text", ""))
        if days is None:
            # The NLU found no usable duration: give the general timeline instead.
            dispatcher.utter_message(response="utter_duration_overview")
        else:
            dispatcher.utter_message(response=stage_response(days), time_since_surgery=said)
        return []
