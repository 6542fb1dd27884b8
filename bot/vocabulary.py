"""The names the whole assistant shares, defined once: tiers, red-flag intents and responses,
the entity the detector sets, and the keys of the detector's matchers.

The detector, the NLU component, the actions, storage and the evaluation import these, so a
rename here reaches all of them; domain.yml and the rules must say the same names, which
tests/unit/test_vocabulary.py checks.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

# Severity of a detected sign, in rising order. "none": nothing to escalate.
NONE, URGENT, EMERGENCY = "none", "urgent", "emergency"
DETECTION_TIERS: Tuple[str, ...] = (NONE, URGENT, EMERGENCY)
ESCALATION_TIERS: Tuple[str, ...] = (URGENT, EMERGENCY)
# The end of a screening that found no sign; recorded like an escalation, never escalates.
ROUTINE = "routine"
RECORDED_TIERS: Tuple[str, ...] = (EMERGENCY, URGENT, ROUTINE)

# The intent that carries each tier through the dialogue, and the advice it gets.
INTENT_OF_TIER: Dict[str, str] = {EMERGENCY: "red_flag_emergency", URGENT: "red_flag_urgent"}
TIER_OF_INTENT: Dict[str, str] = {intent: tier for tier, intent in INTENT_OF_TIER.items()}
ADVICE_OF_TIER: Dict[str, str] = {tier: f"utter_red_flag_{tier}" for tier in RECORDED_TIERS}
TIER_OF_ADVICE: Dict[str, str] = {response: tier for tier, response in ADVICE_OF_TIER.items()}
# The key of a bot response's metadata that carries the tier of its advice (bot/responses.py sets
# it, the widget's channel passes it on, widget/widget.js styles emergency and urgent replies).
TIER_KEY = "tier"

# The template variables that bot/responses.py fills with the clinic's numbers (settings).
PHONE_PLACEHOLDERS: Tuple[str, ...] = ("clinic_phone", "surgeon_phone", "after_hours_phone")

# Where the detector sends a classifier red flag it did not confirm (docs/SAFETY.md).
SCREENING_INTENT = "pain_worsening"  # unsure: ask the screening questions
QUESTION_INTENT = "when_to_seek_care"  # a sign asked about: the warning-sign answer
DENIAL_INTENT = "deny"  # every sign mentioned is clearly denied
HEALING_INTENT = "cause_nerve_healing"  # numbness improving or unchanged: the article's nerve healing
# The answers that tell a patient all is well ("every sign denied", "some leg pain is common",
# "this is normal"): a red flag answered with one of these is the worst outcome, and counted so.
REASSURING_INTENTS: Tuple[str, ...] = (DENIAL_INTENT, "leg_pain_normal", "duration_overview")

# Several questions in one message (docs/NLU.md): the parse-data key where the classifier
# lists them, and the intents that ask nothing to answer (small talk, yes/no, stop), which
# never count as a question of their own.
QUESTIONS_KEY = "questions"
NOT_A_QUESTION: Tuple[str, ...] = ("greet", "goodbye", "thank", "help", "out_of_scope", "affirm", "deny",
                                   "unsure", "stop", "nlu_fallback", "feedback_unhelpful")

# The parts of a message that asks several things which the classifier reads as a red flag
# (bot/nlu/questions.py): the detector adapter escalates or screens each, as it does a whole
# message, so a sign in one part is never lost behind the other questions.
RED_FLAG_PARTS_KEY = "red_flag_parts"

# The entity the detector adds for every affirmed sign; its value is the flag id.
RED_FLAG_ENTITY = "red_flag"
# The flag recorded when only the classifier heard a red flag.
CLASSIFIER_FLAG = "classifier"
# The flag recorded when the learned tier reader raised the classifier's unsure red flag to the
# advice (bot/nlu/tier_reader.py); the parse's reading says so under this key.
TIER_READER_FLAG = "tier_reader"
RAISED_BY_KEY = "raised_by"
# The flag recorded when the pain diary's trend escalated (bot/recovery/diary.py), and the
# intent and slot that carry it through the dialogue.
DIARY_FLAG = "pain_diary_trend"
DIARY_INTENT = "record_pain"
DIARY_ALERT_SLOT = "pain_trend_alert"
# Rasa's convention for intents that external events send (reminders, the trigger_intent API):
# never typed by a patient. The check-in reminder's intent is one.
EXTERNAL_INTENT_PREFIX = "EXTERNAL_"
CHECKIN_INTENT = f"{EXTERNAL_INTENT_PREFIX}checkin"
# The channels that can send a check-in with no message of the patient's to answer, once they
# keep the patient's address (bot/channels/contacts.py), by connector name: SMS, WhatsApp,
# Messenger, Telegram. The answer that confirms check-ins on one of them carries CONTACT_KEY in
# its custom payload, which tells the channel to keep the address (the consent it serves).
CONTACT_CHANNELS = ("twilio", "whatsapp", "facebook", "telegram")
CONTACT_KEY = "keep_checkin_contact"


def tier_rank(tier: Optional[str]) -> int:
    """0 for none (or anything unknown), 1 urgent, 2 emergency."""
    return DETECTION_TIERS.index(tier) if tier in DETECTION_TIERS else 0


def is_red_flag_intent(intent: Optional[str]) -> bool:
    return intent in TIER_OF_INTENT


# The detector's matcher keys: "<kind>|<flag id>[|...]". One function per kind, so the
# catalogue compiler (matching.py) and its readers (detector.py, context.py) cannot drift.
def phrase_key(flag: str) -> str:
    return f"p|{flag}"


def exact_key(flag: str) -> str:
    return f"x|{flag}"


def pattern_key(flag: str) -> str:
    return f"m|{flag}"


def answered_key(flag: str) -> str:
    """A checklist question naming what the flag takes away ("Feeling in the groin?")."""
    return f"q|{flag}"


def cancel_key(flag: str) -> str:
    """Words that, next to a normal temperature, cancel the flag ("temperature is normal")."""
    return f"c|{flag}"


def near_key(flag: str, rule: int, side: str) -> str:
    """One side ("a": any_of, "b": near) of a flag's `rule`-th near rule."""
    return f"n|{flag}|{rule}|{side}"


def context_key(name: str) -> str:
    """Context words from the catalogue's `language` section: neg, hypo, hist, res, ..."""
    return f"k|{name}"


SIMPLE_KEYS = (phrase_key, exact_key, pattern_key)

# Feedback: "that didn't help" typed, or the widget's thumbs-down sending the payload
# "/feedback_unhelpful" (docs/CONTENT.md, "The weekly review").
FEEDBACK_INTENT = "feedback_unhelpful"
# Payloads a channel's own controls send under every answer (the widget's thumbs-down): always
# accepted as commands by bot/nlu/typed_commands.py; they carry no slots.
ALWAYS_OFFERED_PAYLOADS = frozenset({"/" + FEEDBACK_INTENT})
FALLBACK_INTENT = "nlu_fallback"
# The screening questions (data/stories/rules/red_flags.yml) and the answers that reply to them.
SCREENING_QUESTIONS: Tuple[str, ...] = ("utter_ask_screen_emergency", "utter_ask_screen_urgent")
SCREENING_ANSWERS: Tuple[str, ...] = ("affirm", "deny", "unsure", "red_flag_emergency", "red_flag_urgent")
# ... and with `stop`, which leaves them (the same rules): answers a rule over ordinary answers must
# never raise, so "no" or "end this" never starts them again (bot/tooling/evaluation/tier_reader.py).
SCREENING_REPLIES: Tuple[str, ...] = SCREENING_ANSWERS + ("stop",)
# The parse-data key where the red-flag detector reports both readers' views (bot/nlu/red_flag_detector.py).
READING_KEY = "red_flag_reading"
# The parse-data key where the learned tier reader (bot/nlu/tier_reader.py) puts its probability of
# each detection tier ({"none": p, "urgent": p, "emergency": p}); the detector adapter reads it.
TIER_READING_KEY = "tier_reading"
# Why the review inbox collected a message (bot/inbox/collect.py). A disagreement sits first.
REASON_DISAGREEMENT = "red_flag_disagreement"
INBOX_REASONS: Tuple[str, ...] = (REASON_DISAGREEMENT, "fallback", "low_confidence", "screening_abandoned",
                                  "feedback")
