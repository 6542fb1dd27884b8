"""The learned tier reader in the trained assistant (docs/SAFETY.md, "A learned tier reader"): a sign
told in words the red-flag catalogue lacks, which the intent classifier reads as a red flag without
confidence, gets the advice instead of only the screening questions; look-alikes do not."""
from __future__ import annotations

import pytest

from bot.red_flags import get_detector

# No sign words for the detector (issue 13 round 18: "belongs to somebody else", the first phrasing
# here, is the catalogue's now, blind batch 24 E3); the classifier's red flag is below its 0.75 on its own.
UNHEARD_SIGNS = {
    "the skin round my back passage feels like a stranger's since last night": "red_flag_emergency",
    "my wee has been coming out in a tiny trickle all day and my tummy is swollen and hard": "red_flag_emergency",
}
LOOKALIKES = ("the physio says I can start walking a bit further each day, is that right?",
              "what should I watch out for once I'm home from the hospital?",
              "my leg still aches a bit in the evenings, three weeks after the operation")


@pytest.mark.parametrize("text", sorted(UNHEARD_SIGNS))
def test_a_sign_in_words_the_catalogue_lacks_gets_the_advice(assistant, text):
    assert get_detector().detect(text).tier == "none"
    parsed = assistant.parse(text)
    reading = parsed["red_flag_reading"]
    assert reading["classifier"] == UNHEARD_SIGNS[text] and reading["classifier_confidence"] < 0.75
    assert parsed["intent"]["name"] == UNHEARD_SIGNS[text]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_a_lookalike_gets_no_advice_and_no_screening(assistant, text):
    assert assistant.intent(text) not in ("red_flag_emergency", "red_flag_urgent", "pain_worsening")


def test_a_sign_told_beside_an_ordinary_question_gets_the_advice(assistant):
    """The classifier answers the question it knows, unsure (care_return_to_work 0.68); the reader,
    which knows ordinary messages too, reads the emergency beside it (docs/SAFETY.md, "Over
    ordinary answers, with a reader that knows them")."""
    text = "when can i go back to work? the skin round my back passage feels like a stranger's since last night"
    assert get_detector().detect(text).tier == "none"
    parsed = assistant.parse(text)
    assert parsed["red_flag_reading"]["classifier"] == "care_return_to_work"
    assert parsed["intent"]["name"] == "red_flag_emergency"


@pytest.mark.parametrize("text", ["is it ok for me and my partner to have sex now",
                                  "my partner and i tried sex last night and my back hurt after, is that ok",
                                  "when can i go back to work?", "pain 5 this evening"])
def test_an_ordinary_question_keeps_its_answer(assistant, text):
    assert assistant.intent(text) not in ("red_flag_emergency", "red_flag_urgent", "pain_worsening")
