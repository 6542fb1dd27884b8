"""What the patient hears when no action server answers: never an empty reply.

Rasa 3.6 runs a custom action by calling the action server; when that call fails (every action
server down, a time-out, a 5xx), Rasa logs the error and the turn ends with no message at all.
For each custom action in domain.yml this module says what the Rasa server answers instead,
from what the conversation itself holds:

- the stage questions ("how long will the leg pain last?") get the same answer the action would
  give without a saved date (bot/recovery/timeline.py's `stage_answer`: the time said in the
  message, else the surgery date of this conversation, else the general answer);
- actions that read or write the patient's saved data say that it can't be reached just now,
  with the clinic's number (the same responses the actions give when the database is down);
- the escalation that follows red-flag advice is recorded by the Rasa server itself, with the
  action's own code (actions/red_flags.py) and its outbox, so staff see every escalation;
- `NO_FALLBACK` lists the actions that need nothing, and why.

A 400 from the action server (`ActionExecutionRejection`, an action declining to run) is Rasa's
own flow and is left alone. `apply()` wraps `RemoteAction.run` once; Rasa imports it through
bot/storage/tracker_store.py, where bot/rasa_patches.py is applied too.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Union

from bot import settings as bot_settings
from bot.recovery.timeline import Message, clinic_today, stage_answer, surgery_date_of

logger = logging.getLogger(__name__)

RECOVERY_UNAVAILABLE = "utter_recovery_unavailable"


def _stage(tracker: Any) -> List[Message]:
    """The stage answer from the conversation alone (no saved date: that needs the database)."""
    message = tracker.latest_message
    said = next(tracker.get_latest_entity_values("time_since_surgery"), None)
    today = clinic_today(datetime.now(timezone.utc), bot_settings.load().clinic_zone)
    return stage_answer((message.intent or {}).get("name"), message.text or "", said,
                        surgery_date_of(tracker), today)


def _record_escalation(tracker: Any) -> List[Message]:
    """Keep the escalation as the action server would have (the advice was already given)."""
    from rasa.shared.core.trackers import EventVerbosity
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.red_flags import ActionRecordEscalation

    state = Tracker.from_dict(tracker.current_state(EventVerbosity.ALL))
    ActionRecordEscalation().run(CollectingDispatcher(), state, {})
    return []


# Action name: the response to give instead, or a function of the tracker giving the messages
# (run in a thread: it may wait for the database).
FALLBACKS: Dict[str, Union[str, Callable[[Any], List[Message]]]] = {
    "action_answer_recovery_stage": _stage,
    "action_record_escalation": _record_escalation,
    "action_set_surgery_date": RECOVERY_UNAVAILABLE,
    "action_recovery_consent": RECOVERY_UNAVAILABLE,
    "action_record_pain": RECOVERY_UNAVAILABLE,
    "action_pain_trend": RECOVERY_UNAVAILABLE,
    "action_start_checkins": RECOVERY_UNAVAILABLE,
    "action_stop_checkins": RECOVERY_UNAVAILABLE,
    "action_delete_my_data": "utter_data_delete_failed",
    "validate_callback_form": "utter_callback_unavailable",
    "action_submit_callback": "utter_callback_unavailable",
}
NO_FALLBACK = {
    "action_checkin": "a scheduled check-in: nobody wrote, so nobody waits for an answer",
}


async def messages_for(action: str, tracker: Any) -> Optional[List[Message]]:
    """What to say instead of `action`; None for the actions in NO_FALLBACK."""
    fallback = FALLBACKS.get(action)
    if fallback is None:
        return None
    if isinstance(fallback, str):
        return [{"response": fallback}]
    return await asyncio.to_thread(fallback, tracker)


async def utter(messages: List[Message], output_channel: Any, nlg: Any, tracker: Any) -> List[Any]:
    """The BotUttered events of `messages`, generated as Rasa's response actions generate them."""
    from rasa.core.actions.action import create_bot_utterance

    events = []
    for message in messages:
        values = {key: value for key, value in message.items() if key != "response"}
        generated = await nlg.generate(message["response"], tracker, output_channel.name(), **values)
        if generated:
            generated["utter_action"] = message["response"]
            events.append(create_bot_utterance(generated))
    return events


def _wrap(run: Callable[..., Any]) -> Callable[..., Any]:
    from rasa.core.actions.action import ActionExecutionRejection

    async def run_or_fall_back(self: Any, output_channel: Any, nlg: Any, tracker: Any,
                               domain: Any) -> List[Any]:
        try:
            return await run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception:
            messages = await messages_for(self.name(), tracker)
            if messages is None:
                raise
            logger.warning("action %s failed on the action server; the Rasa server stood in (%s)",
                           self.name(), ", ".join(m["response"] for m in messages) or "nothing to say")
            return await utter(messages, output_channel, nlg, tracker)

    run_or_fall_back.fallback_of = run  # type: ignore[attr-defined]
    return run_or_fall_back


def apply() -> None:
    """Wrap `RemoteAction.run` (once, however often this is called)."""
    from rasa.core.actions.action import RemoteAction

    if not hasattr(RemoteAction.run, "fallback_of"):
        RemoteAction.run = _wrap(RemoteAction.run)


def revert() -> None:
    from rasa.core.actions.action import RemoteAction

    original: Optional[Callable[..., Any]] = getattr(RemoteAction.run, "fallback_of", None)
    if original is not None:
        RemoteAction.run = original
