"""Answers "is this normal / how long / when do I stop my pain medicine" for the patient's own
point in recovery: the time they just said, else the surgery date of the conversation (slot
`surgery_date`, actions/recovery.py) or, for a returning patient who consented, the saved one
(read once a session), else the general answer. The answer itself is bot/recovery/timeline.py's
`stage_answer`, which the Rasa server also gives when no action server answers."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import recovery
from bot.recovery.timeline import days_since_surgery, stage_answer, surgery_date_of


class ActionAnswerRecoveryStage(Action):
    def name(self) -> Text:
        return "action_answer_recovery_stage"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text", "")
        said = next(tracker.get_latest_entity_values("time_since_surgery"), None)
        events = []
        if days_since_surgery(said or text) is None and surgery_date_of(tracker) is None:
            events = recovery.restore(tracker)  # the saved date, looked for once a session
        for message in stage_answer(intent, text, said, surgery_date_of(tracker), recovery.today()):
            dispatcher.utter_message(**message)
        return events
