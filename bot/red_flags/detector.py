"""Red-flag detector: finds warning signs after lumbar microdiscectomy in a patient's message.

This is the safety net under the intent classifier. It is plain Python (no Rasa) so it can
be tested exhaustively and reused by actions or scripts; the Rasa component in
bot/nlu/red_flag_detector.py only adapts it. The signs, their tiers and their
wording live in data/red_flags.yml, which content editors own.

    >>> detect("I don't have a fever but my bladder leaks").tier
    'emergency'

`detect` never raises: a message it cannot read is reported as tier "none" with `error`
set and a log line, so a bad input can never take the conversation down.
"""
from __future__ import annotations

import html
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from spacy.tokens import Doc

from bot.red_flags.catalogue import CATALOGUE_PATH, Catalogue, CatalogueError, load_catalogue
from bot.red_flags.clauses import TIME_CHANGED
from bot.red_flags.context import AFFIRMED, HEALING, HISTORICAL, HYPOTHETICAL, RESOLVED, Context
from bot.red_flags.matching import Analyser, Candidate, Terms, explain_key
from bot.vocabulary import NONE, cancel_key, tier_rank

__all__ = ["CatalogueError", "Detection", "Hit", "RedFlagDetector", "detect",
           "get_detector"]

logger = logging.getLogger(__name__)
MAX_CHARS = 20_000  # longer messages are read up to here (about 4 pages of text)
NORMAL_TEMPERATURE = "normal_temperature"
# Words that could be the sign or something else, with the other cause told in their sentence
# ("can't go, I think the codeine has bunged me up"): not a report of the sign; the adapter
# asks the screening questions when the classifier still hears a red flag.
EXPLAINED = "explained"
_MARKUP = re.compile(r"<[^<>]{0,200}>|&#?\w{1,8};")
# spaCy's tokenizer is quadratic on long runs of punctuation or emoji ("!!!!..." x 10,000
# takes seconds), so inside any run of 41+ non-space characters, symbols become spaces.
_LONG_RUN = re.compile(r"\S{41,}")
_SYMBOL = re.compile(r"(?!(?<=[^\W_])'(?=[^\W_]))[\W_]")
# Decides the status of every candidate of a message: (doc, candidates, terms, clause of each
# token, sentence of each token) -> one status per candidate (context.py's constants).
Reader = Callable[[Doc, Sequence[Candidate], Terms, Sequence[int], Sequence[int]], List[str]]
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"',
                         "\u201d": '"', "\u200b": " ", "\u00a0": " "})


@dataclass(frozen=True)
class Hit:
    """Where a flag's words were found; `status` says whether they count (affirmed)."""

    flag: str
    tier: str
    status: str
    text: str
    start: int  # character offsets into the message
    end: int


@dataclass(frozen=True)
class Detection:
    tier: str = NONE
    affirmed: Tuple[Hit, ...] = ()
    # Flags whose words were found but do not count: negated, hypothetical, historical,
    # resolved or a normal temperature (see Hit.status). Kept for logs and reviews.
    negated: Tuple[Hit, ...] = ()
    error: Optional[str] = None

    @property
    def flags(self) -> Tuple[str, ...]:
        return tuple(hit.flag for hit in self.affirmed)


class RedFlagDetector:
    """One catalogue compiled into spaCy matchers; build once per process (get_detector)."""

    def __init__(self, catalogue: Catalogue, reader: Optional[Reader] = None) -> None:
        """`reader` decides each candidate's status; by default the project's Context. Another
        one (bot/tooling/evaluation/context_comparison.py: medspaCy's ConText) can be measured
        through the very same detection."""
        self.catalogue = catalogue
        self.analyser = Analyser(catalogue)
        self.context = Context(self.analyser, catalogue.language)
        self.reader: Reader = reader or self._context_reader
        self._tier: Dict[str, str] = {f.id: f.tier for f in catalogue.flags}
        self._fever_flag = next((f.id for f in catalogue.flags if f.temperature), None)
        self._need_fever = {f.id for f in catalogue.flags if f.cancelled_by_normal_temperature}
        # Dialect words read as the English words of the same length before tokenising
        # (`language.respell`: Jamaican Patois "cyaan" is "can't"), so offsets stay the patient's.
        respell = {str(k).lower(): str(v) for k, v in (catalogue.language.get("respell") or {}).items()}
        bad = [k for k, v in respell.items() if len(k) != len(v)]
        if bad:
            raise CatalogueError(f"language.respell: {bad} must keep their length")
        found = re.compile(r"\b(" + "|".join(map(re.escape, respell)) + r")\b", re.IGNORECASE) if respell else None
        self._respell: Callable[[str], str] = (
            (lambda text: found.sub(lambda m: respell[m.group().lower()], text)) if found else (lambda text: text))

    def detect(self, text: object) -> Detection:
        try:
            return self._detect(text)
        except Exception as exc:  # noqa: BLE001 - the contract is "never raises"
            logger.exception("red-flag detection failed on a message of %s characters",
                             len(text) if isinstance(text, str) else "?")
            return Detection(error=f"{type(exc).__name__}: {exc}")

    def _detect(self, text: object) -> Detection:
        if not isinstance(text, str) or not text.strip():
            return Detection()
        original = text[:MAX_CHARS]
        clean, where = _without_markup(original.translate(_QUOTES))
        clean, where = _without_even(self._respell(clean), where)
        clean = _LONG_RUN.sub(lambda m: _SYMBOL.sub(" ", m.group()), clean)  # same length
        # Read as if it ended with a full stop: token patterns that look at the next word
        # ("fell", but not "fell asleep") then also see the last one.
        doc = self.analyser.doc(clean + " ." if clean.rstrip()[-1:].isalnum() else clean)
        terms = self.analyser.terms(doc)
        unit_of, sent_of = self.context.units(doc, terms)
        readings = self.analyser.readings(doc)
        fevers = [span for reading, span in readings if reading.fever]
        normal_sentences = ({sent_of[s] for r, (s, _) in readings if not r.fever}
                            - {sent_of[s] for s, _ in fevers})
        cancels = terms.get(cancel_key(self._fever_flag or ""), ())
        # Only normal temperatures in the message: a sign that needs a fever is not there.
        no_fever = bool(readings) and not fevers
        best: Dict[str, Tuple[str, Candidate]] = {}
        candidates = self.analyser.candidates(doc, terms, unit_of, sent_of, fevers)
        read = self.reader(doc, candidates, terms, unit_of, sent_of) if candidates else []
        read = _asked_or_listed(doc, candidates, read)
        for cand, context_status in zip(candidates, read, strict=True):
            if cand.flag in best and best[cand.flag][0] == AFFIRMED:
                continue
            if (cand.flag == self._fever_flag and sent_of[cand.start] in normal_sentences
                    and (cand.start, cand.end) in cancels):
                status = NORMAL_TEMPERATURE
            elif cand.flag in self._need_fever and no_fever:
                status = NORMAL_TEMPERATURE
            else:
                status = context_status
            if status == AFFIRMED and _explained(doc, cand, terms, sent_of):
                status = EXPLAINED
            if cand.flag not in best or status == AFFIRMED:
                best[cand.flag] = (status, cand)
        # (issue 13 round 30, blind batches 45 and 46 E5 asked look-alikes) words of one sign that lie wholly
        # inside another sign's words read as asked about are asked about too: "she said if both your legs ever
        # go numb ..." (both legs, asked) is no report of new numbness ("numb")
        asked = [cand for status, cand in best.values() if status == HYPOTHETICAL]
        for flag, (status, cand) in list(best.items()):
            if status == AFFIRMED and any(other.flag != flag and other.start <= cand.start and cand.end <= other.end
                                          for other in asked):
                best[flag] = (HYPOTHETICAL, cand)
        strict = self.context.strict_healing_flags
        # Numbness read as past or gone but told as improving or unchanged ("the tingling I had
        # before the op comes and goes, but it's less every week") is nerve healing too, so the
        # patient gets the nerve-healing answer (which says when numbness is a warning sign).
        # So is a sign named only as the heading of an update ("Foot drop update! ... it's getting
        # stronger every week") that the message says improves (issue 13 round 17, blind batch 23 E6).
        for flag in (self.context.healing_flags | strict) & {
                f for f, (s, _) in best.items() if s in (AFFIRMED, RESOLVED, HISTORICAL)}:
            if self.context.expected_healing(doc, [c for c in candidates if c.flag == flag],
                                             terms, unit_of, sent_of, strict=flag in strict,
                                             others=candidates) or \
                    (best[flag][0] == AFFIRMED and self.context.heading_update(
                        doc, [c for c, status in zip(candidates, read, strict=True)
                              if c.flag == flag and status == AFFIRMED], terms, unit_of)):
                best[flag] = (HEALING, best[flag][1])
        hits = [self._hit(doc, original, where, flag, status, cand, clean)
                for flag, (status, cand) in best.items()]
        hits.sort(key=lambda h: (-tier_rank(h.tier), h.start))
        affirmed = tuple(h for h in hits if h.status == AFFIRMED)
        tier = max((h.tier for h in affirmed), key=tier_rank, default=NONE)
        return Detection(tier, affirmed, tuple(h for h in hits if h.status != AFFIRMED))

    def _context_reader(self, doc: Doc, candidates: Sequence[Candidate], terms: Terms,
                        unit_of: Sequence[int], sent_of: Sequence[int]) -> List[str]:
        return self.context.statuses(doc, candidates, terms, unit_of, sent_of)

    def _hit(self, doc: Doc, original: str, where: Optional[List[int]], flag: str, status: str,
             cand: Candidate, clean: str) -> Hit:
        span = doc[cand.start:cand.end]
        start, end = span.start_char, min(span.end_char, len(clean))  # not the added full stop
        while end > start and clean[end - 1].isspace():
            end -= 1
        if where is not None:  # back to the offsets of the text as the patient sent it
            start, end = where[start], where[end] if end < len(where) else len(original)
        return Hit(flag, self._tier[flag], status, original[start:end], start, end)


# (issue 13 round 28, the lead) what follows an explanation and says it no longer holds: "my headache was the
# same whether I was sitting or lying but now it's only when I stand"
_NOW_ONLY = {"only", "it's", "its", "it", "is", "'s"}
_CONDITION = {"when", "if", "while", "whenever", "on", "after", "standing", "sitting", "upright"}


def _no_longer(doc: Doc, end: int, sentence: int, sent_of: Sequence[int]) -> bool:
    """After `end` in its sentence, "but now" or "now (it's) only when ..." sets the time after the
    explanation apart (never "now it's only a little one")."""
    for i in range(end, len(doc)):
        if sent_of[i] != sentence:
            break
        if doc[i].lower_ != "now":
            continue
        if doc[i - 1].lower_ == "but":
            return True
        j = i + 1
        while j < len(doc) and j - i <= 3 and doc[j].lower_ in _NOW_ONLY:
            j += 1
        if j < len(doc) and doc[j - 1].lower_ == "only" and doc[j].lower_ in _CONDITION:
            return True
    return False


def _explained(doc: Doc, cand: Candidate, terms: Terms, sent_of: Sequence[int]) -> bool:
    """Another cause (the flag's `explained_by`) told in the hit's sentence, and none of the hit's
    own words names the sign (`explained_unless`); never one the sentence then says no longer holds
    ("... but now it's only when I stand")."""
    sentence = sent_of[cand.start]
    if not any(sent_of[s] == sentence and not _no_longer(doc, e, sentence, sent_of)
               for s, e in terms.get(explain_key(cand.flag, "by"), ())):
        return False
    own = [(s, e) for s, e in terms.get(explain_key(cand.flag, "unless"), ())
           if cand.start <= s and e <= cand.end]
    return not own


# (issue 13 round 33b, blind batch 51 E8 and batch 52 E10 asked look-alikes) what may stand between two items of a
# condition's list joined by "or": "if I pass out or cough blood", "if I can't stay awake or my breathing gets slow"
_OR_ITEM = {"i", "my", "he", "his", "she", "her", "they", "their", "we", "our", "you", "your", "the", "it"}


def _asked_or_listed(doc: Doc, candidates: Sequence[Candidate], read: List[str]) -> List[str]:
    """A hit read as asked about makes the next item of its list asked too when only "or" (and a subject) stands
    between them, in one clause with no mark: "The nurse said if I pass out or cough blood I must call 911" asks
    about both; never "... pass out, or I cough blood" (a mark), an item joined by "and", nor one whose sentence
    goes on to tell a time ("... or I coughed blood this morning")."""
    read = list(read)
    changed = True
    while changed:
        changed = False
        for n, cand in enumerate(candidates):
            if read[n] != AFFIRMED or any(t.lower_ in TIME_CHANGED for t in doc[cand.end:doc[cand.start].sent.end]):
                continue
            for m, other in enumerate(candidates):
                if read[m] != HYPOTHETICAL or other.end > cand.start or cand.start - other.end > 3:
                    continue
                between = [t.lower_ for t in doc[other.end:cand.start]]
                if between and between[0] == "or" and all(w in _OR_ITEM for w in between[1:]):
                    read[n] = HYPOTHETICAL
                    changed = True
                    break
    return read


# "even" after a negation only stresses it: "I can't even feel my legs" is "can't feel my legs", "I didn't even
# get out of breath" denies (issue 13 round 34).
_NOT_EVEN = re.compile(r"(?:\b(?:not|never|cant|dont|didnt|doesnt|wont|isnt|arent|wasnt|werent|havent|hasnt|"
                       r"couldnt|wouldnt|aint)|n't|n\u2019t)\s+(even\s+)", re.IGNORECASE)


def _without_even(text: str, where: Optional[List[int]]) -> Tuple[str, Optional[List[int]]]:
    """`text` without the "even" of "not even", "can't even", with each kept character's offset in the
    patient's text (through `where` when markup was taken out before)."""
    cuts = [m.span(1) for m in _NOT_EVEN.finditer(text)]
    if not cuts:
        return text, where
    offsets = where if where is not None else list(range(len(text)))
    kept = [i for i in range(len(text)) if not any(start <= i < end for start, end in cuts)]
    return "".join(text[i] for i in kept), [offsets[i] for i in kept]


def _without_markup(text: str) -> Tuple[str, Optional[List[int]]]:
    """HTML tags become a space and entities their character ("can&#39;t" -> "can't"),
    with, for each character kept, its offset in `text` (None when nothing changed)."""
    if "<" not in text and "&" not in text:
        return text, None
    parts: List[str] = []
    where: List[int] = []
    done = 0
    for match in _MARKUP.finditer(text):
        parts.append(text[done:match.start()])
        where.extend(range(done, match.start()))
        token = match.group()
        replacement = " " if token.startswith("<") else html.unescape(token)
        parts.append(replacement)
        where.extend([match.start()] * len(replacement))
        done = match.end()
    parts.append(text[done:])
    where.extend(range(done, len(text)))
    return "".join(parts), where


_lock = threading.Lock()
_detectors: Dict[Path, RedFlagDetector] = {}
_default: Optional[RedFlagDetector] = None  # the project's catalogue's, once built


def get_detector(path: Union[str, Path, None] = None) -> RedFlagDetector:
    """The detector for a catalogue, built once per process (relative paths: project root).
    The project's own is kept aside: resolving its path took a tenth of each detection."""
    global _default
    if path is None and _default is not None:
        return _default
    key = Path(path or CATALOGUE_PATH)
    key = (key if key.is_absolute() else CATALOGUE_PATH.parent.parent / key).resolve()
    with _lock:
        if key not in _detectors:
            _detectors[key] = RedFlagDetector(load_catalogue(key))
        if path is None:
            _default = _detectors[key]
        return _detectors[key]


def detect(text: object) -> Detection:
    """Red flags in `text` with the project's catalogue. Never raises."""
    try:
        return get_detector().detect(text)
    except Exception as exc:  # noqa: BLE001 - e.g. a broken catalogue: logged, never raised
        logger.exception("red-flag detector unavailable")
        return Detection(error=f"{type(exc).__name__}: {exc}")

