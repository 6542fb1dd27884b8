"""With no action server answering, the Rasa server still answers (bot/action_fallbacks.py):
the stage questions get the general or this conversation's stage answer, the saved-data actions
say the data can't be reached, and nothing becomes an empty reply."""
import asyncio
import socket
from datetime import datetime, timedelta, timezone

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import action_fallbacks, settings
from bot.recovery.timeline import clinic_today
from bot.responses import ClinicResponseGenerator
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def nobody_listening() -> EndpointConfig:
    """An action endpoint on a local port that was free a moment ago: the call is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")


@pytest.fixture(autouse=True)
def fallbacks_on():
    action_fallbacks.apply()
    yield
    action_fallbacks.revert()


def say(domain, text, intent, *events, entities=()):
    message = UserUttered(text, {"name": intent, "confidence": 1.0}, list(entities))
    return DialogueStateTracker.from_events("p1", [SessionStarted(), *events, message], domain.slots)


def run(domain, endpoint, action, tracker):
    events = asyncio.run(RemoteAction(action, endpoint).run(
        CollectingOutputChannel(), ClinicResponseGenerator(domain=domain), tracker, domain))
    return [event.text for event in events]


def answers_with(text, domain, response):
    """`text` is the domain's `response` (compared up to its first template value)."""
    return domain.responses[response][0]["text"].split("{")[0] in text


def test_a_stage_question_gets_the_general_answer(domain, nobody_listening):
    texts = run(domain, nobody_listening, "action_answer_recovery_stage",
                say(domain, "how long will the leg pain last?", "duration_overview"))
    assert len(texts) == 1 and answers_with(texts[0], domain, "utter_duration_overview")


def test_a_time_said_in_the_message_gets_that_stage(domain, nobody_listening):
    entity = {"entity": "time_since_surgery", "value": "3 weeks", "start": 0, "end": 7}
    texts = run(domain, nobody_listening, "action_answer_recovery_stage",
                say(domain, "3 weeks out, is this leg pain normal?", "leg_pain_normal", entities=[entity]))
    assert len(texts) == 1 and "3 weeks" in texts[0]
    assert not answers_with(texts[0], domain, "utter_leg_pain_normal")


def test_the_date_of_this_conversation_gives_the_stage_and_the_six_week_mark(domain, nobody_listening):
    # the clinic's day, as the action counts (at 00:30 UTC it is still yesterday in the clinic's zone)
    surgery = clinic_today(datetime.now(timezone.utc), settings.load().clinic_zone) - timedelta(days=10)
    texts = run(domain, nobody_listening, "action_answer_recovery_stage",
                say(domain, "is this normal?", "leg_pain_normal", SlotSet("surgery_date", surgery.isoformat())))
    assert "10 days" in texts[0]
    assert len(texts) == 2  # and when the six-week mark is


def test_the_medicine_question_keeps_its_own_answer(domain, nobody_listening):
    texts = run(domain, nobody_listening, "action_answer_recovery_stage",
                say(domain, "when do I stop my pain pills?", "manage_medication"))
    assert len(texts) == 1 and answers_with(texts[0], domain, "utter_manage_medication")


def test_saved_data_actions_say_it_cannot_be_reached_with_the_number(domain, nobody_listening):
    texts = run(domain, nobody_listening, "action_pain_trend", say(domain, "how am I doing?", "pain_trend"))
    assert "can't reach your saved data" in texts[0] and "844-288-7474" in texts[0]
    texts = run(domain, nobody_listening, "action_delete_my_data", say(domain, "delete my data", "delete_my_data"))
    assert "couldn't delete your data" in texts[0]


def test_the_escalation_after_advice_is_still_recorded_for_staff(domain, nobody_listening, stores):
    entity = {"entity": "red_flag", "value": "saddle_numbness", "start": 0, "end": 5}
    tracker = say(domain, "I can't feel my bottom", "red_flag_emergency", entities=[entity])
    tracker.update(ActionExecuted("utter_red_flag_emergency"))
    assert run(domain, nobody_listening, "action_record_escalation", tracker) == []  # the advice was said
    [row] = stores.escalations.since(datetime.now(timezone.utc) - timedelta(minutes=1))
    assert (row.tier, row.flags) == ("emergency", ("saddle_numbness",))


def test_an_action_without_a_fallback_still_fails_as_before(domain, nobody_listening):
    with pytest.raises(Exception, match="Failed to execute custom action"):
        run(domain, nobody_listening, "action_checkin", say(domain, "/EXTERNAL_checkin", "EXTERNAL_checkin"))


def test_revert_puts_rasas_run_back(domain, nobody_listening):
    action_fallbacks.revert()
    with pytest.raises(Exception, match="Failed to execute custom action"):
        run(domain, nobody_listening, "action_answer_recovery_stage",
            say(domain, "how long will it last?", "duration_overview"))
