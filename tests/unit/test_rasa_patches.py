"""bot/rasa_patches.py: Rasa with the patches answers exactly as Rasa without them, only cheaper."""
import copy
import inspect

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, Event, FollowupAction, Restarted,
                                     SessionStarted, SlotSet, UserUttered, UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches

ACTION = RemoteAction("action_stage_answer", None)
VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "weeks_since_surgery", "value": 3, "timestamp": None}],
     "responses": [{"text": "You are 3 weeks after surgery."}]},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"name": "a slot without its event type"}]},
    {"events": [{"event": "slot", "timestamp": "yesterday"}]},
    {"responses": ["a bare string, not a response"]},
    ["not", "an", "object"],
]


@pytest.fixture
def patched():
    rasa_patches.apply()
    yield
    rasa_patches.apply()  # as Rasa runs: the tracker store's import applies them


def verdict(result):
    try:
        return ACTION._validate_action_result(result)
    except ValidationError as error:
        return error.message


def test_importing_the_tracker_store_applies_every_patch():
    import bot.storage.tracker_store  # noqa: F401 - what Rasa does at start-up (endpoints.yml)

    assert all(rasa_patches.applied(name) for name in rasa_patches.PATCHES)


@pytest.mark.parametrize("result", VALID + INVALID)
def test_an_action_result_gets_the_same_verdict_and_message_as_from_rasa(patched, result):
    fast = verdict(result)
    rasa_patches.revert("validator")
    assert verdict(result) == fast


@pytest.mark.parametrize("result", VALID)
def test_a_valid_action_result_is_accepted(patched, result):
    assert ACTION._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_action_result_is_still_refused(patched, result):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        ACTION._validate_action_result(result)


def test_event_types_resolve_as_in_rasa(patched):
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("user") is UserUttered  # the remembered answer
    assert Event.resolve_by_type("session_started") is SessionStarted
    assert Event.resolve_by_type("topic") is None  # Rasa drops the legacy event
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_a_tracker_rebuilt_from_stored_events_is_the_same_with_and_without_the_patches(patched):
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
              UserUttered("can i drive?", {"name": "driving", "confidence": 0.9}),
              SlotSet("weeks_since_surgery", 3), ActionExecuted("utter_driving")]
    stored = [event.as_dict() for event in events]
    fast = DialogueStateTracker.from_dict("patient", stored).current_state()
    rasa_patches.revert()
    assert DialogueStateTracker.from_dict("patient", stored).current_state() == fast


# The Rasa functions the patches replace, as Rasa 3.6.21 declares them. A Rasa upgrade that
# changes one fails here: read the patch again before updating the expected signature.
SIGNATURES = {
    "validator": "(self, result: Dict[str, Any]) -> bool",
    "event_types": "(type_name: str, default: Optional[Type[ForwardRef('Event')]] = None)"
                   " -> Optional[Type[ForwardRef('Event')]]",
    "states": "(self, tracker: 'DialogueStateTracker', omit_unset_slots: bool = False,"
              " ignore_rule_only_turns: bool = False, rule_only_data: Optional[Dict[str, Any]] = None)"
              " -> List[Dict[str, MutableMapping[str, Union[str, Tuple[Union[float, str], ...]]]]]",
    "applied_events": "(self) -> List[rasa.shared.core.events.Event]",
}


@pytest.mark.parametrize("name", rasa_patches.PATCHES)
def test_the_patched_functions_of_rasa_have_not_changed(name):
    assert str(rasa_patches.signature(name)) == SIGNATURES[name]


def test_every_patch_is_pinned_here():
    assert set(SIGNATURES) == set(rasa_patches.PATCHES)
    assert rasa_patches.TARGET_RASA == "3.6.21"


def test_a_patch_keeps_the_signature_of_rasas_function(patched):
    assert inspect.signature(RemoteAction._validate_action_result) == rasa_patches.signature("validator")


def conversation_events():
    """A session with what changes states: intents and entities, slots, a form, a hidden rule
    turn, a follow-up action, and an undone user message."""
    def user(text, intent, entities=()):
        return UserUttered(text, {"name": intent, "confidence": 1.0}, list(entities))

    return [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        user("hi", "greet"), ActionExecuted("utter_greet"), ActionExecuted("action_listen"),
        user("my bladder leaks", "red_flag_emergency",
             [{"entity": "red_flag", "value": "cauda_equina", "start": 3, "end": 16}]),
        SlotSet("emergency_advised", True), ActionExecuted("utter_red_flag_emergency", hide_rule_turn=True),
        ActionExecuted("action_listen"), user("call me back", "request_callback"),
        ActionExecuted("callback_form"), ActiveLoop("callback_form"), SlotSet("requested_slot", "callback_consent"),
        ActionExecuted("action_listen"), user("yes", "affirm"), ActionExecuted("callback_form"),
        SlotSet("callback_consent", True), ActiveLoop(None), FollowupAction("utter_ask_callback_name"),
        ActionExecuted("utter_ask_callback_name"), ActionExecuted("action_listen"), user("pardon?", "out_of_scope"),
        UserUtteranceReverted(), ActionExecuted("action_listen"), user("thanks", "thank"),
        ActionExecuted("utter_thank"), ActionExecuted("action_listen"),
    ]


@pytest.mark.parametrize("omit_unset_slots", [False, True])
@pytest.mark.parametrize("ignore_rule_only_turns", [False, True])
def test_the_states_policies_read_are_the_same_after_every_event(patched, domain, omit_unset_slots,
                                                                 ignore_rule_only_turns):
    """The policies' view of the conversation, continued turn by turn on one tracker, equals
    Rasa's replay from the start after every event."""
    rule_only_data = {"slots": ["emergency_advised"], "loops": ["callback_form"]}
    tracker = DialogueStateTracker("patient", domain.slots)
    def options():  # Rasa's graph gives each policy its own copy of the rule-only data
        return dict(omit_unset_slots=omit_unset_slots, ignore_rule_only_turns=ignore_rule_only_turns,
                    rule_only_data=copy.deepcopy(rule_only_data))

    for event in conversation_events():
        tracker.update(event, domain)
        continued = tracker.past_states(domain, **options())
        assert continued == tracker.past_states(domain, **options())  # asked again in the same turn
        rasa_patches.revert("states")
        assert continued == tracker.past_states(domain, **options()), event
        rasa_patches.apply("states")


def test_the_events_that_count_are_the_same_after_every_event(patched, domain):
    """The events not undone, continued on one tracker, equal Rasa's walk from the start."""
    events = conversation_events() + [
        ActionExecuted("utter_greet"), ActionReverted(), ActionExecuted("action_listen"),
        UserUttered("again", {"name": "greet", "confidence": 1.0}), Restarted(),
        ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("callback_form"), ActiveLoop("callback_form"), ActionExecuted("action_listen"),
        UserUttered("yes", {"name": "affirm", "confidence": 1.0}), ActionExecuted("callback_form"),
    ]
    tracker = DialogueStateTracker("patient", domain.slots)
    for event in events:
        tracker.update(event, domain)
        continued = tracker.applied_events()
        assert continued == tracker.applied_events()
        rasa_patches.revert("applied_events")
        assert [id(e) for e in continued] == [id(e) for e in tracker.applied_events()], event
        rasa_patches.apply("applied_events")


def test_jax_cannot_be_imported_once_kept_out():
    import subprocess
    import sys

    script = ("from bot.rasa_patches import keep_jax_out\n"
              "keep_jax_out()\n"
              "try:\n"
              "    import jax\n"
              "except ImportError:\n"
              "    print('no jax')\n")
    from bot.settings import PROJECT_ROOT

    run = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.stdout.strip() == "no jax", run.stderr[-2000:]


def test_every_rasa_process_keeps_jax_out_before_rasa_starts(monkeypatch):
    """bot/tooling/quiet.py starts every Rasa process (make run, the tests' servers, deploy/):
    there jax (65 MB that only TensorFlow's TFLite converter would use, behind an ImportError
    guard) is kept out before Rasa, and so TensorFlow, is imported."""
    import sys

    from bot.tooling import quiet

    calls = []
    monkeypatch.setattr(rasa_patches, "keep_jax_out", lambda: calls.append("jax out"))
    monkeypatch.setattr(quiet, "quiet_warnings", lambda: None)
    monkeypatch.setattr(quiet, "import_skops_before_tensorflow", lambda: None)
    monkeypatch.setattr(quiet.runpy, "run_module", lambda *args, **kwargs: calls.append("rasa"))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    quiet.main(["rasa", "run"])
    assert calls == ["jax out", "rasa"]
