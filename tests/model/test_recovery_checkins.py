"""Check-ins are Rasa reminders while the Rasa server runs (the database keeps them for after a
restart: tests/unit/test_recovery_durable.py). The events action_start_checkins returns go through
Rasa's own side effects (`execute_side_effects`, as after any action), so the scheduler holds the
jobs; a job is then fired by hand instead of waiting for its date (the controlled clock). A fired
check-in runs action_checkin (which asks its question once: the action server's part, tested
there); "unsubscribe" removes the patient's jobs and no one else's."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from rasa.core import jobs
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import ActionExecuted, Event

from actions.recovery import ActionStartCheckins, ActionStopCheckins
from bot.recovery.checkins import PREFIX

pytestmark = pytest.mark.model


def run_action(assistant, action, tracker, domain_dict, output):
    """Run a custom action as the action server would and apply its events as Rasa does."""
    from rasa_sdk.executor import CollectingDispatcher

    events = action.run(CollectingDispatcher(), tracker, domain_dict)
    sender = tracker.sender_id
    processor = assistant.agent.processor

    async def apply():
        tracker = await processor.fetch_tracker_with_initial_session(sender)
        rasa_events = [Event.from_parameters(event) for event in events]
        tracker.update_with_events(rasa_events, processor.domain)
        await processor.save_tracker(tracker)
        await processor.execute_side_effects(rasa_events, tracker, output)

    assistant.loop.run_until_complete(apply())


def checkin_jobs(assistant, sender):
    async def listed():
        return [job for job in (await jobs.scheduler()).get_jobs()
                if job.args[1] == sender and job.args[0].name.startswith(PREFIX)]
    return assistant.loop.run_until_complete(listed())


def test_checkins_are_scheduled_fire_the_checkin_action_and_stop_with_one_word(assistant, stores, domain_dict,
                                                                                tracker_for):
    stores.recovery.save_profile("patient-a", True)
    stores.recovery.save_profile("patient-b", True)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    slots = {"recovery_consent": True, "surgery_date": yesterday}
    output = CollectingOutputChannel()
    for sender in ("patient-a", "patient-b"):
        run_action(assistant, ActionStartCheckins(),
                   tracker_for("check in on me", "checkins_start", slots=slots, sender_id=sender), domain_dict, output)
    due = checkin_jobs(assistant, "patient-a")
    assert len(due) == 3 and len(checkin_jobs(assistant, "patient-b")) == 3

    # Fire the day-3 check-in now, as the scheduler would on its date: the rule runs action_checkin.
    first = min(due, key=lambda job: job.args[0].trigger_date_time)
    assistant.loop.run_until_complete(first.func(*first.args[:2], output))
    tracker = assistant.loop.run_until_complete(assistant.agent.processor.get_tracker("patient-a"))
    ran = [event.action_name for event in tracker.events if isinstance(event, ActionExecuted)]
    assert ran[-2:] == ["action_checkin", "action_listen"]

    run_action(assistant, ActionStopCheckins(),
               tracker_for("unsubscribe", "checkins_stop", slots=slots, sender_id="patient-a"), domain_dict, output)
    assert checkin_jobs(assistant, "patient-a") == []
    assert len(checkin_jobs(assistant, "patient-b")) == 3
