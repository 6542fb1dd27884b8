"""Several questions in one message: where a message splits into parts, and which parts count.

Patients often ask two or three things at once ("when can I drive? and can I pick up my
toddler?"). The intent classifier classifies each part found here and, when two or more
parts are confidently about different things, lists them in the parse data as `questions`
(bot/nlu/intent_classifier.py); bot/responses.py then answers the other questions in the same
reply. Both functions here are pure: text in, spans or dicts out (docs/NLU.md, "Several
questions in one message").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Collection, Dict, List, Sequence, Tuple

# The start of a new question inside a sentence: a question word, or a verb that opens a
# question followed by its subject ("can I", "is it", "should my ...").
_QUESTION_WORD = r"(?:how|what|whats|what's|when|why|where|which|who)\b"
_QUESTION_VERB = (r"(?:can|could|should|shall|will|would|is|are|am|do|does|did|may|might|must|has|have)\s+"
                  r"(?:i|it|this|that|these|those|there|you|we|my|the|a|he|she|they)\b")
_NEW_QUESTION = rf"(?:{_QUESTION_WORD}|{_QUESTION_VERB})"
_BOUNDARY = re.compile(
    r"[?!]+"                                   # the end of a question or exclamation
    r"|[.;]+(?=\s|$)|\n+"                      # the end of a sentence (not "38.5"), a new line
    rf"|,?\s*\b(?:and|but|or|so)\s+(?:also\s+)?(?={_NEW_QUESTION})"  # "and can I ...", "and how ..."
    rf"|,\s*(?={_NEW_QUESTION})"               # ", can I take ...", ", what about ..."
    r"|(?:^|,|\band|\bbut)\s*\balso\b,?"       # "Also, ...", ", also ...", "and also ..." (not "I also have")
    r"|\b(?:plus|btw|by the way|besides that|one more thing|another question)\b[,:]?"
    r"|(?=\b(?:what|how) about\b)",            # "what about driving?" starts a question
    re.IGNORECASE)
# What may open a part without belonging to the question: list marks "1)", "2.", "-", connectors.
_LEADING = re.compile(r"^(?:\s|[-*•:,]|\d+[.)]\s|(?:and|but|or|so|also|oh)\b)+", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# A short question about what was just said ("is that normal?", "why is that?") asks nothing
# of its own: it belongs to the part before it.
_FOLLOW_UP = re.compile(
    r"^(?:(?:is|are|was|does|do|should|could|would|will)\s+(?:that|this|these|it)\s+(?:still\s+|really\s+|be\s+)?"
    r"(?:normal|ok|okay|alright|bad|serious|common|fine|expected|worrying|concerning|dangerous|a problem|an issue|"
    r"something to worry about|matter)(?!\s+(?:to|if|for|when)\b)|why\s+(?:is|does|would)\s+(?:that|this|it))\b",
    re.IGNORECASE)
FOLLOW_UP_MAX_WORDS = 6


@dataclass(frozen=True)
class Part:
    """One part of a message: `text` is `message[start:end]`."""

    start: int
    end: int
    text: str


def split_questions(text: str, min_words: int = 3) -> List[Part]:
    """The parts of `text` that may each ask something, in message order.

    Splits at sentence ends, "?", new lines and joins like "and can I", "also", "plus", "what
    about", and drops each part's leading connectors ("and", "also", "2)"). A part shorter
    than `min_words` words ("my back is stiff, what helps?"), or a short question about what
    was just said ("my calf is swollen. is that normal?"), belongs to the part before it; at
    the start of the message ("Hi!", "Thanks.") a short part is left out.
    """
    parts: List[Part] = []
    start = 0
    for match in [*_BOUNDARY.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        lead = _LEADING.match(piece)
        skip = lead.end() if lead else 0
        kept = piece[skip:].rstrip(" ,;:-")
        words = len(_WORD.findall(kept))
        follow_up = words <= FOLLOW_UP_MAX_WORDS and _FOLLOW_UP.match(kept) is not None
        if words >= min_words and not (follow_up and parts):
            parts.append(Part(start + skip, start + skip + len(kept), kept))
        elif words and parts:
            previous = parts[-1]
            parts[-1] = Part(previous.start, start + skip + len(kept), text[previous.start:start + skip + len(kept)])
        if match:
            start = match.end()
    return parts


def choose_questions(parts: Sequence[Part], predictions: Sequence[Tuple[str, float]], *,
                     min_confidence: float, ignored: Collection[str], max_questions: int
                     ) -> List[Dict[str, Any]]:
    """The questions to list for a message, given each part's (intent, confidence).

    A part counts when its intent is confident enough and is something to answer (not in
    `ignored`: greetings, thanks, yes/no...). The first part of each intent is kept. Empty
    unless at least two different intents remain: one question needs no list. At most
    `max_questions`, in message order.
    """
    chosen: Dict[str, Dict[str, Any]] = {}
    for part, (intent, confidence) in zip(parts, predictions, strict=True):
        if confidence >= min_confidence and intent not in ignored and intent not in chosen:
            chosen[intent] = {"text": part.text, "intent": intent, "confidence": round(float(confidence), 4)}
    return list(chosen.values())[:max_questions] if len(chosen) >= 2 else []
