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
    "rule_keys": "(self, lookup: 'Dict[Text, Text]', states: 'List[State]') -> 'Set[Text]'",
    "graph_runner": "(self, inputs: 'Optional[Dict[Text, Any]]' = None,"
                    " targets: 'Optional[List[Text]]' = None) -> 'Dict[Text, Any]'",
    "debug_states": "(states: 'List[Dict]') -> 'Text'",
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

    from bot import without_tensorflow

    calls = []
    monkeypatch.setattr(rasa_patches, "keep_jax_out", lambda: calls.append("jax out"))
    monkeypatch.setattr(without_tensorflow, "keep_out_if_safe", lambda args: calls.append(("tensorflow?", args)))
    monkeypatch.setattr(quiet, "quiet_warnings", lambda: None)
    monkeypatch.setattr(quiet, "import_skops_before_tensorflow", lambda: None)
    monkeypatch.setattr(quiet.runpy, "run_module", lambda *args, **kwargs: calls.append("rasa"))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    quiet.main(["rasa", "run", "--model", "models"])
    # TensorFlow kept out or not (bot/without_tensorflow.py) is decided before Rasa starts, too
    assert calls == ["jax out", ("tensorflow?", ["run", "--model", "models"]), "rasa"]


def rules_from(states):
    """Rule keys as RulePolicy stores them (json of its states), cut from a conversation's states:
    every window of 1 to 4 states, also with a feature dropped, a slot that must not be set, and
    a conversation start, so rules match, fail and run out at every depth."""
    import json

    from rasa.core.policies.rule_policy import SHOULD_NOT_BE_SET
    from rasa.shared.core.constants import PREVIOUS_ACTION, SLOTS

    rules = set()
    for end in range(1, len(states) + 1):
        for length in range(1, 5):
            window = copy.deepcopy(states[max(0, end - length):end])
            rules.add(json.dumps(window))
            if window[0].get(PREVIOUS_ACTION):
                rules.add(json.dumps([{}] + window[1:]))  # conversation_start: true
            last = window[-1]
            for part in list(last):
                rules.add(json.dumps(window[:-1] + [{k: v for k, v in last.items() if k != part}]))
            rules.add(json.dumps(window[:-1] + [{**last, SLOTS: {"emergency_advised": SHOULD_NOT_BE_SET}}]))
    return sorted(rules)


def test_the_rules_that_fit_are_the_same_after_every_event(patched, domain):
    """RulePolicy's rules that fit the conversation, for every state history of a test
    conversation against rules cut from it, equal Rasa's own filter's."""
    from rasa.core.policies.rule_policy import RulePolicy

    tracker = DialogueStateTracker("patient", domain.slots)
    histories = []
    for event in conversation_events():
        tracker.update(event, domain)
        histories.append(tracker.past_states(domain))
    lookup = dict.fromkeys(rules_from(histories[-1]), "utter_greet")
    policy = RulePolicy.__new__(RulePolicy)  # the filter reads no configuration
    found = []
    for states in histories:
        fast = policy._get_possible_keys(lookup, states)
        rasa_patches.revert("rule_keys")
        assert fast == policy._get_possible_keys(lookup, states)
        rasa_patches.apply("rule_keys")
        found.append(len(fast))
    assert max(found) > 0 and min(found) < len(lookup)  # some rules fit, some do not


def graph_runner(tmp_path):
    """A small graph like Rasa's: an input, a chain, two branches joined, a node whose input is
    not provided (dask passes its name)."""
    from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    class Step(GraphComponent):
        calls = []

        @classmethod
        def create(cls, config, model_storage, resource, execution_context):
            return cls(config)

        def __init__(self, config):
            self.label = config["label"]

        def run(self, **inputs):
            Step.calls.append(self.label)
            if inputs.get("x") == "fail":
                raise RuntimeError("failed")
            return [self.label, {k: inputs[k] for k in sorted(inputs)}]

    def node(label, needs, target=False):
        return SchemaNode(needs=needs, uses=Step, constructor_name="create", fn="run",
                          config={"label": label}, is_target=target)

    schema = GraphSchema({
        "a": node("a", {"x": "__input__"}),
        "b": node("b", {"x": "a"}),
        "c": node("c", {"x": "a", "y": "__input__"}),
        "d": node("d", {"x": "b", "y": "c"}, target=True),
        "e": node("e", {"x": "missing"}, target=True),
    })
    return DaskGraphRunner(schema, LocalModelStorage(tmp_path), ExecutionContext(schema, "test")), Step


def test_the_graph_runs_the_same_nodes_in_the_same_order_with_the_same_results(patched, tmp_path):
    from rasa.engine.exceptions import GraphComponentException, GraphRunError

    runner, step = graph_runner(tmp_path)
    for inputs, targets in [({"__input__": 1}, ["d"]), ({"__input__": "two"}, None), ({"__input__": 3}, ["b", "c"])]:
        results = []
        for arm in ("patched", "rasa", "patched again"):
            if arm == "rasa":
                rasa_patches.revert("graph_runner")
            step.calls.clear()
            try:
                outcome = runner.run(inputs, targets)
            except GraphRunError as error:  # "missing" has no output: both refuse the same way
                outcome = (type(error).__name__, str(error))
            results.append((outcome, list(step.calls)))
            rasa_patches.apply("graph_runner")
        assert results[0] == results[1] == results[2], (inputs, targets)
    for _arm in ("patched", "rasa"):  # an error in a node: the same exception, its cause kept
        with pytest.raises(GraphComponentException, match="Error running graph component for node a") as raised:
            runner.run({"__input__": "fail"}, ["b"])
        assert str(raised.value.__cause__) == "failed"
        rasa_patches.revert("graph_runner")
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        runner.run({"__input__": "a"}, ["b"])
    rasa_patches.apply("graph_runner")
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        runner.run({"__input__": "a"}, ["b"])


def test_rule_states_are_formatted_whenever_the_debug_entry_is_kept(patched):
    """RulePolicy's states as text, for its debug entry: the same text whenever the entry is
    logged; none when Rasa's structlog set-up drops it."""
    import logging

    import structlog
    from rasa.core.policies.policy import Policy
    from rasa.core.policies.rule_policy import RulePolicy

    states = [{}, {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
    text = Policy.format_tracker_states(states)
    assert text and "greet" in text
    saved, logger = structlog.get_config(), logging.getLogger("rasa.core.policies.rule_policy")
    level = logger.level
    try:
        structlog.reset_defaults()  # not configured: every entry is printed
        assert RulePolicy.format_tracker_states(states) == text
        structlog.configure(processors=[structlog.stdlib.filter_by_level, *saved["processors"]])
        logger.setLevel(logging.DEBUG)  # `rasa run --debug`
        assert RulePolicy.format_tracker_states(states) == text
        logger.setLevel(logging.INFO)  # `rasa run`: the entry is dropped
        assert RulePolicy.format_tracker_states(states) == ""
        assert Policy.format_tracker_states(states) == text  # only RulePolicy's lookup changes
        rasa_patches.revert("debug_states")
        assert RulePolicy.format_tracker_states(states) == text
    finally:
        structlog.configure(**saved)
        logger.setLevel(level)
