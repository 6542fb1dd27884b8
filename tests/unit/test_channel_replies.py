"""What SMS and WhatsApp patients receive and how their replies are read: numbered choices,
"2" or the choice's word, GSM-7, 1600 characters; the SMS keywords; retries answered once."""
from __future__ import annotations

import pytest

from bot.channels import keywords
from bot.channels.choices import offered
from bot.channels.plain_text import (MAX_CHARS, chosen_payload, is_gsm7, sms_parts, split_message,
                                     to_gsm7)
from bot.channels.retries import SeenMessages
from bot.settings import Settings

YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"},
          {"title": "Not sure", "payload": "/unsure"}]
CALL = [{"title": "Call 911", "type": "web_url", "url": "tel:911", "payload": "/red_flag_emergency"}]


def test_buttons_become_numbered_choices_and_links_are_left_to_the_text():
    [message] = sms_parts("Do you have any of these?", CALL + YES_NO)
    assert "1 Yes\n2 No\n3 Not sure\nReply with the number." in message
    assert "Call 911" not in message


@pytest.mark.parametrize("reply,payload", [("2", "/deny"), (" 2. ", "/deny"), ("no", "/deny"),
                                           ("NOT SURE", "/unsure"), ("1", "/affirm")])
def test_a_number_or_the_choice_word_picks_the_choice(reply, payload):
    assert chosen_payload(reply, CALL + YES_NO) == payload


@pytest.mark.parametrize("reply", ["4", "0", "my leg hurts", "", "2 weeks ago"])
def test_other_replies_are_left_to_the_bot(reply):
    assert chosen_payload(reply, YES_NO) is None


def test_the_checkins_pain_scale_is_answered_with_the_score_itself():
    """The check-in's 0-10 buttons: "4" means a pain of 4, not the fourth choice (a pain of 3)."""
    scale = [{"title": str(score), "payload": f"pain {score}/10"} for score in range(11)]
    [message] = sms_parts("How bad is your leg pain today, from 0 to 10?", scale)
    assert message.endswith("0 1 2 3 4 5 6 7 8 9 10\nReply with the number.")
    assert chosen_payload("4", scale) == "pain 4/10" and chosen_payload("0", scale) == "pain 0/10"
    assert chosen_payload("10.", scale) == "pain 10/10" and chosen_payload("11", scale) is None


def test_the_answers_degree_signs_become_gsm7():
    text = "A fever of 38 °C (100.4 °F) or more \u2014 call today \u2019now\u2019"
    converted = to_gsm7(text)
    assert converted == "A fever of 38 degrees C (100.4 degrees F) or more - call today 'now'"
    assert is_gsm7(converted) and not is_gsm7(text)


def test_markdown_is_removed():
    assert to_gsm7("**Call 911** or see [the article](https://x.org)") == \
        "Call 911 or see the article (https://x.org)"


def test_long_replies_are_cut_between_paragraphs_within_1600_characters():
    paragraphs = [("word " * 150).strip() for _ in range(5)]
    parts = split_message("\n\n".join(paragraphs))
    assert all(len(part) <= MAX_CHARS for part in parts) and len(parts) == 3
    assert " ".join(" ".join(parts).split()) == " ".join(" ".join(paragraphs).split())


def test_choices_offered_are_those_since_the_patient_last_wrote():
    events = [{"event": "bot", "data": {"buttons": [{"title": "Old", "payload": "/old"}]}},
              {"event": "user", "text": "my leg pain is getting worse"},
              {"event": "bot", "text": "Two quick questions.", "data": {}},
              {"event": "bot", "data": {"buttons": YES_NO}}]
    assert offered(events) == YES_NO
    assert offered(events + [{"event": "user", "text": "2"}]) == []


@pytest.mark.parametrize("text,stopped,kind", [
    ("STOP", False, "stop"), ("stop!", False, "stop"), ("Unsubscribe", False, "stop"),
    ("start", True, "start"), ("YES", True, "start"), ("yes", False, None),
    ("HELP", False, "help"), ("stop the pain please", False, None), ("my leg", False, None)])
def test_keywords_are_whole_messages(text, stopped, kind):
    assert keywords.keyword(text, stopped) == kind


@pytest.mark.parametrize("kind", ["stop", "start", "help"])
def test_keyword_replies_name_the_clinic_and_911_in_one_gsm7_sms(kind):
    settings = Settings(clinic_name="Spine Clinic", clinic_phone="555-010-0199")
    text = keywords.reply(kind, settings)
    assert "911" in text and "Spine Clinic" in text and is_gsm7(text) and len(text) <= 160
    if kind != "start":
        assert "555-010-0199" in text


def test_a_retry_with_the_same_message_id_is_seen_once_per_channel():
    now = [0.0]
    seen = SeenMessages(keep_seconds=60, clock=lambda: now[0])
    assert seen.first_time("twilio", "SM1") and not seen.first_time("twilio", "SM1")
    assert seen.first_time("whatsapp", "SM1")
    now[0] = 61
    assert seen.first_time("twilio", "SM1")  # long forgotten: a new message


def test_seen_messages_stay_bounded():
    seen = SeenMessages(max_ids=3)
    for number in range(10):
        seen.first_time("slack", str(number))
    assert seen.first_time("slack", "0")


def test_every_escalation_keeps_911_and_a_clinic_number_in_its_text_on_every_channel(domain_dict):
    """SMS shows no "Call 911" button: the text of each variation must carry both."""
    escalations = {name: variations for name, variations in domain_dict["responses"].items()
                   if name.startswith("utter_red_flag")}
    assert escalations
    for name, variations in escalations.items():
        for variation in variations:
            text = variation["text"]
            assert "911" in text and ("{clinic_phone}" in text or "{surgeon_phone}" in text), name
            assert is_gsm7(to_gsm7(text.replace("{", "").replace("}", ""))), name
