"""Responses carry the configured clinic number, the first reply carries the disclaimer, and the first
response of a turn answers the message's other questions."""
import asyncio

import pytest
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.responses import ClinicResponseGenerator, other_answers


def tracker(domain, *events):
    return DialogueStateTracker.from_events("p1", [SessionStarted(), *events], domain.slots)


def served(domain):
    """The generator as the Rasa server makes it: created before the model is loaded, with no
    domain, and given the model's responses afterwards (rasa.core.agent.Agent.load_model)."""
    generator = ClinicResponseGenerator(domain=None)
    generator.responses = domain.responses
    return generator


def generate(domain, name, tracker_, **kwargs):
    return asyncio.run(served(domain).generate(name, tracker_, "rest", **kwargs))


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


# --- several questions in one message (docs/NLU.md) ---------------------------------------------

def asked(text, intent, *questions):
    """The patient's message, classified `intent`, listing `questions` as the classifier does."""
    listed = [{"text": f"part {i}", "intent": q, "confidence": 0.9} for i, q in enumerate(questions)]
    parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "questions": listed}
    return UserUttered(text, parse["intent"], [], parse)


def later_turn(domain, message, *events):
    """A turn after the first reply (no disclaimer), with `events` already run in it."""
    return tracker(domain, UserUttered("hi"), BotUttered("Hi!"), message, *events)


def answer_text(domain, name):
    return generate(domain, name, later(domain, "x"))["text"]


def test_the_other_question_is_answered_in_the_same_reply(domain):
    message = asked("when can I drive? and can I pick up my toddler?", "lifestyle_driving",
                    "lifestyle_driving", "lifestyle_lifting")
    reply = generate(domain, "utter_lifestyle_driving", later_turn(domain, message))
    assert reply["text"] == (f"{answer_text(domain, 'utter_lifestyle_driving')}\n\n"
                             f"{answer_text(domain, 'utter_lifestyle_lifting')}")


def test_on_the_first_reply_the_disclaimer_comes_first_then_every_answer(domain):
    message = asked("can I drive? can I lift?", "lifestyle_lifting", "lifestyle_driving", "lifestyle_lifting")
    parts = generate(domain, "utter_lifestyle_lifting", tracker(domain, message))["text"].split("\n\n")
    assert parts[0].startswith("I'm a chat bot, not a doctor")
    assert parts[1:] == [answer_text(domain, "utter_lifestyle_lifting"), answer_text(domain, "utter_lifestyle_driving")]


def test_red_flag_advice_comes_first_and_is_never_added_twice(domain):
    message = asked("my calf is swollen. can I take my pain meds?", "red_flag_urgent",
                    "red_flag_urgent", "manage_medication", "pain_worsening")
    reply = generate(domain, "utter_red_flag_urgent", later_turn(domain, message))["text"]
    assert reply.startswith("This needs a doctor's attention today.")
    assert reply.endswith(answer_text(domain, "utter_manage_medication"))
    assert reply.count("attention today") == 1 and "two quick questions" not in reply


def test_some_leg_pain_is_common_never_follows_safety_advice(domain):
    message = asked("numb between my legs, is that normal? how long will it last", "red_flag_emergency",
                    "red_flag_emergency", "leg_pain_normal", "duration_overview")
    reply = generate(domain, "utter_red_flag_emergency", later_turn(domain, message))["text"]
    assert "Some leg pain after a microdiscectomy is common" not in reply
    assert reply.endswith(answer_text(domain, "utter_duration_overview"))


@pytest.mark.parametrize("response, intent", [
    ("utter_screening_intro", "pain_worsening"),              # the screening announces its questions
    ("utter_ask_screen_emergency", "pain_worsening"),
    ("utter_ask_callback_consent", "request_callback"),       # a question to the patient
])
def test_questions_to_the_patient_carry_no_other_answers(domain, response, intent):
    message = asked("text", intent, intent, "lifestyle_driving")
    assert generate(domain, response, later_turn(domain, message))["text"] == answer_text(domain, response)


def test_only_the_first_response_of_a_turn_carries_the_other_answers(domain):
    message = asked("when should I worry? can I drive?", "when_to_seek_care", "when_to_seek_care", "lifestyle_driving")
    turn = later_turn(domain, message, ActionExecuted("utter_when_to_seek_care"), BotUttered("See a doctor if..."))
    reply = generate(domain, "utter_warning_signs_all", turn)
    assert reply["text"] == answer_text(domain, "utter_warning_signs_all")


def test_no_other_answers_while_a_form_is_running(domain):
    message = asked("Sam, and can I drive?", "lifestyle_driving", "lifestyle_driving", "lifestyle_lifting")
    turn = later_turn(domain, message, ActiveLoop("callback_form"))
    assert generate(domain, "utter_invalid_callback_phone", turn)["text"] == answer_text(
        domain, "utter_invalid_callback_phone")


def test_the_fallback_gives_way_to_the_answers_it_did_understand(domain):
    message = asked("drive?? lift?? sit??", "nlu_fallback",
                    "lifestyle_driving", "lifestyle_lifting", "lifestyle_sitting")
    reply = generate(domain, "utter_default", later_turn(domain, message))["text"]
    assert "didn't understand" not in reply
    assert reply.split("\n\n") == [answer_text(domain, f"utter_{n}") for n in
                                   ("lifestyle_driving", "lifestyle_lifting", "lifestyle_sitting")]


def test_a_message_without_questions_gets_its_one_answer(domain):
    message = UserUttered("can I drive?", {"name": "lifestyle_driving", "confidence": 0.9})
    assert generate(domain, "utter_lifestyle_driving", later_turn(domain, message))["text"] == answer_text(
        domain, "utter_lifestyle_driving")


RESPONSES = ["utter_lifestyle_driving", "utter_lifestyle_lifting", "utter_lifestyle_sitting", "utter_manage_medication",
             "utter_leg_pain_normal", "utter_greet", "utter_red_flag_urgent", "utter_contact_clinic"]


def questions(*intents):
    return [{"text": i, "intent": i, "confidence": 0.9} for i in intents]


@pytest.mark.parametrize("listed, added", [
    (("lifestyle_driving", "lifestyle_lifting"), ["utter_lifestyle_lifting"]),     # the main one is answered
    (("lifestyle_lifting", "lifestyle_driving"), ["utter_lifestyle_lifting"]),     # in message order
    (("greet", "lifestyle_lifting"), ["utter_lifestyle_lifting"]),                 # small talk is not answered
    (("request_callback", "lifestyle_lifting"), ["utter_lifestyle_lifting"]),      # no plain answer: a form
    (("red_flag_urgent", "pain_worsening"), []),                                   # safety is never an add-on
    (("lifestyle_lifting", "lifestyle_sitting", "manage_medication"),              # three answers in all
     ["utter_lifestyle_lifting", "utter_lifestyle_sitting"]),
])
def test_other_answers(listed, added):
    assert other_answers("utter_lifestyle_driving", "lifestyle_driving", questions(*listed), RESPONSES) == added


def test_other_answers_skip_the_question_the_response_answers_in_its_own_way():
    """"I'm 3 weeks out, is that normal?" gets the stage-of-recovery answer, not the leg-pain one too."""
    listed = questions("leg_pain_normal", "lifestyle_driving")
    assert other_answers("utter_stage_recovery_weeks", "leg_pain_normal", listed, RESPONSES) == [
        "utter_lifestyle_driving"]


@pytest.mark.parametrize("response", ["utter_leg_pain_normal", "utter_duration_overview",
                                      "utter_stage_first_days", "utter_stage_recovery_weeks"])
def test_every_this_is_normal_answer_ends_with_when_to_call(domain, response, monkeypatch):
    """A message heard as "is this normal?" may tell a sign in words no reader knows (issue 13):
    reassurance always ends with the office's line for the urgent signs and 911 for the others."""
    monkeypatch.setenv("SURGEON_OFFICE_PHONE", "555-010-0142")
    text = generate(domain, response, later(domain, "is this normal?"), time_since_surgery="3 weeks")["text"]
    assert text.endswith("have chest pain or can't breathe well.") and "{" not in text
    assert "much worse after it was getting better, call your surgeon's office today at 555-010-0142" in text
    assert "Call 911 now if you can't pass urine" in text


def test_two_this_is_normal_answers_in_one_reply_say_when_to_call_once(domain):
    message = asked("is leg pain normal? how long will it last?", "leg_pain_normal",
                    "leg_pain_normal", "duration_overview")
    reply = generate(domain, "utter_leg_pain_normal", later_turn(domain, message))["text"]
    assert "Some leg pain after a microdiscectomy is common" in reply and "gets better in stages" in reply
    assert reply.count("Call 911 now") == 1 and reply.endswith("have chest pain or can't breathe well.")
