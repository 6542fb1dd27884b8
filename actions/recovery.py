"""Personalised recovery: the surgery date, the pain diary, its escalation, check-ins, deletion.

Thin: the rules live in bot/recovery/ (dates, diary, check-ins) and the data in
bot/storage/recovery.py. Nothing is stored without the patient's consent (slot
`recovery_consent`); the urgent advice after a worrying trend is a rule's response
(data/stories/rules/recovery.yml), so it reads the same as for a stated sign.
"""
import asyncio
import logging
from datetime import date, datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Set, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, ReminderCancelled, ReminderScheduled, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import database
from bot.recovery import checkins
from bot.recovery.diary import SEVERE, Entry, assess, chart_svg, read_score, trend_words
from bot.recovery.surgery_date import FUTURE, IMPOSSIBLE, TOO_OLD, UNCLEAR, read_surgery_date
from bot.recovery.timeline import clinic_today, stage_messages, surgery_date_of
from bot.vocabulary import CONTACT_CHANNELS, CONTACT_KEY, DIARY_ALERT_SLOT

logger = logging.getLogger(__name__)

# The clock every action reads; tests replace it.
now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731


def today() -> date:
    """The clinic's day (CLINIC_TIMEZONE), not the server's UTC one."""
    return clinic_today(now(), database.clinic_zone())

# Each reading of the diary and each date problem has its answer (domain.yml).
DATE_PROBLEM_RESPONSES = {UNCLEAR: "utter_surgery_date_unclear", FUTURE: "utter_surgery_date_future",
                          IMPOSSIBLE: "utter_surgery_date_impossible", TOO_OLD: "utter_surgery_date_too_old"}
ESCALATION_RESPONSES = {"jump": "utter_pain_trend_jump", "severe": "utter_pain_trend_severe"}
TREND_RESPONSES = {"better": "utter_pain_trend_better", "worse": "utter_pain_trend_worse",
                   "same": "utter_pain_trend_same", "one": "utter_pain_trend_one"}
# Channels that draw the diary chart (the web widget); text channels get words only.
CHART_CHANNELS = ("socketio",)


def _consented(tracker: Tracker) -> bool:
    return tracker.get_slot("recovery_consent") is True


def restore(tracker: Tracker) -> List[EventType]:
    """A returning patient's saved profile, as slots, while this conversation has not said yes or
    no (a new session starts with empty slots); asked once a session (slot `recovery_checked`).
    Also set on `tracker` for the running action."""
    if tracker.get_slot("recovery_checked"):
        return []
    if tracker.get_slot("recovery_consent") is not None:  # decided in this session: nothing to look for
        tracker.slots["recovery_checked"] = True
        return [SlotSet("recovery_checked", True)]
    try:
        profile = database.stores().recovery.profile(tracker.sender_id)
    except Exception:
        logger.exception("could not read a recovery profile")
        return []
    found: Dict[str, Any] = {"recovery_checked": True}
    if profile is None:
        tracker.slots.update(found)
        return [SlotSet("recovery_checked", True)]
    found.update({"recovery_consent": True, "checkins": profile.checkins})
    if profile.surgery_date and not tracker.get_slot("surgery_date"):
        found["surgery_date"] = profile.surgery_date.isoformat()
    tracker.slots.update(found)
    return [SlotSet(name, value) for name, value in found.items()]


def _ask_consent(dispatcher: CollectingDispatcher) -> List[EventType]:
    dispatcher.utter_message(response="utter_ask_recovery_consent")
    return [SlotSet("recovery_consent_asked", True)]


class ActionSetSurgeryDate(Action):
    """ "I had surgery on March 3rd": the stage answer, then (once) the question to keep the date."""

    def name(self) -> Text:
        return "action_set_surgery_date"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        day = today()
        reading = read_surgery_date(tracker.latest_message.get("text", ""), day)
        if reading.date is None:
            dispatcher.utter_message(response=DATE_PROBLEM_RESPONSES[reading.problem or UNCLEAR])
            return []
        events = restore(tracker)
        for message in stage_messages(reading.date, day):
            dispatcher.utter_message(**message)
        events.append(SlotSet("surgery_date", reading.date.isoformat()))
        if _consented(tracker):
            try:
                database.stores().recovery.save_profile(tracker.sender_id, True, surgery_date=reading.date)
            except Exception:
                logger.exception("could not save a surgery date")
        elif tracker.get_slot("recovery_consent") is None:
            events += _ask_consent(dispatcher)
        return events


class ActionRecoveryConsent(Action):
    """The patient's yes or no to keeping their recovery data, right after an action asked it."""

    def name(self) -> Text:
        return "action_recovery_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if not tracker.get_slot("recovery_consent_asked"):
            # A yes or no to something else: answer as the bot does outside its questions.
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            dispatcher.utter_message(response="utter_deny_outside_questions" if intent == "deny"
                                     else "utter_help")
            return []
        events: List[EventType] = [SlotSet("recovery_consent_asked", False)]
        if (tracker.latest_message.get("intent") or {}).get("name") != "affirm":
            dispatcher.utter_message(response="utter_recovery_not_saved")
            return events + [SlotSet("recovery_consent", False), SlotSet("pending_pain_score", None)]
        try:
            stores = database.stores()
            stores.recovery.save_profile(tracker.sender_id, True, surgery_date=surgery_date_of(tracker))
            pending = tracker.get_slot("pending_pain_score")
            if pending is not None:
                stores.recovery.add_score(tracker.sender_id, int(pending))
        except Exception:
            logger.exception("could not save recovery data")
            dispatcher.utter_message(response="utter_recovery_unavailable")
            return events
        dispatcher.utter_message(response="utter_recovery_saved")
        return events + [SlotSet("recovery_consent", True), SlotSet("pending_pain_score", None)]


class ActionRecordPain(Action):
    """ "My pain is 6/10": record it (with consent) and check the trend (bot/recovery/diary.py)."""

    def name(self) -> Text:
        return "action_record_pain"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        found = read_score(tracker.latest_message.get("text", ""))
        if found is None:
            dispatcher.utter_message(response="utter_ask_pain_score")
            return [SlotSet(DIARY_ALERT_SLOT, False)]
        events = restore(tracker)
        alert = self._record(dispatcher, tracker, *found)
        if alert is None and tracker.get_slot("recovery_consent") is None:
            events += [SlotSet("pending_pain_score", found[0]), *_ask_consent(dispatcher)]
        return events + [SlotSet(DIARY_ALERT_SLOT, bool(alert))]

    @staticmethod
    def _record(dispatcher: CollectingDispatcher, tracker: Tracker, score: int, area: Optional[str]) -> Optional[bool]:
        """Store and judge the score; True: escalate, False: not, None: not stored (no consent)."""
        if not _consented(tracker):
            dispatcher.utter_message(response="utter_pain_noted", pain_score=score)
        else:
            try:
                repository = database.stores().recovery
                if not repository.add_score(tracker.sender_id, score, area):
                    raise RuntimeError("consent in the conversation but no profile stored")
                verdict = assess(repository.scores(tracker.sender_id))
            except Exception:
                logger.exception("could not record a pain score")
                dispatcher.utter_message(response="utter_pain_not_saved", pain_score=score)
                verdict = None
            if verdict is not None and verdict.escalates:
                # The rule "worrying pain trend" gives the urgent advice next (domain response).
                dispatcher.utter_message(response=ESCALATION_RESPONSES[verdict.reason or "jump"])
                return True
            if verdict is not None:
                dispatcher.utter_message(response="utter_pain_recorded", pain_score=score)
        if score >= SEVERE:
            dispatcher.utter_message(response="utter_pain_severe")
        return False if _consented(tracker) else None


class ActionPainTrend(Action):
    """ "How am I doing?": the diary's trend in words (and a small chart on the web widget)."""

    def name(self) -> Text:
        return "action_pain_trend"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        events = restore(tracker)
        if not _consented(tracker):
            dispatcher.utter_message(response="utter_pain_trend_empty")
            return events
        try:
            entries: List[Entry] = database.stores().recovery.scores(tracker.sender_id)
        except Exception:
            logger.exception("could not read the pain diary")
            dispatcher.utter_message(response="utter_recovery_unavailable")
            return []
        trend = trend_words(entries)
        if trend is None:
            dispatcher.utter_message(response="utter_pain_trend_empty")
            return []
        direction, scores = trend
        chart = ({"json_message": {"pain_chart_svg": chart_svg(entries)}}
                 if tracker.get_latest_input_channel() in CHART_CHANNELS else {})
        dispatcher.utter_message(response=TREND_RESPONSES[direction],
                                 pain_scores=", ".join(map(str, scores)), **chart)
        return events


class ActionStartCheckins(Action):
    """Plan the check-ins at the milestones still ahead: Rasa reminders, and rows in the database
    from which bot/recovery/delivery.py sends those a restart lost; needs the date and consent."""

    def name(self) -> Text:
        return "action_start_checkins"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        events = restore(tracker)
        surgery = surgery_date_of(tracker)
        if surgery is None:
            dispatcher.utter_message(response="utter_checkins_need_date")
            return events
        if not _consented(tracker):
            return events + _ask_consent(dispatcher)  # asking for check-ins may change a "no"
        ahead = checkins.schedule(surgery, now(), database.clinic_zone())
        if not ahead:
            dispatcher.utter_message(response="utter_checkins_none_ahead")
            return events
        try:
            repository = database.stores().recovery
            repository.save_profile(tracker.sender_id, True, checkins=True)
            repository.plan_checkins(tracker.sender_id, ahead)
        except Exception:
            logger.exception("could not plan the check-ins")
            dispatcher.utter_message(response="utter_recovery_unavailable")
            return events
        dates = ", ".join(f"{when:%B} {when.day}" for _, when in ahead)
        # On a channel that can send first, the confirmation also asks the channel to keep the
        # patient's address for these check-ins (bot/channels/contacts.py): the consent it serves.
        keep = ({"json_message": {CONTACT_KEY: True}}
                if tracker.get_latest_input_channel() in CONTACT_CHANNELS else {})
        dispatcher.utter_message(response="utter_checkins_scheduled", checkin_dates=dates, **keep)
        reminders = [ReminderScheduled(checkins.INTENT, when, name=checkins.reminder_name(day, tracker.sender_id),
                                       kill_on_user_message=False) for day, when in ahead]
        return events + reminders + [SlotSet("checkins", True)]


class ActionCheckin(Action):
    """A due check-in (a Rasa reminder, or bot/recovery/delivery.py after a restart): its question,
    once. Marking it sent is what allows the message, so a second trigger, or one after
    "unsubscribe", says nothing."""

    def name(self) -> Text:
        return "action_checkin"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        try:
            claimed = database.stores().recovery.claim_checkins(tracker.sender_id, now())
        except Exception:
            logger.exception("could not mark a check-in sent")
            return []  # not sent: the next round tries again
        if claimed:
            dispatcher.utter_message(response="utter_checkin")
        return []


class ActionStopCheckins(Action):
    """ "Unsubscribe": no more check-ins, on every channel; their kept address goes too."""

    def name(self) -> Text:
        return "action_stop_checkins"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        try:
            repository = database.stores().recovery
            repository.cancel_checkins(tracker.sender_id)
            if repository.profile(tracker.sender_id) is not None:
                repository.save_profile(tracker.sender_id, True, checkins=False)
        except Exception:
            logger.exception("could not stop the check-ins")
            dispatcher.utter_message(response="utter_recovery_unavailable")
            return []
        dispatcher.utter_message(response="utter_checkins_stopped")
        return _cancel_reminders() + [SlotSet("checkins", False)]


def _cancel_reminders() -> List[EventType]:
    """Every check-in reminder of this conversation (Rasa matches the intent within the sender's jobs)."""
    return [ReminderCancelled(intent_name=checkins.INTENT)]


# Follow-up deletions of the request's own turn, kept referenced until they finish.
_forgetting: Set["asyncio.Task[int]"] = set()


class ActionDeleteMyData(Action):
    """ "Delete my data": the profile, diary and check-ins go, and the conversation's events in
    Rasa's tracker store; the turn of the request itself once Rasa has written it."""

    def name(self) -> Text:
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        try:
            stores = database.stores()
            stores.recovery.delete(tracker.sender_id)
            stores.conversations.delete(tracker.sender_id)
        except Exception:
            logger.exception("could not delete recovery data")
            dispatcher.utter_message(response="utter_data_delete_failed")
            return _cancel_reminders()
        task = asyncio.get_running_loop().create_task(
            stores.conversations.forget_turn(tracker.sender_id, self.name()))
        _forgetting.add(task)
        task.add_done_callback(_forgetting.discard)
        dispatcher.utter_message(response="utter_data_deleted")
        return _cancel_reminders() + [SlotSet(slot, None) for slot in
                ("surgery_date", "recovery_consent", "recovery_consent_asked", "pending_pain_score", "checkins")]
