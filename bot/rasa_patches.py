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
"""
from __future__ import annotations

import copy
import functools
import inspect
import itertools
import logging
import sys
from typing import Any, Callable, Dict, List, Optional, Text, Tuple, Type

from rasa.version import __version__ as rasa_version

logger = logging.getLogger(__name__)

TARGET_RASA = "3.6.21"


class _Patch:
    """One function of Rasa replaced by a faster one; `revert` puts Rasa's back (for A/B runs)."""

    def __init__(self, owner: type, attribute: str, make: Callable[[Any], Any]) -> None:
        self.owner, self.attribute, self.make = owner, attribute, make
        self.original = owner.__dict__[attribute]
        self.replacement: Optional[Any] = None

    @property
    def applied(self) -> bool:
        return self.replacement is not None and self.owner.__dict__[self.attribute] is self.replacement

    def apply(self) -> None:
        if not self.applied:
            self.replacement = self.make(self.original)
            setattr(self.owner, self.attribute, self.replacement)

    def revert(self) -> None:
        setattr(self.owner, self.attribute, self.original)


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


def _patches() -> Dict[str, _Patch]:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    return {
        "validator": _Patch(RemoteAction, "_validate_action_result", _validator_patch),
        "event_types": _Patch(Event, "resolve_by_type", _event_types_patch),
        "states": _Patch(Domain, "states_for_tracker_history", _states_patch),
        "applied_events": _Patch(DialogueStateTracker, "applied_events", _applied_events_patch),
    }


@functools.lru_cache(maxsize=1)
def _all() -> Dict[str, _Patch]:
    return _patches()


PATCHES = ("validator", "event_types", "states", "applied_events")


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


class _NoJax:
    """An import hook that makes `import jax` fail as if jax were not installed."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in ("jax", "jaxlib"):
            raise ImportError(f"{name} is kept out of the Rasa server (bot/rasa_patches.py)")


def keep_jax_out() -> None:
    """Before TensorFlow is imported: TensorFlow 2.12 imports jax when it is installed (only
    its TFLite converter would use it: `try: from jax import ... except ImportError`), and
    jax with jaxlib is installed only because TensorFlow's package requires it. Neither Rasa
    3.6 nor this project runs jax; not importing it saves about 65 MB in every Rasa process.
    bot/tooling/quiet.py calls this first, for every Rasa process the project starts."""
    if not any(isinstance(finder, _NoJax) for finder in sys.meta_path):
        sys.meta_path.insert(0, _NoJax())
