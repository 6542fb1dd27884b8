"""A callback is stored only with consent, and name and number leave the conversation after."""
import asyncio

import pytest

from actions import database
from actions.clinic import ActionSubmitCallback, ValidateCallbackForm


@pytest.fixture
def callbacks(stores):
    return stores.callbacks


SLOTS = {"callback_consent": True, "callback_name": "Sam", "callback_phone": "555-123-4567",
         "callback_time": "mornings"}


def test_request_with_consent_is_stored_and_cleared(callbacks, dispatcher, tracker_for, domain_dict):
    events = ActionSubmitCallback().run(dispatcher, tracker_for("mornings", slots=SLOTS), domain_dict)
    [request] = callbacks.open()
    assert (request.name, request.phone, request.best_time) == ("Sam", "+15551234567", "mornings")
    assert [m["response"] for m in dispatcher.messages] == ["utter_callback_saved"]
    assert {e["name"]: e["value"] for e in events} == dict.fromkeys(SLOTS, None)


def test_request_without_consent_stores_nothing(callbacks, dispatcher, tracker_for, domain_dict):
    ActionSubmitCallback().run(dispatcher, tracker_for("no", slots={**SLOTS, "callback_consent": False}), domain_dict)
    assert callbacks.open() == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_callback_not_saved"]


def test_storage_failure_gives_the_number_instead(monkeypatch, dispatcher, tracker_for, domain_dict):
    monkeypatch.setattr(database, "stores", lambda: (_ for _ in ()).throw(RuntimeError("down")))
    ActionSubmitCallback().run(dispatcher, tracker_for("x", slots=SLOTS), domain_dict)
    assert [m["response"] for m in dispatcher.messages] == ["utter_callback_unavailable"]


@pytest.mark.parametrize("typed, kept", [
    ("555-123-4567", "+15551234567"), ("+1 (555) 123 4567", "+15551234567"),
    ("1 555 123 4567", "+15551234567"), ("+44 20 7946 0958", "+442079460958"),
])
def test_a_number_with_its_area_code_is_kept_in_one_form(dispatcher, tracker_for, domain_dict, typed, kept):
    result = ValidateCallbackForm().validate_callback_phone(typed, dispatcher, tracker_for(), domain_dict)
    assert result == {"callback_phone": kept}
    assert dispatcher.messages == []


@pytest.mark.parametrize("typed", ["call me maybe", "12", "123-4567", "<b>5551234567</b>", "555-123-4567 ext 9"])
def test_a_number_without_area_code_or_with_words_is_asked_again(dispatcher, tracker_for, domain_dict, typed):
    result = ValidateCallbackForm().validate_callback_phone(typed, dispatcher, tracker_for(), domain_dict)
    assert result == {"callback_phone": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_callback_phone"


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
