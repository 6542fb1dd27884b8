"""Fills responses with the clinic's settings, adds the disclaimer to a conversation's first reply,
and answers the other questions of a message that asks several.

Runs inside the Rasa server (endpoints.yml `nlg: type: bot.responses.ClinicResponseGenerator`), so it
works even when the action server is down: the safety advice never depends on a backend.
"""
from __future__ import annotations

from typing import Any, Collection, Dict, List, Mapping, Optional, Sequence, Text

from rasa.core.nlg.interpolator import interpolate_text
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import settings as bot_settings
from bot.phone import tel_uri
from bot.vocabulary import (ESCALATION_TIERS, NOT_A_QUESTION, QUESTIONS_KEY, SCREENING_INTENT, TIER_KEY,
                            TIER_OF_ADVICE, is_red_flag_intent)

DISCLAIMER = "utter_disclaimer"
# What the urgent advice says when the office is closed: with or without an after-hours line.
WHEN_CLOSED_LINE = "utter_when_office_closed_line"
WHEN_CLOSED_NO_LINE = "utter_when_office_closed_no_line"
# When to call, filled into {safety_net} at the end of each answer that says pain is normal
# (domain.yml): said once a reply, after the last of them.
SAFETY_NET = "utter_safety_net"
# Several questions in one message (docs/NLU.md): one reply answers at most this many, the
# first response of the turn and the others after it. Questions to the patient (utter_ask_*)
# and the screening's introduction, which announces its questions, never carry other answers.
MAX_ANSWERS = 3
NEVER_EXTENDED = {DISCLAIMER, "utter_screening_intro"}
# "Sorry, I didn't understand" gives way to the answers when the questions were understood
# one by one although the whole message was not.
FALLBACK = "utter_default"
# Never after safety advice: in a message with a red flag, "is that normal?" asks about the sign,
# and "some leg pain is common" must not follow "call 911".
NOT_AFTER_SAFETY_ADVICE = {"leg_pain_normal"}


def _silent_since(tracker: DialogueStateTracker, boundary: type, default: bool) -> bool:
    """True when the bot has not spoken since the latest `boundary` event (`default` without one)."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            return False
        if isinstance(event, boundary):
            return True
    return default


def is_first_reply(tracker: DialogueStateTracker) -> bool:
    """True when the bot has not spoken yet in the current session."""
    return _silent_since(tracker, SessionStarted, default=True)


def is_first_response_of_turn(tracker: DialogueStateTracker) -> bool:
    """True when the bot has not spoken since the patient's latest message."""
    return _silent_since(tracker, UserUttered, default=False)


def other_answers(response: str, intent: Optional[str], questions: Sequence[Mapping[str, Any]],
                  responses: Collection[str]) -> List[str]:
    """The answers (response names) to add after `response`, the first response to a message
    classified `intent` that asks `questions` (the classifier's list, in message order).

    Each question whose intent this response does not already answer gets its `utter_<intent>`
    answer, when the domain has one. Never the safety advice or the screening (a red flag
    anywhere in the message is already the message's intent, so its advice comes first),
    never small talk, and at most MAX_ANSWERS answers in all. The fallback response is
    replaced by the answers rather than followed by them (FALLBACK).
    """
    if response.startswith("utter_ask_") or response in NEVER_EXTENDED:
        return []
    after_advice = is_red_flag_intent(intent) or response.startswith("utter_red_flag")
    answered = {intent or "", response.removeprefix("utter_")}
    names: List[str] = []
    for question in questions:
        name = str(question.get("intent") or "")
        if worth_adding(name, answered, after_advice, responses):
            answered.add(name)
            names.append(f"utter_{name}")
    return names[:MAX_ANSWERS if response == FALLBACK else MAX_ANSWERS - 1]


def worth_adding(name: str, answered: Collection[str], after_advice: bool, responses: Collection[str]) -> bool:
    """Whether a question of intent `name` gets its answer after the intents already `answered`."""
    if name in answered or name in NOT_A_QUESTION or f"utter_{name}" not in responses:
        return False
    if is_red_flag_intent(name) or name == SCREENING_INTENT:
        return False  # the detector and the rules handle signs; never an add-on
    return not (after_advice and name in NOT_AFTER_SAFETY_ADVICE)


def mark_tier(metadata: Optional[Mapping[str, Any]], tier: str) -> Dict[str, Any]:
    """The response's metadata with the tier of its advice, so a channel can show an emergency as
    one (the widget's banner and colour) without reading the text. A copy: the domain's stays."""
    return {**(metadata or {}), TIER_KEY: tier}


class ClinicResponseGenerator(TemplatedNaturalLanguageGenerator):
    """Rasa creates its generator before the model's domain is loaded and hands it the domain's
    responses afterwards (and again on each model reload), by setting `responses`: the texts made
    from other responses ({when_office_closed}, {safety_net}) are filled in then, never from the
    empty domain the generator started with."""

    def __init__(self, endpoint_config: Any = None, domain: Optional[Domain] = None, **_: Any) -> None:
        config = bot_settings.load()
        self.settings_vars = {
            "clinic_name": config.clinic_name,
            "clinic_phone": config.clinic_phone,
            "clinic_tel": config.tel_uri,
            "surgeon_phone": config.surgeon_office_phone,
            "surgeon_tel": tel_uri(config.surgeon_office_phone),
            "after_hours_phone": config.after_hours_phone,
        }
        self.closed_response = WHEN_CLOSED_LINE if config.after_hours_phone else WHEN_CLOSED_NO_LINE
        super().__init__((domain or Domain.empty()).responses)

    @property
    def responses(self) -> Dict[Text, List[Dict[Text, Any]]]:
        return self._responses

    @responses.setter
    def responses(self, responses: Dict[Text, List[Dict[Text, Any]]]) -> None:
        self._responses = responses
        self.clinic_vars = {
            **self.settings_vars,
            "when_office_closed": self._plain_text(self.closed_response),
            "safety_net": self._plain_text(SAFETY_NET),
        }

    def _plain_text(self, name: str) -> str:
        """The first text of a domain response with the clinic's settings filled in."""
        variations = self.responses.get(name) or [{}]
        return interpolate_text(variations[0].get("text", ""), self.settings_vars)

    async def generate(
        self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text, **kwargs: Any
    ) -> Optional[Dict[Text, Any]]:
        values = {**kwargs, **self.clinic_vars}
        slots = tracker.current_slot_values()
        response = self.generate_from_slots(utter_action, slots, output_channel, **values)
        if response and response.get("text"):
            texts = [answer["text"] for name in self._other_answers(utter_action, tracker)
                     if (answer := self.generate_from_slots(name, slots, output_channel, **values))
                     and answer.get("text")]
            if texts:
                kept = [] if utter_action == FALLBACK else [response["text"]]
                response["text"] = once(self.clinic_vars["safety_net"], "\n\n".join(kept + texts))
        if response and response.get("text") and utter_action != DISCLAIMER and is_first_reply(tracker):
            disclaimer = self.generate_from_slots(DISCLAIMER, slots, output_channel, **values)
            if disclaimer and disclaimer.get("text"):
                response["text"] = f"{disclaimer['text']}\n\n{response['text']}"
        if response and TIER_OF_ADVICE.get(utter_action) in ESCALATION_TIERS:
            response["metadata"] = mark_tier(response.get("metadata"), TIER_OF_ADVICE[utter_action])
        return response

    def _other_answers(self, utter_action: str, tracker: DialogueStateTracker) -> List[str]:
        """The other questions' answers, on the first response of a turn outside any form."""
        if tracker.active_loop_name or not is_first_response_of_turn(tracker):
            return []
        message = tracker.latest_message
        questions = (message.parse_data.get(QUESTIONS_KEY) if message else None) or []
        intent = message.intent.get("name") if message else None
        return other_answers(utter_action, intent, questions, self.responses) if questions else []


def once(sentence: str, text: str) -> str:
    """`text` with `sentence` only at its last place (several answers that each end with it)."""
    if not sentence:
        return text
    head, found, tail = text.rpartition(sentence)
    return head.replace(" " + sentence, "").replace(sentence, "") + found + tail if found else text
