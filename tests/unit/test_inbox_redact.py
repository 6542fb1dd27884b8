"""Redaction before the inbox stores a message: each kind of identifier, and what must stay."""
import pytest

from bot.inbox.redact import redact


@pytest.mark.parametrize("text, gone, placeholder", [
    # names, with the cues patients use
    ("my name is john smith and my leg hurts", "john smith", "[NAME]"),
    ("My name is Maria Lopez, 3 weeks post op", "Maria Lopez", "[NAME]"),
    ("Dr. Patel said the numbness would go", "Patel", "[NAME]"),
    ("my wife Mary thinks I should call", "Mary", "[NAME]"),
    ("this is Robert Jones, surgery last week", "Robert Jones", "[NAME]"),
    ("I'm Sarah and my calf aches", "Sarah", "[NAME]"),
    ("still sore. thanks, Ann", "Ann", "[NAME]"),
    # phone numbers
    ("call me at (555) 123-4567 please", "123-4567", "[PHONE]"),
    ("my cell is 555.234.9876", "555.234.9876", "[PHONE]"),
    ("text 1-800-555-0199", "800-555-0199", "[PHONE]"),
    ("reach me on +44 20 7946 0958", "7946 0958", "[PHONE]"),
    # emails
    ("email me jane.doe@example.com", "jane.doe@example.com", "[EMAIL]"),
    ("my email is bob+clinic@mail.co.uk ok", "bob+clinic@mail.co.uk", "[EMAIL]"),
    # dates of birth, and full dates
    ("I was born 03/04/1975", "03/04/1975", "[DATE]"),
    ("DOB: March 3 1975", "March 3 1975", "[DATE]"),
    ("date of birth 4th of July 1962", "July 1962", "[DATE]"),
    ("born on 12/31 so im 60", "12/31", "[DATE]"),
    ("birthday is 1980-02-29", "1980-02-29", "[DATE]"),
    # addresses
    ("I live at 123 Maple Street Apt 4", "123 Maple Street", "[ADDRESS]"),
    ("send it to 9 Oak Ave", "9 Oak Ave", "[ADDRESS]"),
    ("PO Box 4471 Springfield", "4471", "[ADDRESS]"),
    ("Springfield IL 62704", "62704", "[ADDRESS]"),
    ("my postal code is K1A 0B1", "K1A 0B1", "[ADDRESS]"),
    # ids
    ("my MRN is 12345678", "12345678", "[ID]"),
    ("ssn 123-45-6789", "123-45-6789", "[ID]"),
    ("insurance member id: XJ4-55821", "XJ4-55821", "[ID]"),
    ("patient number 00482913", "00482913", "[ID]"),
])
def test_each_kind_is_replaced_by_its_placeholder(text, gone, placeholder):
    redacted = redact(text)
    assert gone not in redacted
    assert placeholder in redacted


@pytest.mark.parametrize("text", [
    "how long will my leg hurt after surgery",
    "its been 6 weeks and 2 days, is that normal?",
    "I am worried about my leg",
    "I'm 45 and my L5 S1 still aches",
    "pain is 7/10 today, was 3/10 on Monday",
    "can I take 400 mg ibuprofen",
    "numb in my left foot since 3 days",
    "my temperature is 38.5",
    "thanks so much",
    "It's Monday and my calf hurts",
    "my nurse gave me the link to this chat",
    "thanks for that, it helped",
])
def test_what_patients_say_about_their_recovery_is_kept(text):
    assert redact(text) == text


def test_several_kinds_in_one_message_and_nothing_else_changes():
    text = "Hi, my name is Tom Baker, DOB 01/02/1960, call 555-321-7654, leg still hurts"
    assert redact(text) == "Hi, my name is [NAME], DOB [DATE], call [PHONE], leg still hurts"


def test_empty_and_odd_input_give_text_not_a_crash():
    assert redact("") == ""
    assert redact(None) == ""  # type: ignore[arg-type]
    assert redact("\u200b\U0001f44e") == "\u200b\U0001f44e"
