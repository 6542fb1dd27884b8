"""Responses carry the configured clinic number, and the first reply carries the disclaimer."""
import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.responses import ClinicResponseGenerator
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def tracker(domain, *events):
    return DialogueStateTracker.from_events("p1", [SessionStarted(), *events], domain.slots)


def generate(domain, name, tracker_, **kwargs):
    return asyncio.run(ClinicResponseGenerator(domain=domain).generate(name, tracker_, "rest", **kwargs))


def test_first_reply_starts_with_the_disclaimer(domain):
    reply = generate(domain, "utter_greet", tracker(domain, UserUttered("hi")))
    assert reply["text"].startswith("I'm a chat bot, not a doctor. I give general information, not medical advice.")
    assert "call 911" in reply["text"].split("\n\n")[0]


def test_later_replies_have_no_disclaimer(domain):
    said = tracker(domain, UserUttered("hi"), ActionExecuted("utter_greet"), BotUttered("Hi!"), UserUttered("thanks"))
    reply = generate(domain, "utter_thank", said)
    assert "not medical advice" not in reply["text"]


def test_clinic_number_comes_from_settings(domain, monkeypatch):
    monkeypatch.setenv("CLINIC_PHONE", "555-010-0199")
    monkeypatch.setenv("CLINIC_NAME", "Lakeside Spine")
    reply = generate(domain, "utter_contact_clinic", tracker(domain, UserUttered("number?")))
    assert "Lakeside Spine at 555-010-0199" in reply["text"]
    assert "844-288-7474" not in reply["text"]


def test_default_number_is_written_exactly(domain, monkeypatch):
    monkeypatch.delenv("CLINIC_PHONE", raising=False)
    reply = generate(domain, "utter_contact_clinic", tracker(domain, UserUttered("number?")))
    assert "844-288-7474" in reply["text"]


def test_no_response_template_hard_codes_the_number(domain):
    for name, variations in domain.responses.items():
        for variation in variations:
            assert "844" not in str(variation), f"{name} hard-codes the clinic number"


def later(domain, text):
    return tracker(domain, UserUttered("hi"), BotUttered("Hi!"), UserUttered(text))


def test_urgent_advice_gives_the_surgeons_line_and_what_to_do_when_the_office_is_closed(domain, monkeypatch):
    monkeypatch.setenv("CLINIC_PHONE", "555-010-0199")
    monkeypatch.setenv("SURGEON_OFFICE_PHONE", "555-010-0200")
    monkeypatch.delenv("AFTER_HOURS_PHONE", raising=False)
    reply = generate(domain, "utter_red_flag_urgent", later(domain, "my wound is red and hot"))
    assert "today: 555-010-0200" in reply["text"]
    assert "If the office is closed, go to urgent care or an emergency room." in reply["text"]
    assert reply["buttons"][0]["url"] == "tel:+15550100200"


def test_an_after_hours_line_replaces_urgent_care_when_the_clinic_sets_one(domain, monkeypatch):
    monkeypatch.setenv("AFTER_HOURS_PHONE", "555-010-0300")
    reply = generate(domain, "utter_red_flag_urgent", later(domain, "fever 38.9"))
    assert "If the office is closed, call the after-hours line at 555-010-0300." in reply["text"]
    assert "urgent care" not in reply["text"]


def test_without_a_surgeons_line_the_general_line_is_given(domain, monkeypatch):
    monkeypatch.delenv("SURGEON_OFFICE_PHONE", raising=False)
    monkeypatch.setenv("CLINIC_PHONE", "555-010-0199")
    reply = generate(domain, "utter_red_flag_urgent_reminder", later(domain, "no"))
    assert "555-010-0199" in reply["text"] and "{" not in reply["text"]
