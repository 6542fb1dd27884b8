"""Decides whether a hit is a report of the sign, or negated, asked about, past or resolved.

NegEx-style scopes, but bounded: negspacy's Negex lets a negation reach the end of a
"but"-free sentence and treats "can't" as a negation, so "I don't have a fever and I
can't pee" would lose the retention. Here a trigger reaches at most `window` words and
stops at a clause break ("but", "however", or ", and I ...") or a stop word ("no fever,
just my groin feels numb"), and a trigger that is part of the hit's own words ("can't
pee", "no control of my bladder") never negates it. Numbness the patient says is improving,
unchanged or asks about is the nerve healing (`expected_healing`), unless they say it is new;
numbness in both legs and foot drop only when said to improve or explained by a doctor.
Missing a red flag is the costly error, so every rule errs towards "affirmed". The token-level
tests the rules are built from (clauses, times, ages, suppositions) are in `clauses`.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Mapping, Sequence, Set, Tuple

from spacy.tokens import Doc

from bot.red_flags.clauses import (ADDRESSES, BREAK_WORDS, COUNTS, FILLERS, NOT_YET, POSSESSIVES, QUESTION_LABELS,
                                   REASONS, REPORTED, TIME_CHANGED, UNCHANGED, WRITER, a_place, after_it, answered_none,
                                   asked_then_quoted, asks, asks_full_recovery, becomes, between_clauses,
                                   condition_runs_on, conditional, denial_opens_next, describes, dropped_subject,
                                   feared_return, feeling_returned, goes_somewhere, has_it_now, heading, if_perfect,
                                   improving_before, item_told_now, later_word_denied, listed, moves_time,
                                   never_bare_before, never_before, next_or_listed, now_within, only_lying,
                                   opens_and_carries, opens_clause, opens_next_sentence, other_sentence, past_ages,
                                   past_years, place_said_well, quoted_answered_no, relative_clauses, restated_over,
                                   set_off, since_alone, state_now, supposed, tag_question, taken, told_today,
                                   topic_named, until, warned_in_general, worse_after, would_be_like, young_child)
from bot.red_flags.matching import Analyser, Candidate, Span, Terms
from bot.vocabulary import context_key

AFFIRMED = "affirmed"
NEGATED = "negated"
HYPOTHETICAL = "hypothetical"
HISTORICAL = "historical"
RESOLVED = "resolved"
# Numbness or tingling the patient says is improving, unchanged or asks about: the nerve
# healing, not a new sign (language: healing in data/red_flags.yml).
HEALING = "healing"

# Matcher keys of the catalogue's context words (language: in data/red_flags.yml).
K_BREAK = context_key("break")
K_COMPARE = context_key("compare")
K_CONTRAST = context_key("contrast")
K_HEAL_BETTER = context_key("heal_better")
K_HEAL_NOT_BETTER = context_key("heal_not_better")
K_HEAL_EXPECTED = context_key("heal_expected")
K_HEAL_NOW = context_key("heal_now")
K_HEAL_NOT_NOW = context_key("heal_not_now")
K_NO_BREAK = context_key("no_break")
K_TIME_LEAD = context_key("time_lead")
# "..., before the op I mean": a time phrase said as an afterthought dates what came before it.
AFTERTHOUGHT = {"mean", "think", "guess", "believe", "reckon", "suppose"}
K_HEAL_RETURNING = context_key("heal_returning")
K_HEAL_ELSEWHERE = context_key("heal_elsewhere")
K_ALL_WELL = context_key("all_well")
K_ANSWERED = context_key("answered")
K_HEAL_SAME = context_key("heal_same")
K_HEAL_WORDS = context_key("heal_words")
K_HEAL_WORSE = context_key("heal_worse")
K_FOLLOW = context_key("follow")
K_DENIED_AFTER = context_key("denied_after")
K_HAVE_NOW = context_key("have_now")
K_HIST = context_key("hist")
K_HIST_EVENT = context_key("hist_event")
K_HIST_NEW = context_key("hist_new")
K_HYPO = context_key("hypo")
K_WARNED = context_key("warned")
K_NEG = context_key("neg")
K_NEG_NEXT = context_key("neg_next")
K_NEG_AFTER = context_key("neg_after")
K_OTHERS = context_key("others")
K_PETS = context_key("pets")
K_CHILDREN = context_key("children")
K_ME_TOO = context_key("me_too")
K_PAST = context_key("past")
K_PSEUDO = context_key("pseudo")
K_REAFFIRM = context_key("reaffirm")
K_RECUR = context_key("recur")
K_RES = context_key("res")
K_RES_NOT_NUMB = context_key("res_not_numb")
K_FEELING_LOST = context_key("feeling_lost")
K_SHORT = context_key("short")
K_STOP = context_key("stop")


def _section(language: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = language.get(name)
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> List[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


class Context:
    """Registers the catalogue's context words with the analyser and scores candidates."""

    def __init__(self, analyser: Analyser, language: Mapping[str, Any]) -> None:
        neg = _section(language, "negation")
        hypo = _section(language, "hypothetical")
        short = found if isinstance(found := hypo.get("short"), dict) else {}
        hist = _section(language, "history")
        res = _section(language, "resolution")
        clauses = _section(language, "clauses")
        self.neg_window = int(neg.get("window", 6))
        self.hypo_window = int(hypo.get("window", 12))
        self.short_window = int(short.get("window", 2))
        short_triggers = set(_list(short.get("triggers")))
        analyser.add_terms(K_NEG, _list(neg.get("triggers")))
        analyser.add_terms(K_NEG_NEXT, _list(neg.get("next_word")))
        analyser.add_terms(K_NEG_AFTER, _list(neg.get("after")))
        self.after_window = int(neg.get("after_window", 3))
        analyser.add_terms(K_ANSWERED, _list(neg.get("answered")))
        analyser.add_terms(K_STOP, _list(neg.get("stops")))
        self.double_negative = _first_words(analyser, neg.get("double_negative"))
        analyser.add_terms(K_REAFFIRM, _list(neg.get("reaffirm")), exact=True)
        long_triggers = [t for t in _list(hypo.get("triggers")) if t not in short_triggers]
        analyser.add_terms(K_HYPO, long_triggers)
        analyser.add_terms(K_HYPO, _list(hypo.get("triggers_exact")), exact=True)
        analyser.add_terms(K_SHORT, short_triggers)
        analyser.add_terms(K_FOLLOW, _list(hypo.get("following")))
        analyser.add_terms(K_WARNED, _list(hypo.get("warned_after")))
        analyser.add_terms(K_DENIED_AFTER, _list(hypo.get("denied_after_question")))
        analyser.add_terms(K_HAVE_NOW, _list(hypo.get("have_now")))
        analyser.add_terms(K_OTHERS, _list(hypo.get("others")))
        analyser.add_terms(K_PETS, _list(hypo.get("pets")))
        analyser.add_terms(K_CHILDREN, _list(hypo.get("children")))
        analyser.add_terms(K_ME_TOO, _list(hypo.get("me_too")))
        analyser.add_terms(K_OTHERS, _list(hypo.get("others_exact")), exact=True)
        self.question_starts = _first_words(analyser, hypo.get("question_starts"))
        self.first_person = _first_words(analyser, hypo.get("first_person"))
        analyser.add_terms(K_PSEUDO, _list(neg.get("pseudo")) + _list(hypo.get("pseudo"))
                           + _list(hist.get("pseudo")))
        analyser.add_terms(K_HIST, _list(hist.get("triggers")))
        analyser.add_terms(K_HIST_EVENT, _list(hist.get("events_only")))
        analyser.add_terms(K_COMPARE, _list(hist.get("comparison")))
        analyser.add_terms(K_HIST_NEW, _list(hist.get("new")))
        analyser.add_terms(K_CONTRAST, _list(hist.get("contrast")))
        heal = _section(language, "healing")
        self.healing_flags = set(_list(heal.get("flags")))
        # Emergency signs read this way only when said to improve or explained by a doctor.
        self.strict_healing_flags = set(_list(heal.get("strict_flags")))
        analyser.add_terms(K_HEAL_EXPECTED, _list(heal.get("expected")))
        self.continuers = {w.lower() for w in _list(heal.get("continuers"))}
        analyser.add_terms(K_HEAL_WORDS, _list(heal.get("words")))
        analyser.add_terms(K_HEAL_BETTER, _list(heal.get("improving")))
        analyser.add_terms(K_HEAL_NOT_BETTER, _list(heal.get("not_improving")))
        analyser.add_terms(K_HEAL_SAME, _list(heal.get("unchanged")))
        analyser.add_terms(K_HEAL_WORSE, _list(heal.get("new")))
        analyser.add_terms(K_HEAL_NOW, _list(heal.get("now")))
        analyser.add_terms(K_HEAL_NOT_NOW, _list(heal.get("not_now")))
        analyser.add_terms(K_HEAL_RETURNING, _list(heal.get("returning_better")))
        analyser.add_terms(K_HEAL_ELSEWHERE, _list(heal.get("elsewhere")))
        analyser.add_terms(K_ALL_WELL, _list(neg.get("all_well")))
        self.heal_questions = _first_words(analyser, heal.get("question_starts"))
        analyser.add_terms(K_RES, _list(res.get("triggers")), exact=True)
        analyser.add_terms(K_RES_NOT_NUMB, _list(res.get("not_for_numbness")), exact=True)
        analyser.add_terms(K_FEELING_LOST, _list(res.get("feeling_lost")))
        self.res_window = int(res.get("window", 6))
        self.event_flags = set(_list(res.get("events")))
        analyser.add_terms(K_PAST, _list(res.get("past_cues")), exact=True)
        analyser.add_terms(K_RECUR, _list(language.get("recurrence")))
        analyser.add_terms(K_BREAK, _list(clauses.get("breaks")))
        analyser.add_terms(K_NO_BREAK, _list(clauses.get("idioms")))
        analyser.add_terms(K_TIME_LEAD, _list(clauses.get("time_leads")))
        self.refers_back = _first_words(analyser, res.get("refers_back"))
        self.other_subjects = _first_words(analyser, res.get("other_subjects"))
        self.soft_breaks = _first_words(analyser, clauses.get("soft_breaks"))
        self.subjects = _first_words(analyser, clauses.get("subjects"))

    def units(self, doc: Doc, terms: Terms) -> Tuple[List[int], List[int]]:
        """Clause number and sentence number of every token."""
        sent_starts = {sent.start for sent in doc.sents}
        starts = set(sent_starts) | {s for s, _ in terms.get(K_BREAK, ())}
        # (not inside an idiom such as "now and then": "tingly now and then, less than last week")
        idioms = terms.get(K_NO_BREAK, ())
        # (issue 13 round 25, blind batch 36's ticked lists) a line break ends a clause: "✘ fever\n✔ stiff
        # in the mornings" is two items, and a cross denies only its own line
        starts |= {t.i + 1 for t in doc if t.is_space and "\n" in t.text and t.i + 1 < len(doc)}
        # (issue 13, 2026-12-06) or by a time phrase and then a subject: ", years ago I had the same"
        # opens a clause of its own, and its history does not reach back to "I can't pee"; not an
        # afterthought that dates the clause before ("My legs were numb, before the op I mean")
        led = {s - 1: e for s, e in [*terms.get(K_HIST, ()), *past_years(doc), *past_ages(doc),
                                     *terms.get(K_TIME_LEAD, ())] if s > 0}
        for i in range(len(doc) - 1):
            if doc[i].lower_ in self.soft_breaks and not any(s < i < e - 1 for s, e in idioms) and (
                    doc[i + 1].lower_ in self.subjects or
                    (led.get(i, len(doc)) < len(doc) - 1 and doc[led[i]].lower_ in self.subjects
                     and not afterthought(doc, led[i] + 1, self.subjects))):
                starts.add(i)
        unit_of, sent_of, unit, sent = [], [], -1, -1
        for i in range(len(doc)):
            unit += i in starts or i == 0
            sent += i in sent_starts or i == 0
            unit_of.append(unit)
            sent_of.append(sent)
        return unit_of, sent_of

    def statuses(self, doc: Doc, candidates: Sequence[Candidate], terms: Terms,
                 unit_of: Sequence[int], sent_of: Sequence[int]) -> List[str]:
        """The status of each candidate. What depends only on the message (its triggers
        outside pseudo-triggers) is read once: a long message repeating a sign's words
        ("cant pee cant pee ...") would otherwise cost seconds per message."""
        pseudo = {i for s, e in terms.get(K_PSEUDO, ()) for i in range(s, e)}
        # (issue 13 round 17, blind batch 23 E4) "never ... before the op" says the sign is new, with
        # any words between ("which has never once been a problem for me before the op"), as the
        # pseudo-triggers "never had that before" do without them
        pseudo |= {i for s, e in terms.get(K_HIST, ()) if never_before(doc, s, unit_of)
                   for i in range(s, e)} | never_bare_before(doc, unit_of)
        # (issue 13 round 25) a count ("once", "twice") says the past only of a clause that is not today's:
        # "I wet the bed once after the op but not since" is over; "I wet myself twice this morning but
        # not since" is today's
        terms = {**terms, K_PAST: [t for t in terms.get(K_PAST, ())
                                   if not (doc[t[0]].lower_ in COUNTS and told_today(doc, t[0], unit_of))]}
        years = past_years(doc) + past_ages(doc)
        if years:  # "my throat swelled up once back in 2015": a year gone by is history
            terms = {**terms, K_HIST: [*terms.get(K_HIST, ()), *years]}
        cache: Dict[str, List[Span]] = {}

        def live(key: str) -> List[Span]:
            """Triggers that are not part of a pseudo-trigger ("not sure", "can't")."""
            if key not in cache:
                cache[key] = [t for t in terms.get(key, ()) if t[0] not in pseudo]
            return cache[key]

        # Resolutions that are not denied nor "until": the ago clauses read them all; a candidate's
        # status, those that are not relief only while lying down.
        resolved = [t for t in live(K_RES)
                    if not _negated(t, live(K_NEG)) and not until(doc, t) and not becomes(doc, t)
                    and not goes_somewhere(doc, t)]
        lasting = [t for t in resolved if not only_lying(doc, t, unit_of)]
        agos = self._ago_clauses(doc, unit_of, resolved)
        asides = relative_clauses(doc)
        return [self._status(doc, cand, terms, unit_of, sent_of, candidates, live, agos, lasting, asides)
                for cand in candidates]

    def _ago_clauses(self, doc: Doc, unit_of: Sequence[int], resolutions: Sequence[Span]) -> List[int]:
        """Clauses that say, against the one before, that something was long ago: "..., but that
        was 10 days ago" (issue 13 round 6). The first word of each ("that"): read like a
        resolution that refers back to a past hit in the clause before (`_refers_back`), never
        right after a hit ("my foot went numb 2 days ago" is a report), nor without the contrast
        ("my leg went weak, that was 2 days ago" may still be going on). Without the contrast, a
        sentence that opens with it and says in its own words that all has been well since counts
        too: "... I fainted on the ward. That was 2 weeks ago and I've been fine since" (issue 13
        round 9, blind batch 11 E8)."""
        found = []
        for i, token in enumerate(doc):
            if token.lower_ != "ago":
                continue
            first = unit_of.index(unit_of[i])
            contrast = False
            while first < i and (not doc[first].is_alpha or doc[first].lower_ in self.soft_breaks
                                 or doc[first].lower_ in BREAK_WORDS):
                contrast = contrast or doc[first].lower_ in BREAK_WORDS
                first += 1
            if not contrast and not (
                    first == next(t.i for t in doc[i].sent if t.is_alpha)
                    and any(i < s < doc[i].sent.end for s, _ in resolutions)):
                continue
            if first + 1 < i <= first + 8 and doc[first].lower_ in self.refers_back and \
                    doc[first + 1].lower_ in {"was", "were", "'s", "is"}:
                found.append(first)
        return found

    def _status(self, doc: Doc, cand: Candidate, terms: Terms, unit_of: Sequence[int],
                sent_of: Sequence[int], others: Sequence[Candidate],
                live: Callable[[str], List[Span]], agos: Sequence[int],
                resolutions: Sequence[Span], asides: Sequence[Tuple[int, int]]) -> str:
        own = {i for s, e in cand.terms for i in range(s, e)}
        stops = [s for s, _ in terms.get(K_STOP, ())]
        reaffirmed = any(s >= cand.end and sent_of[s] == sent_of[cand.start]
                         for s, _ in terms.get(K_REAFFIRM, ()))
        negations = self._negations(doc, live(K_NEG), terms, unit_of)
        # (issue 13, 2026-12-06, found probing) in a run without marks, a denial whose next word is another
        # sign's denies that one, not a sign after it with no "or"/"and" between: "no fever no chills cant
        # feel my legs since this morning" (voice-to-text, all lower case)
        negations = [n for n in negations if not taken(doc, n, cand.flag, cand.terms, others, own)]
        # (issue 13 round 28, blind batch 42 U9) a negation inside a relative clause set off by commas does
        # not reach past the comma that closes it: "I tripped over the raised toilet seat ..., which was never
        # fitted properly, and ended up flat on the bathroom floor"
        last = max(s for s, _ in cand.terms)
        negations = [n for n in negations if not any(o < n[0] < c < last for o, c in asides)]
        # "nothing numb around the bum or groin": a trigger that denies only the sign's word right
        # after it (issue 13 round 15, blind batch 21 E3 look-alike)
        # (issue 13 round 16, blind batch 22 U2 look-alike) or the next one of a list joined by "or":
        # "nothing new going numb or tingly anywhere"
        next_word = [t for t in live(K_NEG_NEXT) if any(next_or_listed(doc, t[1], s) for s, _ in cand.terms)
                     and not own.intersection(range(t[0], t[1]))]
        if next_word:
            negations = [*negations, *next_word]
        shields = [s for s, _ in terms.get(K_NEG, ()) if s in own]
        if (self._before(doc, negations, cand, self.neg_window, unit_of, own, stops, shields=shields,
                         listing=True)
                or self._denied_then_well(doc, cand, negations, terms, unit_of, own, stops)
                or later_word_denied(cand, negations, unit_of)
                or answered_none(doc, cand, terms.get(K_ANSWERED, ()))
                or self._denied_after(doc, live(K_NEG_AFTER), cand, unit_of, own, stops)
                or place_said_well(doc, cand, terms.get(K_ALL_WELL, ()))
                or quoted_answered_no(doc, cand)) and \
                not reaffirmed:
            return NEGATED
        # (issue 13 round 25, the lead's probe) a person's frame ("my neighbour's") that names a place or a
        # companion is no one else's sign: "I went over to my neighbour's and slipped on her icy step"
        places = {s for s, e in live(K_OTHERS) if a_place(doc, s, e)}
        # (issue 13 probes, 2026-12-06) "my 4 year old wet the bed, and so did I": the writer's too
        # (never one dated by a history phrase in its clause: "my mate has sciatica in both legs, me too but
        # only before the op"; found probing round 28)
        me_too = any(s >= cand.end and 0 <= sent_of[s] - sent_of[cand.start] <= 1 and
                     not any(h >= e and sent_of[h] == sent_of[s] for h, _ in live(K_HIST))
                     for s, e in live(K_ME_TOO))
        # (found probing) nor an "if" opening a clause in the present perfect that tells when: "would it matter if
        # I've wet myself twice today"
        perfect = [t for t in live(K_HYPO) if any(if_perfect(doc, k + 1) for k in range(t[1] - 1, cand.start))]
        if perfect and not (self._told_when(cand, terms, unit_of) or told_today(doc, cand.start, unit_of)):
            perfect = []
        hypo = [t for t in live(K_HYPO) if t[0] not in places and t not in perfect]
        # (issue 13 round 28, the lead) a person's frame among the triggers ("my friend has") takes no sign
        # the writer then says they have too: "my friend has foot drop. I have too since yesterday"
        if me_too:
            hypo = [t for t in hypo if not any(_overlaps(t, o) for o in live(K_OTHERS))]
        if self._before(doc, hypo, cand, self.hypo_window, unit_of, own, stops, last_enough=True,
                        into=True) or (not me_too and (
                    self._told_of_other(doc, cand, live(K_OTHERS), unit_of) or
                    self._told_of_other(doc, cand, [p for p in live(K_PETS) if opens_clause(doc, p[0])], unit_of)
                    or (young_child(doc) and self._told_of_other(doc, cand, live(K_CHILDREN), unit_of)))) or \
                (self._before(doc, live(K_SHORT), cand, self.short_window, unit_of, own, into=True)
                 and not self._told_when(cand, terms, unit_of)) or \
                self._general_question(doc, cand, live(K_FOLLOW), unit_of) or \
                self._asked_then_denied(doc, cand, terms.get(K_DENIED_AFTER, ())) or \
                self._warned_asked_denied(doc, cand, [*hypo, *live(K_FOLLOW)],
                                          terms.get(K_DENIED_AFTER, ())) or \
                condition_runs_on(doc, cand, hypo, unit_of, sent_of) or \
                supposed(doc, cand) or warned_in_general(doc, cand, terms.get(K_WARNED, ())) or \
                topic_named(doc, cand):
            if not has_it_now(doc, cand, terms.get(K_HAVE_NOW, ()), sent_of):
                return HYPOTHETICAL
        # (issue 13, 2026-12-05, blind batch 26 E6 look-alike) "is slowly coming back, each week I can
        # lift my toes a bit higher": strength returning in the sentence, not the sign recurring
        returning = [t[0] for t in terms.get(K_HEAL_RETURNING, ()) if not _negated(t, live(K_NEG))]
        # (issue 13 round 25, blind batch 35 E3 look-alike) of lost feeling, "it all came back completely"
        # is the feeling returning, not the sign back: it does not undo a history phrase (nor does it
        # close a sign told now: "my groin went numb yesterday but the feeling came back" stays a report)
        lost = any(_overlaps(t, w) for t in cand.terms for w in terms.get(K_FEELING_LOST, ()))
        recur = [s for s, e in live(K_RECUR)
                 if not _negated((s, e), live(K_NEG)) and not _inside(s, resolutions)
                 and not any(r > s and sent_of[r] == sent_of[s] for r in returning)
                 and not (lost and feeling_returned(doc, s, e)) and not feared_return(doc, s)]
        sentence = sent_of[cand.start]
        units = {unit_of[s] for s, _ in cand.terms}
        compare = [e for _, e in terms.get(K_COMPARE, ())]
        # ("nothing new" does not make the history new; issue 13, 2026-12-05, context set 1)
        denials = [*live(K_NEG), *live(K_NEG_NEXT)]
        if len(units) == 1 and not any(sent_of[r] == sentence and not describes(doc, r, cand)
                                       for r in recur) and \
                not any(unit_of[s] in units and not _negated((s, e), denials)
                        for s, e in terms.get(K_HIST_NEW, ())):
            contrast = [s for s, _ in terms.get(K_CONTRAST, ())]
            # (a trigger may reach into the hit's clause from the one before: "surgery because I")
            if any((unit_of[start] in units or unit_of[end - 1] in units
                    or opens_and_carries(doc, start, end, cand, unit_of)
                    or _ends_and_carries(doc, end, cand, terms, unit_of, sent_of)) and not any(
                    start - 4 <= e <= start and unit_of[e - 1] == unit_of[start] for e in compare)
                   and not any(end <= c <= end + 2 for c in contrast)
                   and not now_within(doc, end, cand.end)
                   and not self._history_denied(doc, start, denials, own)
                   for start, end in self._history(cand, live)):
                return HISTORICAL
        # (issue 13 round 16, blind batch 22 U2 and E3) of feeling lost, "it hasn't come back" says the
        # feeling has not returned, not that the sign is over (of tingling, which "stopped", it is over)
        if any(_overlaps(t, w) for t in cand.terms for w in terms.get(K_FEELING_LOST, ())):
            not_numb = terms.get(K_RES_NOT_NUMB, ())
            resolutions = [r for r in resolutions if not _inside(r[0], not_numb)]
        if cand.flag in self.event_flags:
            resolutions = [r for r in resolutions if not state_now(doc, r)]
        told_past = any(unit_of[s] == unit_of[cand.start] for s, _ in terms.get(K_PAST, ())) or any(
            unit_of[i] == unit_of[cand.start] and _past_form(t)
            for i, t in enumerate(doc[cand.start:cand.end], start=cand.start))
        for start, end in resolutions:
            if any(r > start and sent_of[r] == sent_of[start] for r in recur):
                continue
            # "the pain jumped right back up today after a week of getting better": the improvement
            # is before the sign, part of it (issue 13, 2026-12-05, context set 1 U7)
            if worse_after(doc, start) or after_it(doc, start):
                continue
            if improving_before(doc, start, cand, sent_of):
                continue
            # (issue 13 round 25, the lead's probe) "numbness has gone and my legs feel strong", "both
            # legs were numb after the op but the numbness has gone now": the sign's word named again
            if restated_over(doc, start, end, cand, unit_of, sent_of, terms.get(K_ALL_WELL, ()), told_past):
                return RESOLVED
            if self._right_after(doc, start, cand, unit_of) or \
                    self._refers_back(doc, start, cand, terms, unit_of, others) or \
                    between_clauses(start, cand, unit_of) or \
                    (not any(r > start for r in recur) and self._later_in_past(
                        doc, start, cand, terms, unit_of, sent_of, others, negations)):
                return RESOLVED
        for start in agos:
            if not any(r > start and sent_of[r] == sent_of[start] for r in recur) and \
                    self._refers_back(doc, start, cand, terms, unit_of, others):
                return RESOLVED
        return AFFIRMED

    @staticmethod
    def _history_denied(doc: Doc, start: int, denials: Sequence[Span], own: Set[int]) -> bool:
        """A history phrase denied right before it, with no mark between and not by the sign's own words:
        "my groin is numb, which was not the case before surgery" says the sign is new (issue 13 round 34,
        blind batch 53 E4: "... essentially anesthetic, which was absolutely not the case pre-op"); never
        "never" ("can't swallow big tablets, never could since I was a kid" is old)."""
        return _negated((start, start), [(s, end) for s, end in denials if s not in own and doc[s].lower_ != "never"
                                         and not any(doc[k].is_punct for k in range(end, start))])

    def _history(self, cand: Candidate, live: Callable[[str], List[Span]]) -> List[Span]:
        """History phrases for this hit: of a sign that is an event (a faint, a fall) also the days
        still in hospital after the operation, which the ward saw ("I fainted on day one in hospital,
        fine now"); a state that began there and goes on is still a sign (issue 13 round 23)."""
        if cand.flag in self.event_flags:
            return [*live(K_HIST), *live(K_HIST_EVENT)]
        return live(K_HIST)

    @staticmethod
    def _told_when(cand: Candidate, terms: Terms, unit_of: Sequence[int]) -> bool:
        """The hit's clause says when the sign began ("since this morning", "since the op": history's
        `new`): a short question frame does not make it asked (issue 13 round 22, found by probing:
        "can I ask what numbness in my groin since this morning means?")."""
        units = {unit_of[s] for s, _ in cand.terms}
        return any(unit_of[s] in units for s, _ in terms.get(K_HIST_NEW, ()))

    def _told_of_other(self, doc: Doc, cand: Candidate, others: Sequence[Span],
                       unit_of: Sequence[int]) -> bool:
        """A sign whose subject is a neighbour, a friend, a colleague or a relative outside the home
        (`others`), right before it in its clause with no word of the writer between: "my neighbour
        keeled over a few days after her hip op" is asked about (issue 13 round 16, blind batch 22 E8
        look-alike); "my friend found me and I had collapsed", "my mate says my foot drags" report,
        and so does a fall at their place (`a_place`: "I went over to my neighbour's and slipped on her
        icy step", issue 13 round 25, the lead's probe), and a sign whose own words name the writer ("my
        neighbour's dog knocked me over", issue 13 round 26)."""
        # (issue 13 round 26) nor a sign whose own words name the writer: "the dog knocked me over"; a
        # possessive there is only the writer's thing when the other is the sign's subject right before
        # it ("the dog wet my bed again", issue 13 probes, 2026-12-06)
        subject = any(end == cand.start and unit_of[start] == unit_of[cand.start] and not a_place(doc, start, end)
                      for start, end in others)
        if any(t.lower_ in WRITER and not (subject and t.lower_ in POSSESSIVES) for t in doc[cand.start:cand.end]):
            return False
        return any(end <= cand.start and cand.start - end <= self.neg_window
                   and unit_of[start] == unit_of[cand.start]
                   and not any(t.lower_ in WRITER for t in doc[end:cand.start])
                   and not a_place(doc, start, end)
                   for start, end in others)

    def _denied_then_well(self, doc: Doc, cand: Candidate, negations: Sequence[Span], terms: Terms,
                          unit_of: Sequence[int], own: Set[int], stops: Sequence[int]) -> bool:
        """A pair over two clauses whose first word is denied and whose later clause only says
        all is well: "no headache when I sit up or stand, I feel fine lying down too" (but "no
        headache lying down, only when I sit up" is the sign: its later clause says no such thing)."""
        first, later = cand.terms[0], [t for t in cand.terms[1:] if unit_of[t[0]] != unit_of[cand.terms[0][0]]]
        if not later or not self._before(doc, negations, Candidate(cand.flag, first[0], first[1], (first,)),
                                         self.neg_window, unit_of, own, stops):
            return False
        well = terms.get(K_ALL_WELL, ())
        # (a negation after the later word, "..., I can touch my chin to my chest, and no
        # temperature", does not spoil its all-well: issue 13 round 20, blind batch 26 E11 look-alike)
        return all(any(unit_of[s] == unit_of[t[0]] for s, _ in well) and
                   not any(unit_of[n[0]] == unit_of[t[0]] and n[0] < t[1] for n in negations) and
                   not any(unit_of[p] == unit_of[t[0]] for p in stops)
                   for t in later)

    def _later_in_past(self, doc: Doc, marker: int, cand: Candidate, terms: Terms,
                       unit_of: Sequence[int], sent_of: Sequence[int],
                       others: Sequence[Candidate], negations: Sequence[Span]) -> bool:
        """'Had a headache and a stiff neck from the pillow the first days, no fever, all gone
        now': a resolution later in the sentence of a hit told in the past, with no other sign
        between them that is not denied (and, the caller checks, nothing after it saying the
        sign is back)."""
        if marker < cand.end or sent_of[marker] != sent_of[cand.start] or \
                doc[marker].sent.text.rstrip().endswith("?") or \
                any(t.lower_ in NOT_YET for t in doc[max(0, marker - 4):marker]):
            return False  # "..., will it go back to normal": hoped for, not happened
        unit = unit_of[cand.start]
        # "both legs went numb this morning, the pain has gone though": what has gone is named, and it
        # is not the sign (issue 13, 2026-12-06)
        clause = unit_of.index(unit_of[marker])
        if any(t.lower_ in self.other_subjects and not cand.start <= t.i < cand.end for t in doc[clause:marker]):
            return False
        # The past is told before the resolution: "..., even the morning ones are gone, never had
        # this problem before" tells no past sign that is over (issue 13 round 14, blind batch 16 E4)
        if not (any(unit_of[s] == unit and s < marker for s, _ in terms.get(K_PAST, ())) or any(
                unit_of[i] == unit and i < marker and _past_form(t) for i, t in enumerate(doc))):
            return False
        return not any(cand.end <= other.start < marker and other.flag != cand.flag and
                       not any(0 <= other.start - e <= 2 for _, e in negations)
                       for other in others)

    def _general_question(self, doc: Doc, cand: Candidate, triggers: Iterable[Span],
                          unit_of: Sequence[int]) -> bool:
        """'is chest pain a warning sign?': a question that does not speak of the writer.

        (issue 13 round 31, blind batches 47 E2 and 48 E11 asked look-alikes) A question that opens after a
        colon before the sign opens as if it opened the sentence ("My husband ... asked me to check: what would
        trouble with his bladder actually look like?"); a form of address opening it is skipped and a tag
        question ends it as a question word opens one ("doctor, headache and stiff neck together is dangerous is
        it?"; only when the sentence tells no time: "... since this morning, dangerous is it?" reports); and what
        a sign "would look (feel, be) like" asks for a description whoever it is of ("what would numbness in my
        groin feel like?"; never with a time told)."""
        sent = doc[cand.start].sent
        start = max((t.i + 1 for t in doc[sent.start:cand.start] if t.text == ":"), default=sent.start)
        words = doc[start:sent.end]
        first = next((t for t in words if t.is_alpha), None)
        if first is not None and first.lower_ in ADDRESSES | FILLERS and first.i + 1 < sent.end and \
                doc[first.i + 1].text in {",", "!"}:
            first = next((t for t in words if t.is_alpha and t.i > first.i), None)
        timeless = not any(t.lower_ in TIME_CHANGED for t in words)
        # (issue 13 round 35, blind batch 56 E8 and E11 asked look-alikes) a question labelled as one in a
        # note: "- Q: fainting or blood in cough, ER or clinic?"
        asked = asks(words)
        labelled = asked and start - 2 >= sent.start and doc[start - 2].lower_ in QUESTION_LABELS
        if first is None or not (first.lower_ in self.question_starts or labelled or
                                 (timeless and tag_question(words))):
            return False  # most sentences: known after a word or two, however long
        if dropped_subject(doc, first.i, asked, cand.start):
            return False
        # ("I" of a conditional does not speak of the writer's state: "is fainting something id
        # need to call about", issue 13 round 13, blind batch 18 E8 look-alike)
        if any(t.is_alpha and t.lower_ in self.first_person and not conditional(doc, t.i) for t in words) and \
                not (timeless and would_be_like(doc, first.i, sent.end)):
            return False
        return any(start <= s < sent.end for s, _ in triggers)

    def _asked_then_denied(self, doc: Doc, cand: Candidate, denials: Sequence[Span]) -> bool:
        """A question about the sign ("is it normal to cough up a bit of blood after ...?") whose next
        sentence opens with the writer's own denial that ends there ("I haven't had any, just a
        scratchy throat", "I haven't."): asked about, not told (issue 13 round 17, blind batch 23 E8
        look-alike). Never "... ? I haven't since this morning", "... ? I haven't had any for hours"."""
        sent = doc[cand.start].sent
        first = next((t for t in sent if t.is_alpha), None)
        if first is None or not asks(sent):
            return False
        # (issue 13 round 28, blind batch 42 E2 negated look-alike) or someone's question told, then
        # quoted after a comma: "Nurse rang and asked the usual questions, any trouble with the
        # waterworks? Honestly none, I'm going normally"
        if first.lower_ not in self.question_starts and not asked_then_quoted(doc, sent, cand):
            return False
        return denial_opens_next(doc, sent, denials)

    def _warned_asked_denied(self, doc: Doc, cand: Candidate, frames: Sequence[Span],
                             denials: Sequence[Span]) -> bool:
        """A sign the care team named as a warning, then a question, then the writer's own denial
        opening the sentence after the question: "The nurse mentioned headache with a stiff neck as
        something to watch for after spine surgery, why is that? I don't have either, just curious",
        "They said a bad headache plus a neck you can't bend is serious ... Why is that? I've not had
        anything like that" (issue 13 round 20, blind batch 26 E11 and batch 24 E7 and E11
        look-alikes). All four are needed: someone other than the writer said, mentioned or warned
        of it before the sign's words in its sentence; a question or warning word after them there
        ("to watch for", "serious"); a question mark in that sentence or the next; and the denial,
        which ends there, right after the question ("The nurse mentioned my calf swelling as
        something to watch for. Should I go in? I don't know" tells it)."""
        sent = doc[cand.start].sent
        if not any(t.lower_ in REPORTED and (t.i == sent.start or doc[t.i - 1].lower_ not in WRITER)
                   for t in doc[sent.start:cand.start]):
            return False
        if not any(cand.end <= s < sent.end for s, _ in frames):
            return False
        asked = sent
        if not asks(asked):
            if asked.end >= len(doc):
                return False
            asked = doc[asked.end].sent
            if not asks(asked):
                return False
        return denial_opens_next(doc, asked, denials)

    def _right_after(self, doc: Doc, marker: int, cand: Candidate, unit_of: Sequence[int]) -> bool:
        """'the numbness has gone away', but not 'my foot is numb and the pain is better'."""
        # "..., gone now": a comma right before the marker does not separate it.
        between = [i for i in range(cand.end, marker)
                   if not (i == marker - 1 and doc[i].text == ",")]
        return (cand.end <= marker <= cand.end + self.res_window
                and unit_of[marker] == unit_of[cand.end - 1]
                and not any(doc[i].lower_ in self.soft_breaks for i in between))

    def _negations(self, doc: Doc, triggers: Sequence[Span], terms: Terms,
                   unit_of: Sequence[int]) -> List[Span]:
        """Negation triggers, less a `double_negative` word ("without") that follows another
        negation in its clause: "I can't walk without my foot dragging" reports the sign."""
        every = terms.get(K_NEG, ())
        return [t for t in triggers
                if not (doc[t[0]].lower_ in self.double_negative
                        and any(t[0] - 8 <= e <= t[0] and s < t[0]
                                and unit_of[s] == unit_of[t[0]] for s, e in every))]

    def _denied_after(self, doc: Doc, triggers: Sequence[Span], cand: Candidate, unit_of: Sequence[int],
                      own: Set[int], stops: Sequence[int]) -> bool:
        """(issue 13 round 30, blind batch 45) A negation that follows what it denies, as Hindi-English
        puts it ("chest mein dard nahi hai"): a trigger at most `after_window` words after the hit's last
        word, in its clause with no mark between ("bed geela tha, pata nahi kaise" is the sign), that is
        not one of the sign's own words, with no `stops` word between."""
        last_start, last_end = max(cand.terms)
        return any(last_end <= start and start - last_end <= self.after_window
                   and unit_of[start] == unit_of[last_start]
                   and not any(doc[k].is_punct for k in range(last_end, start))
                   and not own.intersection(range(start, end))
                   and not any(last_end <= stop < start for stop in stops)
                   for start, end in triggers)

    @staticmethod
    def _before(doc: Doc, triggers: Sequence[Span], cand: Candidate, window: int,
                unit_of: Sequence[int], own: Set[int], stops: Sequence[int] = (),
                last_enough: bool = False, into: bool = False, shields: Sequence[int] = (),
                listing: bool = False) -> bool:
        """A trigger shortly before a word of the hit, in its clause, with no `stops` word
        between ("no fever, just my groin feels numb"). A pair that spans clauses ("no
        headache lying down, only when I sit up") needs every word covered, except that for a
        question or a hope (`last_enough`) its last word is enough: "I'm pain free, will it
        come back?", "getting better, I hope it never gets worse" ask about what may come.
        `into`: a trigger that starts before the hit may run into its words ("if pain gets
        unbearable", "will the pain get unbearable?"; issue 13 round 6), for questions only: a
        negation inside the sign's words ("no control of my bladder") never negates it.
        `shields`: where the sign's own words carry a negation; an earlier trigger set off from it (by
        a mark or a reason's "as") reaches no word of the sign (issue 13, 2026-12-06, found
        probing: "no fever, no strength in my left leg", "my foot feels not attached, no strength since
        this morning", "not trying to complain, meds aren't touching the pain" report the sign; "it's
        not that I can't pee", "no absence of sensation" deny it).
        `listing` (negations): nor a word in a later list item told now ("no dizziness, coughing up
        blood this morning"), unless "or"/"nor" lists it with what is denied ("no fever, chills or
        sweats since yesterday")."""
        covered = [any(end <= term_start and term_start - end <= window
                       and unit_of[start] == unit_of[term_start]
                       and (not own.intersection(range(start, end)) or (into and start < cand.start))
                       and not any(end <= stop < term_start for stop in stops)
                       and not any(end <= shield < cand.end and set_off(doc, end, shield) for shield in shields)
                       and not (listing and set_off(doc, end, term_start) and item_told_now(doc, term_start, term_end)
                                and not listed(doc, end, term_end))
                       for start, end in triggers)
                   for term_start, term_end in cand.terms]
        one_clause = len({unit_of[s] for s, _ in cand.terms}) == 1
        if last_enough and not one_clause and covered[-1] and \
                max(s for s, _ in cand.terms) == cand.terms[-1][0]:
            return True
        # A sign of three words (headache, neck, stiff) is absent when one of them is denied:
        # "a mild headache but no fever and my neck isn't stiff".
        return any(covered) if one_clause or len(cand.terms) > 2 else all(covered)

    def _refers_back(self, doc: Doc, marker: int, cand: Candidate, terms: Terms,
                     unit_of: Sequence[int], others: Sequence[Candidate] = ()) -> bool:
        """'I had chills the first night, but none since': the next clause closes a past hit."""
        unit = unit_of[cand.end - 1]
        # The next clause, or a later one in the sentence with no other sign's words between:
        # "I couldn't pee after the op so they put a catheter in, but since ... it's fine";
        # or the next sentence when the marker opens it, with no other sign's words between
        # (issue 13 round 7): "... clear-ish ooze on the dressing, it stopped that same day.
        # Bone dry ever since.", "... racing heart and tight chest. Nothing like it since."
        opens_next = opens_next_sentence(doc, marker, cand, unit_of) and not any(
            cand.end <= other.start < marker and other.flag != cand.flag for other in others)
        if not opens_next and unit_of[marker] != unit + 1 and (
                unit_of[marker] <= unit or other_sentence(doc, marker, cand) or any(
                    unit < unit_of[other.start] < unit_of[marker] for other in others)):
            return False
        first = unit_of.index(unit_of[marker])
        # "Since then I've been calm and breathing normally": "then" opens a clause of its own after
        # "Since" (issue 13 round 14, blind batch 16 E7 look-alike); the clause is read from "Since"
        if first > 0 and since_alone(doc, unit_of, unit_of[first] - 1):
            first = unit_of.index(unit_of[first] - 1)
        if doc[first].lower_ in self.soft_breaks or _inside(first, terms.get(K_BREAK, ())):
            first += 1
            while first < len(doc) and not doc[first].is_alpha and first < marker:
                first += 1
        if first != marker and doc[first].lower_ not in self.refers_back:
            return False
        if any(unit_of[s] == unit for s, _ in terms.get(K_PAST, ())):
            return True
        return any(unit_of[i] == unit and _past_form(t) for i, t in enumerate(doc))

    def heading_update(self, doc: Doc, cands: Sequence[Candidate], terms: Terms,
                       unit_of: Sequence[int]) -> bool:
        """Every affirmed hit of a sign lies in a heading that names it as the topic of an update
        ("Foot drop update!", "Numbness progress:"), and the rest of the message says it improves
        (`healing.improving`, `returning_better`, not denied) and nowhere that it is new or worse
        (`healing.new`): the patient's account of a sign getting better (issue 13 round 17, blind
        batch 23 E6 look-alike). "Foot drop update: no better", "... still the same" or "... worse" stays
        a report."""
        headings = [heading(doc, c) for c in cands]
        if not cands or any(h is None for h in headings):
            return False
        inside = {i for h in headings if h is not None for i in range(*h)}
        negs = terms.get(K_NEG, ())
        not_better = terms.get(K_HEAL_NOT_BETTER, ())
        better = [t for key in (K_HEAL_BETTER, K_HEAL_RETURNING) for t in terms.get(key, ())
                  if t[0] not in inside and not _negated(t, negs) and not _inside(t[0], not_better)]
        worse = [t for t in terms.get(K_HEAL_WORSE, ()) if not _inside(t[0], terms.get(K_HEAL_BETTER, ()))
                 and not _negated(t, negs)]
        # ("Foot drop update! Still the same, walking is improving though" says the sign does not improve)
        unchanged = any(t.lower_ in UNCHANGED for t in doc)
        return bool(better) and not worse and not unchanged

    def expected_healing(self, doc: Doc, cands: Sequence[Candidate], terms: Terms,
                         unit_of: Sequence[int], sent_of: Sequence[int],
                         strict: bool = False, others: Sequence[Candidate] = ()) -> bool:
        """Numbness or tingling the patient says is improving or unchanged, or asks about
        ("will the numbness go away?"), or a doctor has explained ("they said this is
        normal", "it should heal over time"), and nowhere says is new, spreading or worse.
        `strict` (numbness in both legs, foot drop): only improving or explained counts."""
        numb = terms.get(K_HEAL_WORDS, ())
        # "Less good: my legs ... are numb" says nothing improves (issue 13 round 6)
        not_better = terms.get(K_HEAL_NOT_BETTER, ())
        if not_better:
            terms = {**terms, K_HEAL_BETTER: [t for t in terms.get(K_HEAL_BETTER, ())
                                              if not _inside(t[0], not_better)]}
        if not cands or not all(any(_overlaps(t, w) for t in c.terms for w in numb)
                                for c in cands):
            return False  # weakness, or words that are not numbness: a sign as before
        # (issue 13 round 29, blind batch 43 U2) a time before the operation followed by a contrast says
        # the past was different, not that it is unchanged: "tingling in the left foot since two days.
        # Before the operation the problem was only the right leg"
        contrast = [s for s, _ in terms.get(K_CONTRAST, ())]
        then = terms.get(K_HIST, ())
        if contrast and then:
            terms = {**terms, K_HEAL_SAME: [t for t in terms.get(K_HEAL_SAME, ()) if not (
                any(_overlaps(t, h) for h in then) and any(t[1] <= c <= t[1] + 2 for c in contrast))]}
        sentences = {sent_of[c.start] for c in cands}
        # A part the operated nerve does not reach ("numbness on one side of my body", an arm):
        # not the nerve healing, whatever else is said (issue 13 round 5)
        if any(sent_of[s] in sentences for s, _ in terms.get(K_HEAL_ELSEWHERE, ())):
            return False
        # Its own clause, or the next one when it starts "it", "that", ... or the cue itself:
        # "..., but it's fading", "on and off but fading", "but usually much less".
        cues = {s for key in (K_HEAL_BETTER, K_HEAL_SAME, K_HEAL_EXPECTED)
                for s, _ in terms.get(key, ())}
        units = {unit_of[c.start] for c in cands}
        units |= {u + 1 for u in units if u + 1 in unit_of and self._opens_with_reference(
            doc, unit_of.index(u + 1), terms, cues)}
        negs = terms.get(K_NEG, ())
        # For an emergency sign, a question ("does his foot drop have a chance of improving?")
        # does not say it is improving.
        questions = {n for n, sent in enumerate(doc.sents) if self._is_question(sent)}
        asked = questions if strict else set()

        def said(key: str, where: Set[int], of: Sequence[int], negated: bool = False) -> bool:
            return any(of[s] in where and sent_of[s] not in asked and
                       _negated((s, e), negs) == negated for s, e in terms.get(key, ()))

        first = min(sentences)
        later = set(range(first, sent_of[-1] + 1)) if sent_of else set()
        # "... numb. Now some is back.", "not the same as before": new, whatever else it says;
        # but "not caused by any new impingement" says it is not new.
        better = terms.get(K_HEAL_BETTER, ())
        # "the foot drop ... is slowly coming back, I can lift my toes higher every week":
        # "coming back" followed in its sentence by strength returning is recovery, not new.
        # (never "I can no longer lift my foot higher than the step")
        returning_better = [s for s, e in terms.get(K_HEAL_RETURNING, ()) if not _negated((s, e), negs)]
        # ("nothing new", "nothing worse": a next-word denial too; issue 13, 2026-12-05, context set 1)
        # The sign's own "no" ("no feeling in my left foot since yesterday") denies nothing after it
        # (2026-12-06, found by probing: read as healing, the time taken as denied).
        own_spans = [span for c in cands for span in c.terms]
        negs = [n for n in negs if not _inside(n[0], own_spans)]
        denials = [*negs, *terms.get(K_NEG_NEXT, ())]
        # Nor does a pseudo-trigger's ("not my skin") say it is not new: "numb, like it is not my skin,
        # numb since this morning" says when it began (2026-12-06, found probing after round 30).
        pseudo = terms.get(K_PSEUDO, ())
        denying = [n for n in negs if not _inside(n[0], pseudo)]
        # (a denial in an earlier list item, "no fever, numb foot since this morning", or of another sign in a
        # run without marks, "no fever numbness in my foot since yesterday", is not the time's)
        worse, not_new, recovering = [], [], []
        for t in terms.get(K_HEAL_WORSE, ()):
            if _inside(t[0], better) or (sent_of[t[0]] in questions - sentences
                                         and asks_full_recovery(doc, t[0])):
                continue
            if any(r > t[0] and sent_of[r] == sent_of[t[0]] for r in returning_better) and \
                    not _negated(t, negs):
                recovering.append(t)
                continue
            # (a word told in its own negated form, "can't feel", is not denied by an earlier one: "no
            # fever, can't feel my left foot" says it is new; 2026-12-06, found probing)
            if not any(t[0] <= n < t[1] for n, _ in terms.get(K_NEG, ())) and (
                    _negated(t, denials) or any(e <= t[0] and t[0] - e <= self.neg_window and
                                                unit_of[s] == unit_of[t[0]] and
                                                not (set_off(doc, e, t[0]) and not listed(doc, e, t[1]))
                                                and not taken(doc, (s, e), cands[0].flag, (t,), others, set())
                                                for s, e in denying)):
                not_new.append(t)
            else:
                worse.append(t)
        if any(unit_of[s] in units and sent_of[s] not in asked for s, _ in not_new):
            # its own clause says it is not new: "new" in an earlier clause is something else
            # ("after a new MRI, I learned the foot drop is not caused by any new ...")
            worse = [t for t in worse if unit_of[t[0]] >= min(units)]
        if any(sent_of[s] in later for s, _ in worse) or \
                said(K_HEAL_SAME, later, sent_of, negated=True) or \
                said(K_HEAL_EXPECTED, later, sent_of, negated=True):
            return False
        # A doctor's word in its sentence or the next one, or, in its clause, "not ... new".
        near = sentences | {s + 1 for s in sentences}
        if said(K_HEAL_EXPECTED, near, sent_of) or any(
                unit_of[s] in units and sent_of[s] not in asked for s, _ in not_new):
            return True
        if said(K_HEAL_BETTER, units, unit_of) or any(
                unit_of[s] in units and sent_of[s] not in asked for s, _ in recovering):
            return True
        if strict:
            return False
        if said(K_HEAL_SAME, units, unit_of):
            return True
        # ("now and then" says how often, not that it is there now)
        not_now = terms.get(K_HEAL_NOT_NOW, ())
        if any(sent_of[s] in sentences and not _inside(s, not_now) for s, _ in terms.get(K_HEAL_NOW, ())):
            return False  # "now my leg is numb, will this go away?" is a report
        for number, sent in enumerate(doc.sents):  # "will it go away?", "... Is it normal?"
            words = [t.lower_ for t in sent if t.is_alpha]
            if number < first or not words or not self._is_question(sent):
                continue
            if number in sentences or (len(words) <= 8 and self.refers_back.intersection(words)):
                return True
        return False

    def _is_question(self, sent: Any) -> bool:
        words = [t.lower_ for t in sent if t.is_alpha]
        return bool(words) and (asks(sent) or words[0] in self.heal_questions)

    def _opens_with_reference(self, doc: Doc, first: int, terms: Terms, cues: Set[int]) -> bool:
        if doc[first].lower_ in self.soft_breaks or _inside(first, terms.get(K_BREAK, ())):
            first += 1
        while first < len(doc) and not doc[first].is_alpha:
            first += 1
        # "..., but usually to a much lesser extent": words that carry on the clause before
        skipped = 0
        while first < len(doc) and doc[first].lower_ in self.continuers and skipped < 5 and \
                first not in cues:
            first += 1
            skipped += 1
        return first < len(doc) and (doc[first].lower_ in self.refers_back or first in cues)


def _ends_and_carries(doc: Doc, end: int, cand: Candidate, terms: Terms, unit_of: Sequence[int],
                      sent_of: Sequence[int]) -> bool:
    """A history phrase that ends its clause carries into the next clause of its sentence when that
    clause is told in the past and nothing in it moves the time: "I had a reaction to penicillin
    when I was a kid, my face swelled right up" (issue 13 round 16, blind batches 11 and 16 E9
    look-alikes); never "I had sciatica years ago, my leg went numb this morning" nor "..., my leg
    is numb"."""
    if end >= len(doc) or unit_of[cand.start] != unit_of[end - 1] + 1 or \
            sent_of[cand.start] != sent_of[end - 1] or \
            any(t.is_alpha for t in doc[end:] if unit_of[t.i] == unit_of[end - 1]):
        return False  # not the last words of its clause, or the hit not in the next one
    unit = unit_of[cand.start]
    clause = [t for t in doc if unit_of[t.i] == unit]
    if any(moves_time(doc, t.i) for t in clause):
        return False
    # (issue 13 round 33b, benign set 12) a reason's habit in the past: "I had three falls in the years before surgery
    # because my leg would give way"
    habit = bool(clause) and clause[0].lower_ in REASONS and any(t.lower_ in {"would", "'d"} for t in clause)
    return habit or any(unit_of[s] == unit for s, _ in terms.get(K_PAST, ())) or any(_past_form(t) for t in clause)


def afterthought(doc: Doc, i: int, subjects: Set[str]) -> bool:
    """"I mean", "I think" ending its clause ("My legs were numb, before the op I mean"), not
    opening another one ("..., years ago I think I had the same")."""
    return doc[i].lower_ in AFTERTHOUGHT and not (i + 1 < len(doc) and doc[i + 1].lower_ in subjects)


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _inside(index: int, spans: Iterable[Span]) -> bool:
    return any(start <= index < end for start, end in spans)


def _negated(span: Span, negations: Iterable[Span]) -> bool:
    """A context word right after a negation: "hasn't gone away", "not gone yet",
    "hasn't come back"."""
    return any(span[0] - 2 <= end <= span[0] and start < span[0] for start, end in negations)


def _first_words(analyser: Analyser, words: Any) -> Set[str]:
    return {analyser.nlp.make_doc(w)[0].lower_ for w in _list(words) if w.strip()}


def _past_form(token: Any) -> bool:
    """A word that looks like a verb's past ("walked", "stopped"): read with the past cues
    (`resolution.past_cues`) to say a clause tells the past."""
    return token.is_alpha and len(token) > 4 and token.lower_.endswith("ed")
