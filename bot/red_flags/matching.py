"""Finds where the catalogue's words occur in a message: the raw material of a detection.

Everything is compared on a dictionary form we compute ourselves (spacy-lookups-data's
English lookup table, applied to the lowercase word after fixing the catalogue's common
misspellings), so one catalogue phrase covers "peed", "Pee'd" and "peeing". We do not use
spaCy's own lookup lemmatizer because it is case-sensitive ("I", "SOB") and gets a few
words we depend on wrong ("wound" -> "wind", "worse" -> "wrong"); the catalogue lists
those fixes for editors to see.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import spacy
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from bot.nlu.english import lemma_lookups
from bot.red_flags.catalogue import Catalogue, Flag
from bot.red_flags.temperature import Reading, find_temperatures
from bot.vocabulary import (SIMPLE_KEYS, answered_key, cancel_key, exact_key, near_key, pattern_key,
                            phrase_key)

Span = Tuple[int, int]  # token offsets [start, end)
Terms = Dict[str, List[Span]]  # matcher key -> where it occurs
MAX_CANDIDATES_PER_FLAG = 200  # bounds the work on pathological input
# Words ending in "in" that are words already, though the lookup table knows them with a g after
# ("aspiring", "basing"): the ones patients write.
_WORDS_IN_IN = {"aspirin", "basin", "puffin", "statin", "robin", "raisin", "satin", "muffin", "dunkin"}


def explain_key(flag: str, side: str) -> str:
    """Matcher key of a flag's `explained_by` words (side "by") and `explained_unless` words
    (side "unless")."""
    return f"x{side}|{flag}"


@dataclass(frozen=True)
class Candidate:
    """One place a flag's words occur; `terms` are the words that made it."""

    flag: str
    start: int
    end: int
    terms: Tuple[Span, ...]


class Analyser:
    """Tokenises once per message and reports every catalogue term and candidate hit."""

    def __init__(self, catalogue: Catalogue) -> None:
        language = catalogue.language
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self._table = lemma_lookups().get_table("lemma_lookup")
        self._spelling = _lowered(language.get("spelling"))
        self._fixes = _lowered(language.get("lemma_fixes"))
        self._cache: Dict[str, str] = {}
        self._lemmas = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self._lowers = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._patterns = Matcher(self.nlp.vocab)
        # Patterns that start with words that must be there but are not the sign's own words
        # (`CONTEXT: true`): "I" in "I faint", "n't" in "I didn't faint", which must stay outside
        # the hit so that a negation before the sign is read as one. Key -> (flag, how many).
        self._lead_patterns = Matcher(self.nlp.vocab)
        self._leads: Dict[str, Tuple[str, int]] = {}
        self._flags = catalogue.flags
        checklist = language.get("answered_no") or {}
        self._bare_no = {str(w).lower() for w in checklist.get("answers") or ()}
        self._may_precede = {str(w).lower() for w in checklist.get("may_precede") or ()}
        # The matcher keys of each flag, built once: formatting them per message was most
        # of the detector's time.
        self._simple_keys = {f.id: [key(f.id) for key in SIMPLE_KEYS] for f in self._flags}
        self._near_keys = {f.id: [tuple(near_key(f.id, i, side) for side in "abcde")
                                  for i in range(len(f.near))] for f in self._flags}
        for flag in self._flags:
            self.add_terms(phrase_key(flag.id), flag.phrases)
            self.add_terms(exact_key(flag.id), flag.exact, exact=True)
            self.add_terms(cancel_key(flag.id), flag.normal_reading_cancels)
            self.add_terms(answered_key(flag.id), flag.answered_no)
            self.add_terms(explain_key(flag.id, "by"), flag.explained_by)
            self.add_terms(explain_key(flag.id, "unless"), flag.explained_unless)
            for i, rule in enumerate(flag.near):
                self.add_terms(near_key(flag.id, i, "a"), rule.any_of, exact=rule.exact)
                self.add_terms(near_key(flag.id, i, "b"), rule.near, exact=rule.exact)
                self.add_terms(near_key(flag.id, i, "c"), rule.also, exact=rule.exact)
                self.add_terms(near_key(flag.id, i, "d"), rule.not_with)
                self.add_terms(near_key(flag.id, i, "e"), rule.not_part_of, exact=True)
            plain = [list(p) for p in flag.patterns if not p[0].get("CONTEXT")]
            if plain:
                self._patterns.add(pattern_key(flag.id), plain)
            for n, pattern in enumerate(p for p in flag.patterns if p[0].get("CONTEXT")):
                lead = next(i for i, token in enumerate(pattern) if not token.get("CONTEXT"))
                key = f"{pattern_key(flag.id)}|lead{n}"
                self._leads[key] = (pattern_key(flag.id), lead)
                self._lead_patterns.add(key, [[{k: v for k, v in token.items() if k != "CONTEXT"}
                                               for token in pattern]])

    def lemma(self, lower: str) -> str:
        if lower not in self._cache:
            word = self._with_g(self._spelling.get(lower, lower))
            fixed = self._fixes.get(word)
            self._cache[lower] = fixed or str(self._table.get(word, word))
        return self._cache[lower]

    def _with_g(self, word: str) -> str:
        """The g that speech drops, written down: "wettin the bed", "standin up", "my breathin's gone wheezy"
        (issue 13 round 36, blind batches 57 and 58) are read as their -ing forms, when the lookup table knows
        that form and not the word itself (never "aspirin", "basin")."""
        known = word in _WORDS_IN_IN or word in self._table or word in self._fixes
        if len(word) < 5 or not word.endswith("in") or known or \
                (word + "g" not in self._table and word + "g" not in self._fixes):
            return word
        return word + "g"

    def doc(self, text: str) -> Doc:
        lowered = text.lower()
        if lowered != text and len(lowered) == len(text):
            # spaCy's tokenizer exceptions are case-sensitive ("CAN'T" stays one token,
            # "can't" is "ca" + "n't"): tokenise the lowercase text, keep the patient's case.
            tokens = self.nlp.make_doc(lowered)
            doc = Doc(self.nlp.vocab, words=[text[t.idx:t.idx + len(t)] for t in tokens],
                      spaces=[bool(t.whitespace_) for t in tokens])
            for _, component in self.nlp.pipeline:
                doc = component(doc)
        else:
            doc = self.nlp(text)
        for token in doc:
            token.lemma_ = self.lemma(token.lower_)
        return doc

    def add_terms(self, key: str, phrases: Iterable[str], exact: bool = False) -> None:
        phrases = [p for p in phrases if p.strip()]
        if not phrases:
            return
        if exact:
            self._lowers.add(key, [self.nlp.make_doc(p) for p in phrases])
        else:
            self._lemmas.add(key, [self.doc(p) for p in phrases])

    def terms(self, doc: Doc) -> Terms:
        found: Terms = defaultdict(list)
        strings = self.nlp.vocab.strings
        for matcher in (self._lemmas, self._lowers, self._patterns):
            for key, start, end in matcher(doc):
                found[strings[key]].append((start, end))
        for key, start, end in self._lead_patterns(doc):
            flag_key, lead = self._leads[strings[key]]
            found[flag_key].append((start + lead, end))
        for spans in found.values():
            spans.sort()
        return found

    def readings(self, doc: Doc) -> List[Tuple[Reading, Span]]:
        """Temperatures with their token spans."""
        out = []
        for reading in find_temperatures(doc.text):
            span = doc.char_span(reading.start, reading.end, alignment_mode="expand")
            if span is not None:
                out.append((reading, (span.start, span.end)))
        return out

    def candidates(self, doc: Doc, terms: Terms, unit_of: Sequence[int], sent_of: Sequence[int],
                   fevers: Sequence[Span]) -> List[Candidate]:
        """Every hit of every flag; `unit_of`/`sent_of` give each token's clause/sentence."""
        out: List[Candidate] = []
        for flag in self._flags:
            found = [Candidate(flag.id, s, e, ((s, e),)) for key in self._simple_keys[flag.id]
                     for s, e in terms.get(key, ())]
            if flag.temperature:
                found += [Candidate(flag.id, s, e, ((s, e),)) for s, e in fevers]
            found += self._near_hits(doc, flag, terms, unit_of, sent_of)
            found += [Candidate(flag.id, s, e, ((s, e),)) for s, e in
                      self._answered_no(doc, terms.get(answered_key(flag.id), ()))]
            out.extend(found[:MAX_CANDIDATES_PER_FLAG])
        return out

    def _answered_no(self, doc: Doc, questions: Sequence[Span]) -> List[Span]:
        """A checklist's question that names what the sign takes away, answered by one bare word of
        denial that ends its line or sentence: "Feeling in the groin? No.", "Bladder control? nope"
        (the lead, 2026-12-06: the detector read none of these). The span runs to the answer, which is
        the sign's own word, so no negation reads it. Never a question that asks more than the function
        ("Any loss of feeling in the groin? No", "Blood when passing urine? No": only `may_precede`
        words before it), nor an answer that goes on ("Bladder control? No problems")."""
        spans = []
        for start, end in questions:
            sentence = doc[start].sent
            first = start  # the question's own line or part: after a line break, a colon or a semicolon
            while first > sentence.start and "\n" not in doc[first - 1].text and doc[first - 1].text not in {":", ";"}:
                first -= 1
            if end >= len(doc) or doc[end].text != "?" or any(
                    t.is_alpha and t.lower_ not in self._may_precede for t in doc[first:start]):
                continue
            answer = end + 1
            while answer < len(doc) and doc[answer].is_space:
                answer += 1
            after = answer + 1
            if answer < len(doc) and doc[answer].lower_ in self._bare_no and (
                    after >= len(doc) or doc[after].text in {".", "!"} or "\n" in doc[after].text):
                spans.append((start, answer + 1))
        return spans

    def _near_hits(self, doc: Doc, flag: Flag, terms: Terms, unit_of: Sequence[int],
                   sent_of: Sequence[int]) -> List[Candidate]:
        hits: List[Candidate] = []
        for rule, (key_a, key_b, key_c, key_d, key_e) in zip(flag.near, self._near_keys[flag.id], strict=True):
            # (issue 13 round 25) `not_part_of`: a word of the pair inside one of these ("both" of "both
            # hands") is not the sign's
            if key_a not in terms or key_b not in terms:  # most rules, most messages: nothing to pair
                continue
            parts = terms.get(key_e, [])
            a_spans = [a for a in terms[key_a] if not any(s <= a[0] and a[1] <= e for s, e in parts)]
            b_spans = terms[key_b]
            c_spans = terms.get(key_c, [])
            d_spans = terms.get(key_d, [])
            if not a_spans or not b_spans or (rule.also and not c_spans):
                continue
            same = _apart(sent_of, rule.sentences) if rule.sentences else (
                _apart(sent_of, 0) if rule.across_but else _apart(unit_of, 0))
            b_starts = [s for s, _ in b_spans]
            for a in a_spans:
                lo = bisect_left(b_starts, a[0] - rule.within - 8)
                hi = bisect_right(b_starts, a[1] + rule.within)
                for b in b_spans[lo:hi]:
                    if a[1] <= b[0]:
                        first, second = a, b
                    elif b[1] <= a[0] and not rule.in_order:
                        first, second = b, a
                    else:
                        continue  # overlapping words are one phrase, not a pair
                    if second[0] - first[1] <= rule.within and same(first[0], second[0]):
                        # (issue 13 round 25, the lead's probe) `not_with`: "the dressing is saturated
                        # with clear watery fluid" is no bleeding
                        if any(sent_of[s] == sent_of[second[0]] and first[0] - rule.within <= s
                               and e <= second[1] + rule.within
                               and not any(t.lower_ in _DENYING for t in doc[max(0, s - 2):s])
                               for s, e in d_spans):
                            continue
                        if not rule.also:
                            hits.append(Candidate(flag.id, first[0], second[1], (first, second)))
                            continue
                        third = _third(c_spans, first, second, rule.within, same)
                        if third is not None:
                            spans = tuple(sorted((first, second, third)))
                            hits.append(Candidate(flag.id, spans[0][0], max(e for _, e in spans),
                                                  spans))
                if len(hits) >= MAX_CANDIDATES_PER_FLAG:
                    return hits
        return hits


# Words right before a `not_with` word that deny it: "it's not clear fluid, it's blood".
_DENYING = {"not", "n't", "no", "never", "nt", "isnt", "isn't"}


def _apart(number_of: Sequence[int], most: int) -> Callable[[int, int], bool]:
    """Whether two tokens lie at most `most` clauses (or sentences) apart."""
    return lambda i, j: abs(number_of[i] - number_of[j]) <= most


def _third(spans: Sequence[Span], first: Span, second: Span, within: int,
           same: Callable[[int, int], bool]) -> Optional[Span]:
    """The `also` word nearest the pair: within `within` words of it, in its clause (or
    sentence), not overlapping it."""
    best: Optional[Span] = None
    for span in spans:
        if span[1] <= first[0]:
            gap = first[0] - span[1]
        elif span[0] >= second[1]:
            gap = span[0] - second[1]
        elif span[1] <= second[0] and span[0] >= first[1]:
            gap = 0
        else:
            continue  # overlaps a word of the pair
        if gap <= within and same(span[0], first[0]) and (
                best is None or gap < _gap(best, first, second)):
            best = span
    return best


def _gap(span: Span, first: Span, second: Span) -> int:
    return first[0] - span[1] if span[1] <= first[0] else max(0, span[0] - second[1])


def _lowered(mapping: object) -> Dict[str, str]:
    if not isinstance(mapping, dict):
        return {}
    return {str(k).strip().lower(): str(v).strip().lower() for k, v in mapping.items()}
