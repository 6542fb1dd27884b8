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
"""
from __future__ import annotations

import functools
import inspect
import logging
from typing import Any, Callable, Dict, Optional, Text, Type

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


def _patches() -> Dict[str, _Patch]:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    return {
        "validator": _Patch(RemoteAction, "_validate_action_result", _validator_patch),
        "event_types": _Patch(Event, "resolve_by_type", _event_types_patch),
    }


@functools.lru_cache(maxsize=1)
def _all() -> Dict[str, _Patch]:
    return _patches()


PATCHES = ("validator", "event_types")


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


def applied(name: str) -> bool:
    return _all()[name].applied
