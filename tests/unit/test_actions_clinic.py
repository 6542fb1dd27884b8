"""A callback is stored only with consent, and name and number leave the conversation after."""
import asyncio

import pytest

from actions import database
from actions.clinic import ActionSubmitCallback, ValidateCallbackForm, clean_phone
from bot.storage import CallbackRepository, create_engine


@pytest.fixture
def callbacks(tmp_path, monkeypatch):
    repository = CallbackRepository(create_engine(f"sqlite:///{tmp_path / 'test.db'}"), "test-key")
    monkeypatch.setattr(database, "callbacks", lambda: repository)
    return repository


SLOTS = {"callback_consent": True, "callback_name": "Sam", "callback_phone": "555-123-4567", "callback_time": "mornings"}


def test_request_with_consent_is_stored_and_cleared(callbacks, dispatcher, tracker_for, domain_dict):
    events = ActionSubmitCallback().run(dispatcher, tracker_for("mornings", slots=SLOTS), domain_dict)
    [request] = callbacks.open()
    assert (request.name, request.phone, request.best_time) == ("Sam", "555-123-4567", "mornings")
    assert [m["response"] for m in dispatcher.messages] == ["utter_callback_saved"]
    assert {e["name"]: e["value"] for e in events} == dict.fromkeys(SLOTS, None)


def test_request_without_consent_stores_nothing(callbacks, dispatcher, tracker_for, domain_dict):
    ActionSubmitCallback().run(dispatcher, tracker_for("no", slots={**SLOTS, "callback_consent": False}), domain_dict)
    assert callbacks.open() == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_callback_not_saved"]


def test_storage_failure_gives_the_number_instead(monkeypatch, dispatcher, tracker_for, domain_dict):
    monkeypatch.setattr(database, "callbacks", lambda: (_ for _ in ()).throw(RuntimeError("down")))
    ActionSubmitCallback().run(dispatcher, tracker_for("x", slots=SLOTS), domain_dict)
    assert [m["response"] for m in dispatcher.messages] == ["utter_callback_unavailable"]


@pytest.mark.parametrize("typed, kept", [
    ("555-123-4567", "555-123-4567"), ("+1 (555) 123 4567", "+1 (555) 123 4567"),
    ("call me maybe", ""), ("12", ""), ("<b>5551234567</b>", ""),
])
def test_phone_must_look_like_a_phone_number(typed, kept):
    assert clean_phone(typed) == kept


def test_invalid_phone_is_asked_again(dispatcher, tracker_for, domain_dict):
    result = ValidateCallbackForm().validate_callback_phone("not a number", dispatcher, tracker_for(), domain_dict)
    assert result == {"callback_phone": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_callback_phone"


def test_no_consent_asks_nothing_more(dispatcher, tracker_for, domain_dict):
    form = ValidateCallbackForm()
    slots = list(SLOTS)
    declined = tracker_for("no", slots={"callback_consent": False})
    agreed = tracker_for("yes", slots={"callback_consent": True})
    assert asyncio.run(form.required_slots(slots, dispatcher, declined, domain_dict)) == ["callback_consent"]
    assert asyncio.run(form.required_slots(slots, dispatcher, agreed, domain_dict)) == slots
