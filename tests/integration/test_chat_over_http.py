"""Starts the real action server and Rasa server the way `make run` does and chats over HTTP."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.servers, pytest.mark.model]


def test_timeline_question_gets_the_weeks_long_answer(servers):
    answer = servers.ask("patient-1", "how long will my leg hurt?")
    assert "not medical advice" in answer  # first reply of the conversation
    assert "The next few weeks" in answer and "4 to 6 weeks" in answer
    assert "longer than 6 weeks" in answer


def test_answer_from_a_custom_action(servers):
    answer = servers.ask("patient-2", "im 3 weeks out from my microdiscectomy and my leg still hurts, is that normal?")
    assert "You are 3 weeks after surgery" in answer


def test_conversation_continues_without_repeating_the_disclaimer(servers):
    servers.say("patient-3", "hello")
    answer = servers.ask("patient-3", "can i drive?")
    assert "Don't drive until your doctor says it is OK" in answer
    assert "not medical advice" not in answer


def test_escalation_is_stored_for_staff(servers, capsys, monkeypatch):
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", servers.settings.database_url)
    answer = servers.ask("patient-4", "i peed myself and didnt feel it")
    assert "Call 911 now" in answer
    assert main(["escalations", "--since", "1h"]) == 0
    listing = capsys.readouterr().out
    assert "emergency" in listing and "bladder_bowel_control" in listing
    assert "patient-4" not in listing and "peed" not in listing


def test_after_the_screening_the_conversation_goes_on(servers):
    assert "two quick questions" in servers.ask("patient-5", "my leg pain is getting worse")
    servers.ask("patient-5", "no")
    routine = servers.ask("patient-5", "no not really")
    assert "don't point to a warning sign" in routine
    assert "didn't understand" not in routine
    after = servers.ask("patient-5", "thanks")
    assert "You're welcome" in after and "Do you have any of these" not in after
    assert "two quick questions" in servers.ask("patient-5", "my leg is hurting more again")


def test_callback_request_is_stored_and_the_conversation_goes_on(servers):
    assert "Is that OK?" in servers.ask("patient-6", "can someone call me back")
    assert "What name" in servers.ask("patient-6", "yes")
    assert "What phone number" in servers.ask("patient-6", "Sam")
    assert "10 digits" in servers.ask("patient-6", "not a number")
    assert "best time" in servers.ask("patient-6", "555 123 4567")
    assert "request is saved" in servers.ask("patient-6", "weekday mornings")
    assert "You're welcome" in servers.ask("patient-6", "thank you")


@pytest.mark.parametrize(
    "message",
    ["", " ", "x" * 10_000, "<script>alert(1)</script>", "🦵😣🤕", "¿Es normal el dolor de pierna?", "/unknown_button"],
    ids=["empty", "blank", "10000-chars", "html", "emoji", "spanish", "unknown-button"],
)
def test_bad_input_gets_a_polite_answer(servers, message):
    replies = servers.say("patient-odd", message)
    assert replies, "the patient must always get an answer"
    assert all(r.get("text") for r in replies)


def test_a_message_it_cannot_read_offers_the_symptom_check(servers):
    """It may tell a warning sign in words the assistant does not know: the fallback says what to do
    in an emergency, and its button starts the screening questions."""
    replies = servers.say("patient-9", "Wie lange dauern die Schmerzen im Bein?")
    text = " ".join(r.get("text") or "" for r in replies)
    assert "didn't understand" in text and "call 911" in text
    buttons = [b for r in replies for b in r.get("buttons") or []]
    assert [b["title"] for b in buttons] == ["Check my symptoms"]
    assert "two quick questions" in servers.ask("patient-9", buttons[0]["payload"])


def test_two_questions_get_both_answers_in_one_reply(servers):
    """One bot utterance; the REST channel sends each paragraph of it as a message of its own."""
    answer = servers.ask("patient-7", "when can I drive? and can I pick up my toddler?")
    assert "Don't drive until your doctor says it is OK" in answer and "don't lift heavy things" in answer
    assert "Sorry" not in answer


def test_a_red_flag_among_the_questions_is_answered_first(servers):
    answer = servers.ask("patient-8", "my calf is swollen and really tender. can I still take my pain meds?")
    assert "This needs a doctor's attention today" in answer and "Take it just the way your doctor tells you" in answer
    assert answer.index("attention today") < answer.index("Take it just the way")
    assert "If the office is closed, go to urgent care" in answer


def test_this_is_normal_ends_with_when_to_call_over_http(servers):
    """The answers made from other responses are filled in by the server too, which loads its
    responses after creating the generator."""
    answer = servers.ask("patient-10", "is it normal to still have leg pain after surgery?")
    assert "Call 911 now if you can't pass urine" in answer

