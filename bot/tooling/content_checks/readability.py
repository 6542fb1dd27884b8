"""Reading level: every answer at or below US grade 8 (Flesch-Kincaid), as patient materials should be.

Patients read these answers in pain, on a phone, days after surgery. The score is textstat's
`flesch_kincaid_grade` on the text as a patient sees it: placeholders become the plain words
bot/responses.py puts there, list markers go, and each line of a list counts as its own sentence.
"""
from __future__ import annotations

import re
from typing import List, Tuple

import textstat

from bot.tooling.content_checks.loader import Problem, Project

MAX_GRADE = 8.0
# What a placeholder reads like once filled in (unknown ones read as "it").
PLACEHOLDER_WORDS = {"clinic_name": "the clinic", "clinic_phone": "this number", "time_since_surgery": "two weeks"}
# Medical words a patient must meet: the article and their surgeon use them, and the answers
# explain them in plain words. Each is scored as the short word on the right. Add a term only
# when there is no plain word for it; never to make a hard sentence pass.
MEDICAL_TERMS = {
    "microdiscectomy": "op",      # the operation itself
    "discectomy": "op",
    "sciatica": "pain",           # what patients call their leg pain
    "herniated": "torn", "herniate": "tear", "herniation": "tear",  # of a disc
    "inflammation": "swelling",   # a named cause in the article; explained where used
    "spondylolisthesis": "slip",  # named causes of a wrong diagnosis
    "stenosis": "squeeze",
    "piriformis": "hip",
    "barricaid": "plug",          # the device's brand name
}
_TERMS = re.compile(r"\b(" + "|".join(sorted(MEDICAL_TERMS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_MARKER = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")


def plain_text(text: str) -> str:
    """The response as scored: placeholders filled, allowed terms swapped, one sentence per list line."""
    text = re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDER_WORDS.get(m.group(1), "it"), text)
    text = _TERMS.sub(lambda m: MEDICAL_TERMS[m.group(1).lower()], text)
    text = re.sub(r"(\d)\.(\d)", r"\1\2", text)  # 100.4 is one number, not two sentences
    lines = [_MARKER.sub("", line).strip() for line in text.splitlines()]
    lines = [line.rstrip(":") for line in lines if line.rstrip(":")]  # "You can:" ends a sentence
    return " ".join(line if line[-1] in ".!?" else line + "." for line in lines)


def grade(text: str) -> float:
    return round(float(textstat.flesch_kincaid_grade(plain_text(text))), 1)


def grades(project: Project) -> List[Tuple[str, float, int]]:
    """(response, grade, line) for every response variation with text, hardest first."""
    found = [(name, grade(str(v["text"])), line) for name, v, line in project.responses() if v.get("text")]
    return sorted(found, key=lambda item: -item[1])


def _hint(text: str) -> str:
    plain = plain_text(text)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", plain) if s]
    longest = max((len(s.split()) for s in sentences), default=0)
    words = sorted({w for w in re.findall(r"[A-Za-z']+", plain) if textstat.syllable_count(w) >= 3},
                   key=lambda w: (-textstat.syllable_count(w), w))[:4]
    long_words = f"; long words: {', '.join(words)}" if words else ""
    return f"shorter sentences and words; the longest sentence has {longest} words{long_words}"


def check_reading_level(project: Project) -> List[Problem]:
    texts = {name: str(v["text"]) for name, v, _ in project.responses() if v.get("text")}
    return [Problem(project.rel(project.domain_path), line,
                    f"response {name} reads at grade {value:.1f} (Flesch-Kincaid), above the maximum {MAX_GRADE:g}",
                    _hint(texts[name]))
            for name, value, line in grades(project) if value > MAX_GRADE]
