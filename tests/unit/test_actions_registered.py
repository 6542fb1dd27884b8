"""The domain and the action server agree on the custom actions.

An action the domain lists but the server lacks fails the turn that predicts it ("No registered
action found"); an action the server has but the domain lacks can never be predicted.
"""
from __future__ import annotations

from typing import Set

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain_actions() -> Set[str]:
    """The custom actions under `actions:` in domain.yml (responses are not actions the server runs)."""
    domain = yaml.load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    names: Set[str] = set()
    for entry in domain.get("actions") or []:
        names.update(entry if isinstance(entry, dict) else [entry])  # `- name` or `- name: {send_domain: true}`
    return {name for name in names if not name.startswith("utter_")}


@pytest.fixture(scope="module")
def registered() -> Set[str]:
    """What `rasa_sdk --actions actions` serves: every Action subclass in the package, by name."""
    executor = ActionExecutor()
    executor.register_package("actions")
    # The executor registers every Action subclass imported in this process; a test module
    # that defines one is not the server's.
    return {name for name, run in executor.actions.items()
            if not type(getattr(run, "__self__", None)).__module__.startswith(("tests.", "test_"))}


def test_the_domain_lists_custom_actions(domain_actions):
    assert domain_actions, "domain.yml lists no custom action: is `actions:` still there?"


def test_every_domain_action_is_registered_by_the_action_server(domain_actions, registered):
    missing = domain_actions - registered
    assert not missing, f"in domain.yml but no Action in actions/ has this name(): {sorted(missing)}"


def test_every_registered_action_is_in_the_domain(domain_actions, registered):
    unlisted = registered - domain_actions
    assert not unlisted, f"registered by actions/ but not under `actions:` in domain.yml: {sorted(unlisted)}"


def test_every_action_says_what_the_patient_hears_when_no_action_server_answers(domain_actions):
    """bot/action_fallbacks.py: each custom action has a fallback answer or a reason for none,
    so a new action cannot silently turn an action-server outage into an empty reply."""
    from bot.action_fallbacks import FALLBACKS, NO_FALLBACK

    assert set(FALLBACKS) | set(NO_FALLBACK) == domain_actions
    assert not set(FALLBACKS) & set(NO_FALLBACK)
