"""Small patches to Rasa 3.6.21's per-turn work, applied when Rasa loads this project's code.

Rasa imports bot/storage/tracker_store.py at start-up (endpoints.yml names its tracker store
class), and that module calls `apply()`: every `rasa run`, `rasa shell` and the tests' servers
get these patches, and nothing else in the project needs to remember them. Each patch keeps
Rasa's behaviour and only removes repeated work; each is written against Rasa 3.6.21
(`TARGET_RASA`) and refuses to apply to another version, so an upgrade must look at them
again (tests/unit/test_rasa_patches.py also fails when a patched function's signature changes).
Measured in docs/BENCHMARKS.md, "Per-turn cost (issue 17)"; `python -m bot.tooling.turn_profile
--ab NAME` compares each on and off.

- `validator`: after every custom action, Rasa checks the action server's answer with
  `jsonschema.validate(result, schema)`, which first checks the schema itself against the
  2020-12 meta-schema: about 13 ms of CPU per call, blocking the event loop, for a schema that
  never changes. The patch builds the validator once and validates with it, raising the same
  `ValidationError` with the same message Rasa adds.
- `event_types`: rebuilding a tracker from its stored events resolves each event's class with
  `Event.resolve_by_type`, which walks every Event subclass (about 40) for each event, every
  turn, for every earlier event of the session. The patch remembers each name's class once found.
  Names not found yet still go through Rasa's own lookup, so an Event subclass defined later
  (a plug-in) is found as before; only a second class claiming a name already resolved would be
  ignored, which Rasa's own events never do.
- `states`: before each prediction, RulePolicy and MemoizationPolicy turn the conversation into
  one state per past action (`Domain.states_for_tracker_history`), several times per turn, by
  replaying every event of the session from the start: the largest part of a turn's growth with
  each earlier turn. The patch keeps, on the tracker itself, the replay and the states computed
  so far (per domain, options and rule-only data) and continues them with the events added since; when the
  applied events are not a continuation of those (an undo, a restart, a new session), it starts
  again. The last state (the conversation now) is always computed afresh, and each caller gets
  its own list. Only for Rasa's plain trackers (not training's): the trackers a replica keeps
  between turns (bot/storage/tracker_store.py) carry it from one turn to the next.
- `applied_events`: `DialogueStateTracker.applied_events` (the events not undone) walks every
  event of the session, several times per turn. The patch keeps the result on the tracker and
  continues it with the events appended since, with Rasa's own loop body; when the events were
  replaced or shifted, or a new form appears among the new events (its name changes how earlier
  ones read), it walks them all again, as Rasa does.
- `rule_keys`: RulePolicy finds the rules that fit the conversation (`_get_possible_keys`) by
  filtering all its ~370 rules against every past state, newest first, twice per prediction:
  at turn 50 some 40,000 checks, nearly all of them on states older than any rule is long
  (a check that always passes) or on no rule left at all. The patch stops when no rule is left
  or when every rule left is shorter than the states already checked (from there Rasa's check
  passes every rule unchanged), and reads each rule's states once reversed instead of at every
  check, first comparing the action and intent names a rule state requires (where they differ,
  Rasa's full comparison fails too); the rules found are the same set.
- `graph_runner`: each turn Rasa runs its NLU graph once and its policy graph about twice, each
  time through `dask.get`, which orders the graph, pickles each task's arguments and fires it
  through a one-worker pool, all in Python: about a tenth of a turn. The patch runs the same
  nodes, in the order dask's own `dask.order.order` gives (worked out once per graph, targets
  and inputs), each once, with the same arguments (an output, or the name itself when nothing
  provides it, as dask passes it), and returns the same results; errors propagate as from dask.
- `debug_states`: before each rule lookup RulePolicy formats every past state of the conversation
  as text (`format_tracker_states`) for one debug log entry, and deep-copies it, also when debug
  logging is off and the entry is dropped. On RulePolicy only (Rasa's only caller), the patch
  returns an empty text instead when Rasa's structlog set-up would drop the entry (its
  `filter_by_level`, the rule policy's logger not at DEBUG); with `--debug` the text is the same.
"""
from __future__ import annotations

import copy
import functools
import inspect
import itertools
import logging
import sys
from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, List, Optional, Text, Tuple, Type

from rasa.version import __version__ as rasa_version

logger = logging.getLogger(__name__)

TARGET_RASA = "3.6.21"


class _Patch:
    """One function of Rasa replaced by a faster one; `revert` puts Rasa's back (for A/B runs)."""

    def __init__(self, owner: type, attribute: str, make: Callable[[Any], Any],
                 inherited_from: Optional[type] = None) -> None:
        # inherited_from: the class that defines the function, when the patch goes on a subclass
        # (only that subclass's calls get it); revert then removes it from the subclass.
        self.owner, self.attribute, self.make = owner, attribute, make
        self.inherited = inherited_from is not None
        self.original = (inherited_from or owner).__dict__[attribute]
        self.replacement: Optional[Any] = None

    @property
    def applied(self) -> bool:
        return self.replacement is not None and self.owner.__dict__.get(self.attribute) is self.replacement

    def apply(self) -> None:
        if not self.applied:
            self.replacement = self.make(self.original)
            setattr(self.owner, self.attribute, self.replacement)

    def revert(self) -> None:
        if not self.inherited:
            setattr(self.owner, self.attribute, self.original)
        elif self.attribute in self.owner.__dict__:
            delattr(self.owner, self.attribute)


def _validator_patch(original: Callable[..., bool]) -> Callable[..., bool]:
    from jsonschema import ValidationError, validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # what jsonschema.validate did on every call, done once
    validator = cls(schema)

    @functools.wraps(original)
    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        error: Optional[ValidationError] = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    return _validate_action_result


def _event_types_patch(original: staticmethod) -> staticmethod:
    resolve = original.__func__
    known: Dict[Text, type] = {}

    @functools.wraps(resolve)
    def resolve_by_type(type_name: Text, default: Optional[Type[Any]] = None) -> Optional[Type[Any]]:
        found = known.get(type_name)
        if found is not None:
            return found
        try:
            found = resolve(type_name)  # Rasa's walk; raises ValueError for an unknown name
        except ValueError:
            if default is not None:
                return default
            raise
        if found is not None:  # None: the legacy "topic" event, which Rasa drops
            known[type_name] = found
        return found

    return staticmethod(resolve_by_type)


class _States:
    """The states of a tracker's applied events so far, and what continuing them needs: Rasa's
    loop in `Domain.states_for_tracker_history` (3.6.21), cut where it can resume."""

    def __init__(self, domain: Any, tracker: Any, omit_unset_slots: bool,
                 ignore_rule_only_turns: bool, rule_only_data: Optional[Dict[Text, Any]]) -> None:
        self.domain, self.rule_only_data = domain, rule_only_data
        self.omit_unset_slots, self.ignore_rule_only_turns = omit_unset_slots, ignore_rule_only_turns
        self.replay = tracker.init_copy()  # the tracker as of `events`
        self.events: List[Any] = []
        self.states: List[Any] = []
        self.last_ml_action_sub_state: Any = None
        self.turn_was_hidden = False

    def continues(self, applied: List[Any]) -> bool:
        return len(self.events) <= len(applied) and all(
            mine is theirs for mine, theirs in zip(self.events, applied[:len(self.events)], strict=True))

    def extend(self, applied: List[Any]) -> List[Any]:
        from rasa.shared.core.events import ActionExecuted

        for event in applied[len(self.events):]:
            if isinstance(event, ActionExecuted):  # the state before each action
                self.last_ml_action_sub_state, self.turn_was_hidden, state = self._step(
                    self.replay, event.hide_rule_turn, self.last_ml_action_sub_state, self.turn_was_hidden)
                if state is not None:
                    self.states.append(state)
            self.replay.update(event)
            self.events.append(event)
        # The state now, after the last event: computed afresh every time, never kept.
        *_, last = self._step(self.replay, False, self.last_ml_action_sub_state, self.turn_was_hidden)
        return [*self.states, *([] if last is None else [last])]

    def _step(self, tr: Any, hide_rule_turn: bool, last_ml_action_sub_state: Any,
              turn_was_hidden: bool) -> Tuple[Any, bool, Any]:
        """One pass of Rasa's loop body: (last_ml_action_sub_state, turn_was_hidden, state or None)."""
        from rasa.shared.core.constants import PREVIOUS_ACTION

        domain = self.domain
        if self.ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
            if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
                turn_was_hidden = hide_rule_turn
            if turn_was_hidden:
                return last_ml_action_sub_state, turn_was_hidden, None
        state = domain.get_active_state(tr, omit_unset_slots=self.omit_unset_slots)
        if self.ignore_rule_only_turns:
            domain._remove_rule_only_features(state, self.rule_only_data)
            if self.states:
                domain._substitute_rule_only_user_input(state, self.states[-1])
            if last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = last_ml_action_sub_state
        return last_ml_action_sub_state, turn_was_hidden, domain._clean_state(state)


def _states_patch(original: Callable[..., List[Any]]) -> Callable[..., List[Any]]:
    from rasa.shared.core.trackers import DialogueStateTracker

    @functools.wraps(original)
    def states_for_tracker_history(self: Any, tracker: Any, omit_unset_slots: bool = False,
                                   ignore_rule_only_turns: bool = False,
                                   rule_only_data: Optional[Dict[Text, Any]] = None) -> List[Any]:
        if type(tracker) is not DialogueStateTracker:  # training's trackers cache their own
            return original(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        kept: Dict[Any, _States] = tracker.__dict__.setdefault("_rasa_patches_states", {})
        key = (omit_unset_slots, ignore_rule_only_turns)
        applied = tracker.applied_events()
        states = kept.get(key)
        # Rasa's graph hands each policy its own copy of rule_only_data: compared by value.
        if states is None or states.domain is not self or states.rule_only_data != rule_only_data \
                or not states.continues(applied):
            states = kept[key] = _States(self, tracker, omit_unset_slots, ignore_rule_only_turns,
                                         copy.deepcopy(rule_only_data))
        return states.extend(applied)

    return states_for_tracker_history


class _Applied:
    """A tracker's applied events so far and what continuing them needs (Rasa 3.6.21's loop in
    `DialogueStateTracker.applied_events`)."""

    def __init__(self, tracker: Any) -> None:
        from rasa.shared.core.events import ActiveLoop

        self.events = tracker.events  # the deque itself: replaced when the tracker is reset
        self.loop_names = [e.name for e in self.events if isinstance(e, ActiveLoop) and e.name]
        self.applied: List[Any] = []
        self.count = 0
        self.last: Any = None

    def continues(self, tracker: Any) -> bool:
        from rasa.shared.core.events import ActiveLoop

        events = tracker.events
        if events is not self.events or len(events) < self.count or \
                (self.count and events[self.count - 1] is not self.last):
            return False
        return not any(isinstance(e, ActiveLoop) and e.name and e.name not in self.loop_names
                       for e in itertools.islice(events, self.count, None))

    def extend(self, tracker: Any) -> List[Any]:
        from rasa.shared.core.events import (ActionExecuted, ActionReverted, Restarted, SessionStarted,
                                             UserUtteranceReverted, UserUttered)

        applied = self.applied
        for event in itertools.islice(self.events, self.count, None):
            if isinstance(event, (Restarted, SessionStarted)):
                applied = []
            elif isinstance(event, ActionReverted):
                tracker._undo_till_previous(ActionExecuted, applied)
            elif isinstance(event, UserUtteranceReverted):
                tracker._undo_till_previous(UserUttered, applied)
                tracker._undo_till_previous(ActionExecuted, applied)
            elif (isinstance(event, ActionExecuted) and event.action_name in self.loop_names
                  and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)):
                tracker._undo_till_previous_loop_execution(event.action_name, applied)
            else:
                applied.append(event)
            self.count += 1
            self.last = event
        self.applied = applied
        return list(applied)


def _applied_events_patch(original: Callable[..., List[Any]]) -> Callable[..., List[Any]]:
    from rasa.shared.core.trackers import DialogueStateTracker

    @functools.wraps(original)
    def applied_events(self: Any) -> List[Any]:
        if type(self) is not DialogueStateTracker:
            return original(self)
        kept = self.__dict__.get("_rasa_patches_applied")
        if kept is None or not kept.continues(self):
            kept = self.__dict__["_rasa_patches_applied"] = _Applied(self)
        return kept.extend(self)

    return applied_events


MAX_RULE_KEYS = 20_000  # rules whose reversed states `rule_keys` keeps (this model has ~400)


def _rule_keys_patch(original: Callable[..., Any]) -> Callable[..., Any]:
    from rasa.core.policies.rule_policy import SHOULD_NOT_BE_SET, RulePolicy
    from rasa.shared.core.constants import PREVIOUS_ACTION, USER

    rasas_check = RulePolicy.__dict__["_is_rule_applicable"]
    # Per rule, newest state first: (the state, its previous action, the names it requires).
    Step = Tuple[Any, Any, Tuple[Tuple[Text, Text, Text], ...]]
    steps: Dict[Text, List[Step]] = {}

    def required(rule_state: Any) -> Tuple[Tuple[Text, Text, Text], ...]:
        """The action and intent names the state must have: a rule state whose value is set (not
        SHOULD_NOT_BE_SET) fails Rasa's `_does_rule_match_state` wherever the conversation's differs."""
        return tuple((part, name, value) for part in (PREVIOUS_ACTION, USER)
                     for name, value in rule_state.get(part, {}).items()
                     if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET)

    def rule_steps(key: Text) -> List[Step]:
        found = steps.get(key)
        if found is None:
            if len(steps) >= MAX_RULE_KEYS:  # models reloaded with other rules: start again
                steps.clear()
            found = steps[key] = [(rule_state, rule_state.get(PREVIOUS_ACTION), required(rule_state))
                                  for rule_state in reversed(RulePolicy._rule_key_to_state(key))]
        return found

    def by_intent(self: Any, lookup: Dict[Text, Text]) -> Dict[Optional[Text], List[Text]]:
        """The rules by the intent their newest state requires (None: any or none), kept on the
        policy for this lookup: most rules require one intent, so the newest state, which every
        rule is checked against, rules out most of them by one dictionary lookup."""
        kept = self.__dict__.get("_rasa_patches_by_intent")
        if kept is None or kept[0] is not lookup or kept[1] != len(lookup):
            index: Dict[Optional[Text], List[Text]] = defaultdict(list)
            for key in lookup:
                rule = rule_steps(key)
                names = rule[0][2] if rule else ()
                index[next((v for part, name, v in names if part == USER and name == "intent"), None)].append(key)
            kept = self.__dict__["_rasa_patches_by_intent"] = (lookup, len(lookup), dict(index))
        return kept[2]

    @functools.wraps(original)
    def _get_possible_keys(self: Any, lookup: Dict[Text, Text], states: List[Any]) -> Any:
        if type(self)._is_rule_applicable is not rasas_check:  # a subclass's own check
            return original(self, lookup, states)
        match = self._does_rule_match_state
        newest = states[-1] if states else {}
        if newest.get(PREVIOUS_ACTION):  # a rule whose newest state needs another intent fails below
            index = by_intent(self, lookup)
            intent = newest.get(USER, {}).get("intent")
            keys: Iterable[Text] = [*index.get(None, ()), *(index.get(intent, ()) if intent is not None else ())]
        else:
            keys = lookup
        possible = {key: rule_steps(key) for key in keys}
        for i, state in enumerate(reversed(states)):
            if not possible or all(i >= len(rule) for rule in possible.values()):
                break  # nothing left, or Rasa's check passes every rule left from here on
            current_previous_action = state.get(PREVIOUS_ACTION)
            kept = {}
            for key, rule in possible.items():  # Rasa's _is_rule_applicable (3.6.21), inline
                if i >= len(rule):
                    kept[key] = rule
                    continue
                rule_state, rule_previous_action, names = rule[i]
                if not rule_previous_action and not current_previous_action:
                    kept[key] = rule
                elif not rule_previous_action or not current_previous_action:
                    continue
                elif all(state.get(part, {}).get(name) == value for part, name, value in names) \
                        and match(rule_state, state):
                    kept[key] = rule
            possible = kept
        return set(possible)

    return _get_possible_keys


def _graph_runner_patch(original: Callable[..., Dict[Text, Any]]) -> Callable[..., Dict[Text, Any]]:
    import dask.order
    from rasa.engine.exceptions import GraphRunError

    rasas_logger = logging.getLogger("rasa.engine.runner.dask")

    @functools.wraps(original)
    def run(self: Any, inputs: Optional[Dict[Text, Any]] = None,
            targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        plans = self.__dict__.setdefault("_rasa_patches_plans", {})
        plan_key = (tuple(run_targets), tuple(inputs or ()))
        plan = plans.get(plan_key)
        if plan is None:
            # The graph Rasa builds (with the inputs' names), in dask's order: each node's
            # callable and what it needs.
            graph = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
            self._add_inputs_to_graph(dict.fromkeys(inputs or (), None), graph)
            priority = dask.order.order(graph)
            plan = plans[plan_key] = [
                (name, graph[name][0], [(need, need in graph) for need in graph[name][1:]])
                for name in sorted(graph, key=priority.__getitem__) if name not in (inputs or {})]
        if inputs:
            self._add_inputs_to_graph(inputs, {name: None for name, _, _ in plan})  # Rasa's clash check
        rasas_logger.debug("Running graph with inputs: %s, targets: %s and %s.", inputs, targets,
                           self._execution_context)
        values: Dict[Text, Any] = {name: (name, value) for name, value in (inputs or {}).items()}
        try:
            for name, node, needs in plan:
                values[name] = node(*[values[need] if known else need for need, known in needs])
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(values[target] for target in run_targets)

    return run


def _debug_states_patch(original: staticmethod) -> staticmethod:
    import structlog

    format_states = original.__func__
    rule_policy_logger = logging.getLogger("rasa.core.policies.rule_policy")

    @functools.wraps(format_states)
    def format_tracker_states(states: List[Any]) -> Text:
        # Rasa's structlog setup drops a debug entry when the calling module's logger is not
        # enabled for DEBUG (`filter_by_level`); only then is the text not needed.
        if structlog.stdlib.filter_by_level in structlog.get_config()["processors"] and \
                not rule_policy_logger.isEnabledFor(logging.DEBUG):
            return ""
        return format_states(states)

    return staticmethod(format_tracker_states)


def _patches() -> Dict[str, _Patch]:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.policy import Policy
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    return {
        "validator": _Patch(RemoteAction, "_validate_action_result", _validator_patch),
        "event_types": _Patch(Event, "resolve_by_type", _event_types_patch),
        "states": _Patch(Domain, "states_for_tracker_history", _states_patch),
        "applied_events": _Patch(DialogueStateTracker, "applied_events", _applied_events_patch),
        "rule_keys": _Patch(RulePolicy, "_get_possible_keys", _rule_keys_patch),
        "graph_runner": _Patch(DaskGraphRunner, "run", _graph_runner_patch),
        "debug_states": _Patch(RulePolicy, "format_tracker_states", _debug_states_patch, inherited_from=Policy),
    }


@functools.lru_cache(maxsize=1)
def _all() -> Dict[str, _Patch]:
    return _patches()


PATCHES = ("validator", "event_types", "states", "applied_events", "rule_keys", "graph_runner", "debug_states")


def signature(name: str) -> inspect.Signature:
    """The signature of Rasa's own function that patch `name` replaces (the tests pin it)."""
    original = _all()[name].original
    return inspect.signature(original.__func__ if isinstance(original, staticmethod) else original)


def apply(*names: str) -> None:
    """Apply the named patches (all when none is named); a Rasa other than TARGET_RASA gets none."""
    if rasa_version != TARGET_RASA:
        logger.warning("Rasa %s, not %s: bot/rasa_patches.py applies no patch.", rasa_version, TARGET_RASA)
        return
    for name in names or PATCHES:
        _all()[name].apply()


def revert(*names: str) -> None:
    """Put Rasa's own functions back (the profiler's A/B runs, the tests)."""
    for name in names or PATCHES:
        _all()[name].revert()


def forget(tracker: Any) -> None:
    """Drop what the patches keep on `tracker` (its replays and states), e.g. when a replica stops
    keeping it between turns: about 100 KB for a conversation of 10 turns."""
    tracker.__dict__.pop("_rasa_patches_states", None)
    tracker.__dict__.pop("_rasa_patches_applied", None)


def applied(name: str) -> bool:
    return _all()[name].applied


class KeptOut:
    """An import hook that makes importing the named top-level packages fail as if they were not
    installed (jax here; TensorFlow's family in bot/without_tensorflow.py). `by` names the module
    that keeps them out, in the ImportError's message."""

    def __init__(self, packages: Tuple[str, ...], by: str) -> None:
        self.packages, self.by = packages, by

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in self.packages:
            raise ImportError(f"{name} is kept out of the Rasa server ({self.by})")


JAX = ("jax", "jaxlib")


def keep_jax_out() -> None:
    """Before TensorFlow is imported: TensorFlow 2.12 imports jax when it is installed (only
    its TFLite converter would use it: `try: from jax import ... except ImportError`), and
    jax with jaxlib is installed only because TensorFlow's package requires it. Neither Rasa
    3.6 nor this project runs jax; not importing it saves about 65 MB in every Rasa process.
    bot/tooling/quiet.py calls this first, for every Rasa process the project starts."""
    if not any(isinstance(finder, KeptOut) and finder.packages == JAX for finder in sys.meta_path):
        sys.meta_path.insert(0, KeptOut(JAX, "bot/rasa_patches.py"))
