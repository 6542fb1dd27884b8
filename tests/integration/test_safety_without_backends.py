"""Red-flag advice reaches the patient with the action server stopped: it is a rule's response."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.servers, pytest.mark.model]


@pytest.fixture(scope="module")
def rasa_without_actions(servers):
    servers.stop_action_server()
    return servers


@pytest.mark.parametrize("message, advice", [
    ("i cant pee and its numb down there", "Call 911 now"),
    ("temp 38.5 and the wound is leaking", "call your surgeon's office"),
])
def test_advice_arrives_with_the_action_server_down(rasa_without_actions, message, advice):
    answer = rasa_without_actions.ask(f"patient-{advice[:4]}", message)
    assert advice in answer
    assert "844-288-7474" in answer


def test_screening_works_with_the_action_server_down(rasa_without_actions):
    ask = rasa_without_actions.ask
    assert "two quick questions" in ask("worried", "my leg pain is getting worse")
    assert "Do you have any of these?" in ask("worried", "/deny")
    assert "don't point to a warning sign" in ask("worried", "no")
    # A second screening in the same conversation asks again; it never replays the first.
    assert "Do you have any of these right now? If yes, call 911 now." in ask("worried", "it's getting worse again")
    assert "Call 911 now" in ask("worried", "not sure")


def test_a_no_after_emergency_advice_repeats_it_with_the_action_server_down(rasa_without_actions):
    ask = rasa_without_actions.ask
    assert "Call 911 now" in ask("refuses", "i cant pee at all since last night")
    answer = ask("refuses", "no im not going")
    assert "Please don't wait" in answer and "Some leg pain is normal" not in answer
