"""Replies for SMS and WhatsApp: plain text, numbered choices instead of buttons, at most 1600
characters a message, and GSM-7 characters so an SMS keeps 160-character segments (one
character outside GSM-7, such as the degree sign, turns the whole message into 70-character
segments and can triple what it costs and how it is split on old phones).

A reply of "2" picks the second choice, and so does the choice's word ("no"): `chosen_payload`.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence

MAX_CHARS = 1600  # Twilio's limit for one message body (SMS and WhatsApp)
# GSM 03.38 basic set and its extension table (each extension character costs two).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà" "^{}\\[~]|€")
# What the answers use outside GSM-7, in words a patient reads the same way.
REPLACEMENTS = {
    " °C": " degrees C", " °F": " degrees F", "°": " degrees", "‘": "'", "’": "'", "“": '"', "”": '"',
    "–": "-", "—": "-", "…": "...", "•": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}
MARKDOWN = [(re.compile(r"\*\*(.+?)\*\*"), r"\1"), (re.compile(r"__(.+?)__"), r"\1"),
            (re.compile(r"\[([^\]]+)\]\(([^)]+)\)"), r"\1 (\2)")]


def to_gsm7(text: str) -> str:
    """`text` without markdown and with the usual non-GSM-7 characters replaced; anything
    else outside GSM-7 (a name with a rare letter) is kept rather than lost."""
    for pattern, replacement in MARKDOWN:
        text = pattern.sub(replacement, text)
    for old, new in REPLACEMENTS.items():
        text = text.replace(old, new)
    return text


def is_gsm7(text: str) -> bool:
    return all(char in GSM7 for char in text)


def choice_buttons(buttons: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The buttons a patient can answer with: those with a payload that are not links (a "Call
    911" link adds nothing to a text that already says to call 911)."""
    return [b for b in buttons or [] if b.get("payload") and b.get("type") != "web_url"]


def with_numbered_choices(text: str, buttons: Sequence[Dict[str, Any]]) -> str:
    """The text followed by its choices, one a line: "1 Yes", "2 No", and how to answer."""
    choices = choice_buttons(buttons)
    if not choices:
        return text
    if _a_scale(choices):  # "0" to "10": the numbers are the answers, numbering them would mislead
        return f"{text}\n\n" + " ".join(str(b.get("title")) for b in choices) + "\nReply with the number."
    lines = [f"{number} {button.get('title', '')}" for number, button in enumerate(choices, 1)]
    return f"{text}\n\n" + "\n".join(lines) + "\nReply with the number."


def _a_scale(choices: Sequence[Dict[str, Any]]) -> bool:
    """Every choice's title a number (the check-in's 0-10 pain scale)."""
    return all(str(b.get("title", "")).strip().isdigit() for b in choices)


def split_message(text: str, limit: int = MAX_CHARS) -> List[str]:
    """`text` in messages of at most `limit` characters, cut between paragraphs, then lines,
    then words, so no message ends mid-word."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    for separator in ("\n\n", "\n", " "):
        cut = text.rfind(separator, 0, limit + 1)
        if cut > 0:
            return [text[:cut].rstrip()] + split_message(text[cut:], limit)
    return [text[:limit]] + split_message(text[limit:], limit)


def _word(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def chosen_payload(reply: str, buttons: Sequence[Dict[str, Any]]) -> Optional[str]:
    """The payload a patient's reply picks among the choices just offered: its word ("No", "not
    sure", "4" on the pain scale) or its number ("2", "2."); None when the reply is something else."""
    choices = choice_buttons(buttons)
    answer = _word(reply)
    for button in choices:  # a title first: on the 0-10 scale "4" is the title "4", not the 4th
        if answer and answer == _word(str(button.get("title", ""))):
            return str(button["payload"])
    if answer.isdigit() and 1 <= int(answer) <= len(choices) and not _a_scale(choices):
        return str(choices[int(answer) - 1]["payload"])
    return None


def sms_parts(text: str, buttons: Sequence[Dict[str, Any]] = ()) -> List[str]:
    """What an SMS or WhatsApp patient receives for one bot message: its text, numbered
    choices, GSM-7, in messages of at most 1600 characters."""
    return split_message(to_gsm7(with_numbered_choices(text, buttons)))
