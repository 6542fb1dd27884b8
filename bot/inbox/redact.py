"""Redaction of a patient's message before the inbox stores it: names, phone numbers, emails,
dates (of birth, and every full date), addresses and identifiers become placeholders.

Why a small module of patterns rather than a library: scrubadub finds names with TextBlob/NLTK
corpora and Microsoft Presidio with a spaCy NER model (en_core_web_lg); both download models at
run time, which this project never does, and neither adds a rule for the US/Canadian formats
below that a pattern does not. Names are the hard part without a model: they are found by
their cues ("my name is", "Dr.", "my wife", a signature "thanks, Ann"), and capitalised words
next to those cues. A lower-case name with no cue gets through, so a reviewer still reads each
message before it becomes a training example (the page and the CLI show only redacted text).
Each kind has its tests in tests/unit/test_inbox_redact.py.
"""
from __future__ import annotations

import re
from functools import partial
from typing import List, Tuple

NAME, PHONE, EMAIL, DATE, ADDRESS, ID = "[NAME]", "[PHONE]", "[EMAIL]", "[DATE]", "[ADDRESS]", "[ID]"
PLACEHOLDERS = (NAME, PHONE, EMAIL, DATE, ADDRESS, ID)

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_STREET = (r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
           r"terrace|ter|circle|cir|highway|hwy|parkway|pkwy|crescent|cres|square|sq|trail|trl)\b\.?")
_WORDS = r"(?:[A-Za-z][\w'.-]*\s+){1,4}?"
# Words that follow a name cue but are not names ("my wife is worried", "this is bad").
_NOT_NAMES = frozenset("""
a an the and or but is was am are be been being has have had having do does did not no yes so
very really just too also still my me i im i'm it its it's this that there here he she they we you
your his her their our who what when where why how if then than at in on of for to from with by
about after before up down out over again worried scared sore fine ok okay good bad better worse
pain hurting hurts says said thinks told asked called helping here home sick tired awake asleep
doctor doctors nurse nurses team everyone all again much lot bot clinic surgeon
monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
""".split())

_RULES: List[Tuple[re.Pattern, str]] = [
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), EMAIL),
    # Identifiers before phones and dates: a social security number looks like both.
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), ID),
    (re.compile(r"(?i)\b(?:mrn|ssn|sin|nhs|medicare|medicaid|insurance|member|policy|patient|chart|record|"
                r"account|case|claim|health\s*card|id)(?:\s*(?:number|no\.?|num|#|id))?\s*(?:is|:|#)?\s*"
                r"([A-Z]{0,4}[-\s]?\d[\dA-Z-]{3,})\b"), ID),
    (re.compile(r"(?<![\w+])(?:\+?1[\s.-]?)?\(?[2-9]\d{2}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b"), PHONE),
    (re.compile(r"(?<!\w)\+\d{1,3}(?:[\s.-]?\d{2,4}){2,5}\b"), PHONE),
    # Dates with a year, in the forms patients type; a date after a birth cue whatever its form.
    (re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b"), DATE),
    (re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b"), DATE),
    (re.compile(rf"(?i)\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"), DATE),
    (re.compile(rf"(?i)\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}\b"), DATE),
    (re.compile(rf"(?i)\b(?:born(?:\s+on|\s+in)?|dob|d\.o\.b\.?|date\s+of\s+birth|birthday(?:\s+is)?)\s*(?:is|:)?\s*"
                rf"((?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}|"
                rf"\d{{1,2}}[/.-]\d{{1,2}}|{_MONTH}\s+\d{{4}}|\d{{4}}))\b"), DATE),
    # Addresses: a house number and a street, a PO box, a US ZIP or a Canadian postal code.
    (re.compile(rf"(?i)\b\d{{1,6}}[A-Za-z]?\s+{_WORDS}{_STREET}"
                r"(?:[\s,]+(?:apt|apartment|unit|suite|#)\.?\s*\w+)?"), ADDRESS),
    (re.compile(r"(?i)\bp\.?\s?o\.?\s+box\s+\d+\b"), ADDRESS),
    (re.compile(r"(?i)\b(?:i\s+live\s+(?:at|on)|my\s+address\s+is|address:)\s+([^.,;!?\n]+)"), ADDRESS),
    (re.compile(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"), ADDRESS),
    (re.compile(r"(?i)\b(?:zip(?:\s*code)?|postal\s+code)\s*(?:is|:)?\s*([A-Z0-9][A-Z0-9 -]{2,8}[A-Z0-9])\b"), ADDRESS),
    (re.compile(r"(?i)\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b"), ADDRESS),
    # Any remaining run of 6 or more digits, or a code mixing letters and 5+ digits, is an id.
    (re.compile(r"\b(?=[A-Za-z-]*\d)(?:[A-Za-z]{1,4}-?)?\d{5,}[A-Za-z\d-]*\b|\b\d{6,}\b"), ID),
]

# A name cue, then one to three name words; what counts as a name word depends on the cue.
_NAME_WORDS = r"((?-i:[A-Z][a-z'-]+)(?:\s+(?-i:[A-Z][a-z'-]+)){0,2})"  # capitalised, whatever the flags
_CUED = re.compile(r"(?i)\b(?:my\s+name\s+is|my\s+name's|name\s*:|i\s+am\s+called|call\s+me)[\s,:-]+"
                   r"([A-Za-z][a-z'-]*(?:\s+[A-Za-z][a-z'-]*){0,2})")  # "my name is john smith": any case
_SIGNED = re.compile(r"(?i)\b(?:signed|regards|sincerely|cheers|thanks|thank\s+you|from)[\s,:-]+" + _NAME_WORDS)
_TITLED = re.compile(r"\b(?:Dr|Doctor|Mr|Mrs|Ms|Miss|Mx|Nurse|Prof|dr|mr|mrs|ms)\.?\s+"
                     r"([A-Za-z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?)")
_KIN = re.compile(r"(?i)\b(?:my|our)\s+(?:wife|husband|partner|son|daughter|mom|mum|mother|dad|father|sister|"
                  r"brother|friend|neighbou?r|carer|caregiver|surgeon|doctor|nurse|physio|therapist)[\s,]+"
                  + _NAME_WORDS)
_INTRO = re.compile(r"\b(?:[Tt]his\s+is|[Ii]'?m|[Ii]\s+am)\s+([A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?)\b")


def _names(text: str) -> List[Tuple[int, int]]:
    spans = []
    for pattern in (_CUED, _SIGNED, _TITLED, _KIN, _INTRO):
        for match in pattern.finditer(text):
            words = match.group(1).split()
            kept = []
            for word in words:
                if word.lower() in _NOT_NAMES:
                    break
                kept.append(word)
            if kept and not (pattern is _INTRO and kept[0] in ("I", "OK")):
                start = match.start(1)
                spans.append((start, start + len(" ".join(kept))))
    return spans


def redact(text: str) -> str:
    """`text` with every name, phone number, email, date, address and id replaced by a placeholder."""
    text = str(text or "")
    for pattern, placeholder in _RULES:
        text = pattern.sub(partial(_replace, placeholder=placeholder), text)
    for start, end in sorted(_names(text), reverse=True):
        if not any(text[start:end].startswith(p[1:-1]) for p in PLACEHOLDERS):
            text = text[:start] + NAME + text[end:]
    return re.sub(r"(\[(?:NAME|PHONE|EMAIL|DATE|ADDRESS|ID)\])(?:\s*\1)+", r"\1", text)


def _replace(match: re.Match, placeholder: str) -> str:
    """The placeholder over the captured part when the pattern has one (keeping its cue words)."""
    if match.re.groups and match.group(1) is not None:
        whole, start, end = match.group(0), match.start(1) - match.start(0), match.end(1) - match.start(0)
        return whole[:start] + placeholder + whole[end:]
    return placeholder
