"""Check-ins are Rasa reminders: fired here as Rasa's scheduler would at their time (a controlled
clock: the processor is handed the reminder directly), they send the check-in question; after
"unsubscribe" they send nothing."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import ActionExecuted, ReminderCancelled, ReminderScheduled, UserUttered

from bot.recovery.checkins import INTENT, reminder_name

pytestmark = pytest.mark.model

WHEN = datetime(2026, 12, 9, 15, 0, tzinfo=timezone.utc)


def fire(assistant, sender, *events):
    processor = assistant.agent.processor
    reminder = ReminderScheduled(INTENT, WHEN, name=reminder_name(14), kill_on_user_message=False)

    async def scenario():
        tracker = await processor.fetch_tracker_with_initial_session(sender)
        tracker.update_with_events([UserUttered("check in on me", {"name": "checkins_start"}),
                                    ActionExecuted("action_start_checkins"), reminder, *events,
                                    ActionExecuted("action_listen")], processor.domain)
        await processor.save_tracker(tracker)
        output = CollectingOutputChannel()
        await processor.handle_reminder(reminder, sender, output)
        return [message.get("text", "") for message in output.messages]

    return assistant.loop.run_until_complete(scenario())


def test_a_due_checkin_asks_about_pain_and_warning_signs(assistant):
    [text] = fire(assistant, "checkin-due")
    assert "quick check-in" in text and "from 0 to 10" in text and "unsubscribe" in text


def test_a_cancelled_checkin_sends_nothing(assistant):
    assert fire(assistant, "checkin-stopped", ReminderCancelled(name=reminder_name(14))) == []
