"""The token-level tests the context reader's rules are built from (bot/red_flags/context.py).

Each is a pure function of the spaCy `Doc` and a hit's position: where a clause opens or ends,
whether a time phrase, an age or a year tells history, whether a question's condition or a
supposition covers the hit, whether a heading or an improvement frames it. The word sets beside
each function are the words it reads; each comment names the round and the blind case that
called for it (docs/SAFETY.md).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, List, Optional, Sequence, Set, Tuple

from spacy.tokens import Doc

from bot.red_flags.matching import Candidate, Span
from bot.red_flags.temperature import ONES


def describes(doc: Doc, marker: int, cand: Candidate) -> bool:
    """A recurrence word inside the hit's own words, in a relative clause that describes the old
    sign ("I used to get migraines that were worse when standing, years before the surgery"):
    what the sign was like, not that it came back (issue 13 round 11, blind batch 13 U5)."""
    return cand.start < marker < cand.end and any(
        doc[j].lower_ in _RELATIVE for j in range(max(cand.start, marker - 3), marker))


# (issue 13 round 33b, benign set 12) a return guarded against, not told: "so I brought it up at my check-up in case
# it came back" (never "I wonder if it came back" nor "I am worried it came back": they may tell it)
_FEARED = {"case", "lest"}


def feared_return(doc: Doc, marker: int) -> bool:
    """A recurrence word with "in case" or "lest" at most three words before it in its sentence."""
    sent_start = doc[marker].sent.start
    return any(doc[k].lower_ in _FEARED for k in range(max(sent_start, marker - 3), marker))


def opens_and_carries(doc: Doc, start: int, end: int, cand: Candidate,
                      unit_of: Sequence[int]) -> bool:
    """A history phrase that opens the sentence carries into the clauses joined to it by "and"
    when nothing says the time changed: "Before the operation my foot was weak and I couldn't lift
    my toes well" (issue 13 round 11, blind batch 13 E6); never past "now", "today", "but" or a
    clause opened by another word ("Before the op my back hurt, now I can't lift my toes")."""
    sent = doc[start].sent
    first = next((t.i for t in sent if t.is_alpha), None)
    # (issue 13 round 12, blind batch 14 E3) the phrase may stand in a time clause that opens the
    # sentence: "When I had my son 12 years ago I had an epidural and my bum and legs were numb"
    opens = counted(doc, first, start) or (first is not None and doc[first].lower_ in _TIME_OPENERS
                                           and unit_of[first] == unit_of[start])
    # (issue 13 round 17, blind batch 23 E9 look-alike) or right after a colon, which opens what it
    # announces: "I'm allergic to penicillin: as a kid my face blew up and I came out in hives all over"
    opens = opens or (start > sent.start and doc[start - 1].text in _ANNOUNCES)
    # (issue 13 round 27, blind batch 40 E9 look-alike) or right after a comma, opening a clause of its
    # own: "I'm allergic to penicillin, as a child I came out in hives and my lips swelled"
    opens = opens or (start > sent.start and doc[start - 1].text == ",")
    if not opens or unit_of[start] >= unit_of[cand.start] or cand.start < end:
        return False
    for unit in range(unit_of[start] + 1, unit_of[cand.end - 1] + 1):
        opening = next(i for i in range(start, cand.end) if unit_of[i] == unit)
        # (issue 13 round 12, blind batch 14 E2) or after time clauses only, each set off by a
        # comma: "Years ago, after my hernia repair in 2015, I couldn't pee for a few hours"
        if doc[opening].lower_ != "and" and not _time_only(doc, unit - 1, start, end, unit_of):
            return False
    # (issue 13 round 15) up to the end of the hit's clause: "she has always been a fainter and she
    # fainted twice today" is today's
    last = cand.end
    while last < len(doc) and unit_of[last] == unit_of[cand.end - 1]:
        last += 1
    return not any(moves_time(doc, i) for i in range(end, last))


# (issue 13, 2026-12-07, found probing round 35) a span of time named as this one or the last: "Before the op my back
# hurt and this week I wet myself" (was read as history, a missed emergency); never "in the worst week" before the op
_THIS_SPANS = {"week", "weekend", "month", "fortnight"}
_RECENT = {"this", "last"}


# (issue 13, 2026-12-07, round 35's batch 56 E1 past look-alike) a time of day counted as one that was had: "Before
# the operation, I had one night when I could not hold the urine" tells a night then, not last night
_TIMES_OF_DAY = {"morning", "afternoon", "evening", "night"}
_COUNTED_ONE = {"one", "a", "that"}
_HAD_ONE = {"had", "was", "spent"}


def moves_time(doc: Doc, i: int) -> bool:
    """Whether the word at i tells that its clause is about now, not the history phrase's time: a word of now
    (`TIME_CHANGED`; never a time of day that was had: "I had one night when ..."), the present (`PRESENT`), "this
    week" or "last week"."""
    word = doc[i].lower_
    if word in _TIMES_OF_DAY and i > 1 and doc[i - 1].lower_ in _COUNTED_ONE and doc[i - 2].lower_ in _HAD_ONE:
        return False
    return word in TIME_CHANGED or word in PRESENT or (word in _THIS_SPANS and i > 0 and doc[i - 1].lower_ in _RECENT)


def _time_only(doc: Doc, unit: int, start: int, end: int, unit_of: Sequence[int]) -> bool:
    """Whether a clause is only a time phrase set off by a comma: the history phrase's own clause
    when the phrase opens it ("Years ago,"), or a short clause opened by a time word ("after my
    hernia repair in 2015,"), never one that tells something ("I had sciatica years ago,"). The history
    phrase's own words do not count towards "short": "Before the operation, in the worst week of March," (issue 13,
    2026-12-07, batch 56's E1 past look-alike)."""
    words = [t for t in doc if unit_of[t.i] == unit]
    if not words or len([t for t in words if t.is_alpha and not start <= t.i < end]) > 8:
        return False
    last = words[-1].i
    if words[-1].text != "," and (last + 1 >= len(doc) or doc[last + 1].text != ","):
        # (issue 13 round 30, blind batch 46 E6 past look-alike) or the history phrase alone as a label before
        # a colon: "- Pre-op: mild left foot drop for 3 months" (never a clause that tells something)
        label = [t for t in words if t.is_alpha]
        colon = words[-1].text == ":" or (last + 1 < len(doc) and doc[last + 1].text == ":")
        if not (colon and label and label[0].i == start and len(label) <= 4):
            return False  # not set off by a comma
    head = next((t for t in words if t.is_alpha), None)
    return head is not None and (counted(doc, head.i, start) or head.lower_ in _TIME_OPENERS
                                 or head.lower_ in _CIRCUMSTANCES)


_COUNTS_OF = {"some", "a", "few", "many", "several", "couple", "of"}
# A short clause of the circumstances then, set off by commas after a history phrase: "Two years ago, with my
# first hernia, I had some numb feeling in my buttock" (issue 13 round 35, blind batch 56 E3 past look-alike).
_CIRCUMSTANCES = {"with"}


def counted(doc: Doc, first: Optional[int], start: int) -> bool:
    """The history phrase at `start` comes first, or only a count before it: "Two years ago, ...", "Some years
    ago, ..." open the sentence as "Years ago" does (issue 13 round 35, blind batch 56 E3 and E4 past look-alikes:
    "2 years ago" was read as history, "Two years ago" was not)."""
    return first is not None and first <= start and all(
        t.like_num or t.lower_ in _COUNTS_OF for t in doc[first:start] if t.is_alpha)


# Words of the writer: between a neighbour and a sign, they make it the writer's ("my friend found me
# collapsed").
WRITER = {"i", "me", "my", "mine", "myself", "im", "we", "us", "our"}
POSSESSIVES = {"my", "mine", "our"}
# Between "nothing" and a later word of a list: "nothing numb or tingly" (not a comma: "nothing happens,
# no erection" tells two things).
_LISTING = {"or", "nor"}


def next_or_listed(doc: Doc, end: int, start: int) -> bool:
    """The sign's word right after a trigger that denies only the next word, or the next one of a
    list joined by "or" ("nothing new going numb or tingly"): at most two words between, the last
    "or" or "nor"."""
    return start == end or (end < start <= end + 3 and doc[start - 1].lower_ in _LISTING)


# Words that open a reason: "pain medication that had no purpose as it did not help" ("since" and "so" open a time
# or a result as often, so only `REASONS` opens a clause for certain).
REASONS = {"as", "because", "cause", "cos", "coz"}
_REASONS = REASONS | {"since", "so"}


def set_off(doc: Doc, start: int, end: int) -> bool:
    """A mark or a reason's first word between `start` and `end`."""
    return any(doc[k].is_punct or doc[k].lower_ in _REASONS for k in range(start, end))


_JOINING = _LISTING | {"and", "&", "n", "nd", "an"}


def taken(doc: Doc, trigger: Span, flag: str, terms: Sequence[Span], others: Sequence[Candidate],
          own: Set[int]) -> bool:
    """A "no" right before another sign's word, with neither a mark nor a joining word between it and the
    next of `terms` (flag's words) after it: it denies that other sign alone ("Neither leg is weak" is not
    a list)."""
    after = trigger[1]
    if doc[trigger[0]].lower_ != "no" or after >= len(doc) or after in own or not any(
            other.flag != flag and any(s == after for s, _ in other.terms) for other in others):
        return False
    first = min((s for s, _ in terms if s > after), default=None)
    return first is not None and not any(doc[k].is_punct or doc[k].lower_ in _JOINING
                                         for k in range(after, first))


def listed(doc: Doc, start: int, end: int) -> bool:
    """An "or" or "nor" from `start` to a few words after `end`: a list of what is denied."""
    return any(doc[k].lower_ in _LISTING for k in range(start, min(len(doc), end + 4)))


def later_word_denied(cand: Candidate, negations: Sequence[Span], unit_of: Sequence[int]) -> bool:
    """A pair over two clauses whose later word, the one that makes it the sign, is denied right
    before it: "a bit of a cough with a cold but no blood" (blind batch 5 E8). Only right
    before: "no headache lying down, only when I sit up" keeps its later word, and a pair in one
    clause ("headache when I sit up but not lying down") is another candidate."""
    if len(cand.terms) != 2:
        return False
    first, later = cand.terms
    return unit_of[first[0]] != unit_of[later[0]] and any(
        end == later[0] and unit_of[start] == unit_of[later[0]] for start, end in negations)


# Who names a sign as a warning: "the nurse mentioned", "they said", "they warned us".
REPORTED = {"said", "mentioned", "mention", "mentions", "warned", "warns", "listed", "lists"}
# After the writer's denial that answers a question, these end it: "I haven't had any, just ...".
_DENIAL_ENDS = {"just", "but", "yet", "so", "thankfully", "luckily", "myself", "though", "personally",
                "thank", "touch", "at"}


def asks(sent: Any) -> bool:
    """A sentence with a question mark."""
    return any(t.text.startswith("?") for t in sent)


# (issue 13 round 31, blind batch 48 E11 asked look-alike) a form of address opening a question ("doctor,
# headache and stiff neck together is dangerous is it?"), and the tags that end a statement as a question
ADDRESSES = {"doctor", "doc", "dr", "nurse", "sister", "sir", "madam", "maam", "hi", "hello", "hey", "bot"}
# ... and what a writer says before a question, set off the same way: "um, is losing control of your bladder after
# back surgery a thing that actually happens?" (issue 13 round 36, blind batch 57 E1 asked look-alike)
FILLERS = {"um", "umm", "uh", "uhm", "erm", "er", "hmm", "hm", "ok", "okay", "so", "well", "ah", "oh"}
_TAGS = (("is", "it"), ("is", "n't", "it"), ("isn't", "it"), ("is", "that", "right"), ("right",), ("correct",),
         ("or", "not"), ("yes", "or", "no"))


def tag_question(words: Any) -> bool:
    """A sentence ending in a tag question: "... is dangerous is it?", "..., right?"."""
    tokens = [t.lower_ for t in words if not t.is_space]
    if not tokens or tokens[-1] != "?":
        return False
    body = tokens[:-1]
    while body and body[-1] in {",", "lah", "ah", "leh", "ya", "yah", "na"}:
        body = body[:-1]
    return any(tuple(body[-len(tag):]) == tag for tag in _TAGS)


_LIKE_VERBS = {"look", "looks", "feel", "feels", "be", "seem", "seems", "sound", "sounds"}


def would_be_like(doc: Doc, first: int, end: int) -> bool:
    """A question opening "what would" that asks what something would look, feel or be like: "what would
    trouble with his bladder actually look like?" (issue 13 round 31, blind batch 47 E2 asked look-alike)."""
    if doc[first].lower_ != "what" or first + 1 >= end or doc[first + 1].lower_ not in {"would", "'d", "will", "might"}:
        return False
    return any(doc[i].lower_ == "like" and doc[i - 1].lower_ in _LIKE_VERBS for i in range(first + 2, end))


_WORSE_AGAIN = {"worse", "worsening", "spreading", "spreads", "increasing"}
_NOT = {"not", "n't", "no", "never", "nothing"}
_REFERS = {"it", "they", "that", "this"}


def worse_after(doc: Doc, start: int) -> bool:
    """Later in the sentence of a resolution, the sign ("it", "they") is said to worsen or spread,
    not denied: "the numbness was getting better but now it's spreading" is no resolution (issue 13,
    2026-12-05, found by probing: it was read as resolved); "... but my back pain is worse" is."""
    sentence = doc[start].sent
    for t in doc[start + 1:sentence.end]:
        before = [p.lower_ for p in doc[max(sentence.start, t.i - 3):t.i]]
        if t.lower_ in _WORSE_AGAIN and _REFERS.intersection(before) and not _NOT.intersection(before):
            return True
    return False


_CLAUSE_BREAKS = {"but", "and", ",", ".", ";", "though", "then"}
_STATE = {"now", "fine", "ok", "okay", "normal", "better"}
_SINCE = {"since", "ever"}


def after_it(doc: Doc, start: int) -> bool:
    """A resolution told as what came before the sign: "after a week of getting better", "after it
    had improved" ("after" within four words before it, in its clause)."""
    sentence = doc[start].sent
    for i in range(start - 1, max(sentence.start, start - 5) - 1, -1):
        if doc[i].lower_ in _CLAUSE_BREAKS:
            return False
        if doc[i].lower_ == "after":
            return True
    return False


# After "going down", words that say where to: "going down into my foot", "going down both legs".
_WHERE_TO = {"to", "into", "towards", "toward", "through", "past", "my", "the", "both", "his", "her", "each",
             "one", "either", "as", "further", "lower", "more"}


def goes_somewhere(doc: Doc, span: Span) -> bool:
    """A resolution "going down" that goes somewhere, a spreading, not an easing, or that is asked
    (issue 13 probes, 2026-12-06, found by probing): "the pain in my leg suddenly got much worse, it is
    going down into my foot", "the numbness in my groin is going down to my thighs", "the swelling is going
    down? doesn't look like it" (never "it's going down nicely")."""
    start, end = span
    return doc[end - 1].lower_ == "down" and end < len(doc) and (doc[end].lower_ in _WHERE_TO or
                                                                doc[end].text == "?")


def state_now(doc: Doc, span: Span) -> bool:
    """A resolution that tells how the writer is now ("I feel ok now", "fine now"), not that nothing
    has happened since ("nothing like that since", "fine ever since"): it does not take away a sign
    that is an event, a faint or a fall (the catalogue's `resolution.events`)."""
    start, end = span
    words = {t.lower_ for t in doc[start:min(len(doc), end + 4)]}
    return bool(_STATE & {t.lower_ for t in doc[start:end]}) and not (_SINCE & words)


def has_it_now(doc: Doc, cand: Candidate, told: Sequence[Span], sent_of: Sequence[int]) -> bool:
    """After a sign named as a warning or asked about, the writer says they have it now, later in
    the same sentence or in the next one, which is not a question: "The nurse said to watch for a
    stiff neck and headache. I have both now." (never "... Do I have both now?")."""
    return any(start >= cand.end and 0 <= sent_of[start] - sent_of[cand.start] <= 1
               and not asks(doc[start].sent) for start, _ in told)


_RELATIVE = {"which", "who", "whom", "whose"}


def relative_clauses(doc: Doc) -> List[Tuple[int, int]]:
    """(opening comma, closing comma) of each relative clause set off by commas: ", which ... ,"."""
    out = []
    for i in range(len(doc) - 2):
        if doc[i].text == "," and doc[i + 1].lower_ in _RELATIVE:
            closing = next((t.i for t in doc[i + 2:doc[i].sent.end] if t.text == ","), None)
            if closing is not None:
                out.append((i, closing))
    return out


_ASKED = {"asked", "asks", "asking", "ask"}
_QUOTED_STARTS = {"any", "anything", "problems", "trouble", "issues", "have", "has", "had", "did", "do", "does",
                  "is", "are", "were", "was"}


def asked_then_quoted(doc: Doc, sent: Any, cand: Candidate) -> bool:
    """Someone's question told ("asked the usual questions", "she asks me"), then the question itself
    after a comma or colon, holding the sign: "Nurse rang and asked the usual questions, any trouble
    with the waterworks?" (issue 13 round 28)."""
    marks = [t.i for t in doc[sent.start:cand.start] if t.text in {",", ":"}]
    if not marks:
        return False
    opening = marks[-1] + 1
    return opening < cand.start + 1 and doc[opening].lower_ in _QUOTED_STARTS and \
        any(t.lower_ in _ASKED for t in doc[sent.start:marks[-1]])


def denial_opens_next(doc: Doc, sent: Any, denials: Sequence[Span]) -> bool:
    """The sentence after `sent` opens with the writer's own denial that ends there: "I haven't had
    any, just a scratchy throat", "I haven't." (never "I haven't since this morning")."""
    if sent.end >= len(doc):
        return False
    opening = next((t.i for t in doc[sent.end].sent if t.is_alpha), None)
    return any(start == opening and (end >= len(doc) or not doc[end].is_alpha or doc[end].lower_ in _DENIAL_ENDS)
               for start, end in denials)


def answered_none(doc: Doc, cand: Candidate, answers: Sequence[Span]) -> bool:
    """A sign named as the topic of a line and answered right after its colon or dash by a denial
    that ends there: "Regarding your leaflet's question about bladder or bowel accidents: none
    whatsoever, full control of both", "Fever: none." (issue 13 round 22, blind batch 29 E1
    look-alike); never "Fever: none till today, 38.4 now" (the denial must end its clause)."""
    mark = cand.end
    if mark < len(doc) and doc[mark].text == "?":
        return _checklist_answer(doc, cand, answers)
    # (issue 13 round 28, benign set 7) the rest of the topic's name may stand between the sign's words
    # and the mark: "Numbness in the genital area - no.", "numbness in the groin: no" (a few plain words,
    # none that tells a time or a change: "Numbness since this morning: no, ..." is no answer)
    while mark < len(doc) and mark - cand.end < _TOPIC_REST and doc[mark].is_alpha and \
            (doc[mark].lower_ not in _NOT_TOPIC or _copula_topic(doc, mark)):
        mark += 1
    # (issue 13 round 30, benign set 9) ... or a list of such words joined by "or" and commas, answered after
    # a mark or a question mark: "1) numbness in groin, bottom or inner thighs - no.", "calf swelling or
    # tenderness? no.", "numbness in both legs? no." (never a word of time or change among them)
    if mark < len(doc) and doc[mark].text not in _ANSWER_MARKS and doc[mark].text != "?":
        mark = _topic_list_end(doc, cand.end) or mark
    if mark < len(doc) and doc[mark].text == "?":
        return _checklist_answer(doc, cand, answers, mark)
    if _comma_listed(doc, cand, answers):
        return True
    if mark < len(doc) and doc[mark].lower_ in _BARE_ANSWERS and _listed_bare(doc, cand, answers):
        return any(start == mark and (end >= len(doc) or doc[end].text in _ITEM_ENDS) and not _goes_on(doc, end)
                   for start, end in answers)
    if mark >= len(doc) or doc[mark].text not in _ANSWER_MARKS:
        return False
    return any(start == mark + 1 and _ends_answer(doc, _past_fillers(doc, end), lambda t: t.is_punct)
               and not _goes_on(doc, _past_fillers(doc, end)) for start, end in answers)


# (issue 13 round 32, benign set 11) words of tone after a bare answer do not go on with it: "lips blue? no lol.",
# "leaking urine - none po." (Tagalog's polite "po")
_ANSWER_FILLERS = {"lol", "po", "haha", "hehe", "lmao", "thanks", "thx", "ty"}


def _past_fillers(doc: Doc, end: int) -> int:
    while end < len(doc) and doc[end].lower_ in _ANSWER_FILLERS:
        end += 1
    return end


def _ends_answer(doc: Doc, end: int, closes: Callable[[Any], bool]) -> bool:
    """Whether an answer (its words of tone passed) ends at `end`: the message's end, a line break, or a token
    that `closes`."""
    return end >= len(doc) or closes(doc[end]) or "\n" in doc[end].text


# (issue 13 round 29, benign set 8) a list of topics each answered by a bare "no" after it, with no mark
# between: "Going down the leaflet: weakness in legs no, numbness no, tingling no, calf swelling no, foot
# dragging no." Only in such a list (two items or more answered so), of a topic that opens its item and
# holds no negation of its own ("can't pee no, since yesterday" is no answer), and ends its item.
_BARE_ANSWERS = {"no", "nope", "none", "nil"}
_ITEM_ENDS = {",", ".", ";", "!", "\n"}
_ITEM_OPENS = {",", ":", ";", "-", "\u2014", "\u2013", "."}


def _listed_bare(doc: Doc, cand: Candidate, answers: Sequence[Span]) -> bool:
    items = [start for start, end in answers if end == start + 1 and doc[start].lower_ in _BARE_ANSWERS
             and start > 0 and doc[start - 1].is_alpha and (end >= len(doc) or doc[end].text in _ITEM_ENDS)]
    # (a pair of words over two items, "legs no, numbness no", starts in the item before: each is answered)
    inner = [i for i in items if cand.start < i < cand.end]
    before = doc[cand.start - 1] if cand.start > 0 else None
    if not inner and before is not None and before.text not in _ITEM_OPENS and "\n" not in before.text_with_ws:
        return False
    if any(t.lower_ in _NOT | {"cannot", "without"} and not (t.lower_ == "no" and t.i in inner)
           for t in doc[cand.start:cand.end]):
        return False
    return len(items) >= 2


# (issue 13 round 32, benign set 11) a list of topics each answered after a comma by a bare denial that ends
# its item: "Going through the sheet like you said: headache, no. Stiff neck, no. Temperature, normal. ...
# Fainting, no." Only in such a list (two items or more answered so), of a topic that opens its item and holds
# no negation of its own; the answer may go on with words that deny too ("Headache worse when I sit up, no,
# nothing at all"), never with others ("Headache, no, only when I sit up").
_DENIAL_REST = {"nothing", "at", "all", "none", "whatsoever", "never", "not", "once", "no", "nope", "nil"}


def _comma_answer_end(doc: Doc, comma: int, answers: Sequence[Span]) -> int:
    """The end of a bare denial after the comma at `comma` that ends its item, or 0."""
    if comma >= len(doc) or doc[comma].text != ",":
        return 0
    end = next((e for s, e in answers if s == comma + 1), 0)
    if not end:
        return 0
    if end < len(doc) and doc[end].text == ",":
        rest = end + 1
        while rest < len(doc) and doc[rest].lower_ in _DENIAL_REST:
            rest += 1
        if rest > end + 1:
            end = rest
    if end >= len(doc) or doc[end].text in _ITEM_ENDS or "\n" in doc[end].text_with_ws or doc[end].is_space:
        return end
    return 0


def _copula_topic(doc: Doc, i: int) -> bool:
    """(issue 13 round 33b, benign set 12) "is" or "are" and a plain word in a topic's name: "difficulty to feel my
    bladder is full - no." (never "... is worse - no", "... is new - no": a word of time or change)."""
    return doc[i].lower_ in {"is", "are"} and i + 1 < len(doc) and doc[i + 1].is_alpha and \
        doc[i + 1].lower_ not in _NOT_TOPIC


def _listed_open(doc: Doc, start: int) -> int:
    """(issue 13 round 33b, benign set 12) where an item opens whose topic is a list joined by "or" that ends in the
    sign's words: "Lips or tongue swelling, none." opens before "Lips"; `start` - 1 when no "or" is passed."""
    k, passed = start - 1, False
    while k >= 0 and start - k <= _TOPIC_LIST and (
            doc[k].lower_ in {"or", "/"} or (doc[k].is_alpha and doc[k].lower_ not in _NOT_TOPIC)):
        passed = passed or doc[k].lower_ in {"or", "/"}
        k -= 1
    return k if passed else start - 1


def _comma_listed(doc: Doc, cand: Candidate, answers: Sequence[Span]) -> bool:
    items = [s for s, _ in answers if s > 1 and doc[s - 1].text == "," and doc[s - 2].is_alpha
             and _comma_answer_end(doc, s - 1, answers)]
    if len(items) < 2:
        return False
    opens = _listed_open(doc, cand.start)
    before = doc[opens] if opens >= 0 else None
    if before is not None and before.text not in _ITEM_OPENS and "\n" not in before.text_with_ws:
        return False
    if any(t.lower_ in _NOT | {"cannot", "without"} and t.i not in items for t in doc[cand.start:cand.end]):
        return False
    # each word of the sign is answered, or lies in the item of the next one: no item ends between them
    terms = sorted(cand.terms)
    for n, (_start, end) in enumerate(terms):
        mark = end
        while mark < len(doc) and mark - end < _TOPIC_REST and doc[mark].is_alpha and \
                doc[mark].lower_ not in _NOT_TOPIC:
            mark += 1
        if _comma_answer_end(doc, mark, answers):
            continue
        if n + 1 < len(terms) and not any(t.text in _ITEM_ENDS or t.text == "," or "\n" in t.text_with_ws
                                          for t in doc[end:terms[n + 1][0]]):
            continue
        return False
    return True


def _goes_on(doc: Doc, end: int) -> bool:
    """After an answer's comma, the rest of its line says the sign is there after all: "numbness in the
    groin: no, it is getting worse", "Numbness in the groin - no, I mean yes" (found probing round 28)."""
    if end >= len(doc) or doc[end].text not in {",", ";"}:
        return False
    rest = []
    for t in doc[end + 1:]:
        if t.is_sent_start or "\n" in t.text:
            break
        rest.append(t.lower_)
    return any(w in _GOES_ON for w in rest)


def _topic_list_end(doc: Doc, start: int) -> int:
    """Where the rest of a topic's name ends when it is plain words joined by "or" and commas ("groin,
    bottom or inner thighs", "or tenderness", "legs"), at most `_TOPIC_LIST` tokens; 0 when it is not such
    a list or ends at no mark ("?" or one of `_ANSWER_MARKS`)."""
    mark = start
    while mark < len(doc) and mark - start < _TOPIC_LIST and (
            (doc[mark].is_alpha and (doc[mark].lower_ not in _NOT_TOPIC or _came_over(doc, mark)))
            or doc[mark].lower_ == "or"
            # (issue 13 round 32, benign set 11) a slash joins too: "fainting/dizziness - no"
            or doc[mark].text in {",", "/"}):
        mark += 1
    if mark < len(doc) and mark > start and doc[mark - 1].is_alpha and doc[mark - 1].lower_ != "or" and \
            (doc[mark].text in _ANSWER_MARKS or doc[mark].text == "?"):
        return mark
    return 0


def _came_over(doc: Doc, i: int) -> bool:
    """(issue 13 round 33b, benign set 12) "came over" names a feeling, not a time: "Fainted or came ower funny -
    naw" is a list of topics answered no."""
    return doc[i].lower_ in {"came", "come"} and i + 1 < len(doc) and doc[i + 1].lower_ in {"over", "ower"}


def _checklist_answer(doc: Doc, cand: Candidate, answers: Sequence[Span], mark: Optional[int] = None) -> bool:
    """A checklist's question that is only the sign's words, answered by one bare word of denial that
    ends its sentence: "Numbness in the groin? No.", "Chest pain? no. Fever? none" (issue 13 probes,
    2026-12-06). Never a question that asks something else ("Can I pee? No."), says how it goes
    ("Numbness in the groin getting worse? no"), is itself negative ("Can't feel anything? No": the
    "no" agrees), nor an answer that goes on ("Leg weakness? No, I can't stand at all")."""
    sent_start = doc[cand.start].sent.start
    # (issue 13 round 32, benign set 11) the question may open after a colon that introduces the list: "My son
    # went through the list with me: Weakness in both legs? No.", "the pharmacist asked me a bunch of stuff:
    # too sleepy? no."
    sent_start = max([t.i + 1 for t in doc[sent_start:cand.start] if t.text == ":"], default=sent_start)
    before = [t for t in doc[sent_start:cand.start] if t.is_alpha]
    if any(t.lower_ not in _CHECKLIST_FILLERS for t in before) or \
            any(t.lower_ in _NEGATIVE_QUESTION for t in doc[sent_start:cand.end]):
        return False
    after = (cand.end if mark is None else mark) + 1
    while after < len(doc) and doc[after].is_space:
        after += 1
    answered = next((end for start, end in answers if start == after and end == start + 1 and
                     _ends_answer(doc, _past_fillers(doc, end), lambda t: t.text in _ANSWER_ENDS)), None)
    if answered is None:
        return False
    # nor one taken back in the sentence after it: "Chest pain? No. Well actually yes, since an hour"
    following = next((t.sent for t in doc[answered:] if t.is_alpha), None)
    return following is None or not any(t.lower_ in _TAKEN_BACK for t in following)


def place_said_well(doc: Doc, cand: Candidate, well: Sequence[Span]) -> bool:
    """A pair read across a list whose one word is a place said well right after it, that clause ending
    there: "Numbness: groin fine, feet tingly" is no numb groin (issue 13 probes, 2026-12-06); the feet
    are read on their own. Never "groin fine?" (asked), nor a pair with no mark between its words."""
    for start, end in cand.terms:
        said = next((e for s, e in well if s == end), None)
        if said is None or not (said >= len(doc) or (doc[said].is_punct and doc[said].text != "?")
                                or "\n" in doc[said].text):
            continue
        if any(s > said or (e <= start and any(t.is_punct for t in doc[e:start])) for s, e in cand.terms):
            return True
    return False


# Words a checklist's question may have before the sign; words that make the question negative.
_CHECKLIST_FILLERS = {"any", "new", "some"}
# (issue 13 round 28, the lead) not "loss" or "lost": "Any loss of bladder control? No." asks whether it is
# there and is answered no ("Can't feel anything? No" agrees with its question)
_NEGATIVE_QUESTION = {"n't", "not", "no", "cannot", "cant", "unable", "nothing", "without", "never"}
_ANSWER_ENDS = {".", "!"}
_TAKEN_BACK = {"yes", "yeah", "yep", "actually", "well", "but", "though", "except", "apart", "although"}
_ANSWER_MARKS = {":", "-", "\u2014", "\u2013"}
_TOPIC_REST = 4
_TOPIC_LIST = 8
_GOES_ON = {"worse", "worsening", "getting", "yes", "yeah", "actually", "since", "now", "today", "still",
            "spreading", "started", "starting", "but", "though", "except", "until", "till"}
_NOT_TOPIC = {"since", "today", "tonight", "yesterday", "now", "still", "worse", "worst", "worsening",
              "getting", "got", "get", "again", "morning", "night", "afternoon", "evening", "this", "last",
              "started", "start", "starting", "came", "come", "back", "new", "better", "and", "but", "or",
              "is", "are", "was", "were", "has", "have", "had", "i", "my", "it", "not", "no", "any",
              "every", "when", "after", "before", "until", "till", "for", "from", "days", "hours", "weeks"}
# A heading that names a sign as the topic of an update: "Foot drop update!", "Numbness progress:".
_HEADING_MARKS = {":", "!", ".", "-", "\u2014", "\u2013", "?", "\n"}
UNCHANGED = {"still", "same", "unchanged", "change", "changed"}
_UPDATE = {"update", "updates", "progress", "news", "report", "diary", "journal", "latest"}
_HEADING_WORDS = _UPDATE | {"my", "the", "a", "an", "on", "of", "quick", "good", "great", "little", "small",
                            "weekly", "daily", "week", "day", "and", "positive", "happy"}


def heading(doc: Doc, cand: Candidate) -> Optional[Tuple[int, int]]:
    """The heading the hit lies in (its tokens), or None: the words from the start of its sentence to
    the first mark that ends a heading are the hit's words and `_HEADING_WORDS` (numbers too), one
    of them a word of update."""
    start = doc[cand.start].sent.start
    end = next((t.i for t in doc[start:] if t.text in _HEADING_MARKS or t.text.strip() == ""
                and "\n" in t.text), len(doc))
    if not (start <= cand.start and cand.end <= end < len(doc)):
        return None
    words = [t for t in doc[start:end] if t.is_alpha and not cand.start <= t.i < cand.end]
    if not any(t.lower_ in _UPDATE for t in words) or \
            any(t.lower_ not in _HEADING_WORDS for t in words):
        return None
    return start, end


# A history phrase opened by one of these, after "never" in its clause, tells that the sign is new.
_BEFORE = {"before", "prior"}


def never_before(doc: Doc, start: int, unit_of: Sequence[int]) -> bool:
    """A history phrase opened by "before" with "never" at most 8 words before it in its clause:
    "never once been a problem for me before the op", "I never had foot drop before the surgery"
    (never "Before the op I never ...": the phrase opens the clause, the "never" is after it)."""
    return doc[start].lower_ in _BEFORE and any(
        doc[i].lower_ == "never" and unit_of[i] == unit_of[start] for i in range(max(0, start - 8), start))


def never_bare_before(doc: Doc, unit_of: Sequence[int]) -> Set[int]:
    """The "never" of "never had X before" with "before" closing its clause (at most 8 words after
    it): the sign is new, not denied ("Never had positional headaches before.", issue 13 round 33,
    blind batch 51 U5; "never ... before the op" is `never_before`'s)."""
    return {i for i, t in enumerate(doc) if t.lower_ == "never" and any(
        doc[k].lower_ == "before" and unit_of[k] == unit_of[i]
        and (k + 1 == len(doc) or doc[k + 1].is_punct or doc[k + 1].lower_ in {"now", "either"})
        for k in range(i + 1, min(len(doc), i + 9)))}


def now_within(doc: Doc, start: int, end: int) -> bool:
    """A word of now between a history phrase's end and the hit's last word: the phrase tells what
    was, the words after it what is ("the shooting pain I had in my right leg before the operation has
    now started in my left leg as well", issue 13 round 33, blind batch 52 E5)."""
    return any(doc[k].lower_ in _NOW for k in range(start, end))


_NOW = {"now", "today", "tonight", "currently"}
# What labels a question in a note: "- Q: fainting or blood in cough, ER or clinic?"
QUESTION_LABELS = {"q", "question", "query", "qn"}


_NOT_HELPER = {"n't", "nt", "not", "n\u2019t"}


def dropped_subject(doc: Doc, first: int, asked: bool, sign_start: int) -> bool:
    """A sentence opened by a negated helper with no question mark is a statement whose "I" was left out:
    "Couldn't pee all night, bladder feels like it'll burst" (issue 13, 2026-12-06, found probing round 35: it
    was read as a general question, a missed emergency); "Couldn't it be the tablets?" still asks.
    (2026-12-07, found reviewing round 35) With question marks too, when the negated helper is the sign's own
    first word: "Couldn't pee all night, bladder feels like it'll burst??"; never "Couldn't numbness in the
    groin be a sign of something bad?", whose sign is the subject asked about."""
    if first + 1 >= len(doc) or doc[first + 1].lower_ not in _NOT_HELPER:
        return False
    return not asked or sign_start == first


_PERFECT = {"'ve", "ve", "have", "has", "\u2019ve"}


def if_perfect(doc: Doc, end: int) -> bool:
    """An "if" (the word before `end`) opening a clause in the present perfect: "would it matter if I've wet
    myself twice today" tells what has happened (issue 13, 2026-12-06, found probing), where "what should I
    do if I wet myself?" supposes."""
    if end < 1 or doc[end - 1].lower_ != "if" or end + 1 >= len(doc):
        return False
    return doc[end].lower_ in {"ive", "i've"} or (doc[end].lower_ in _IF_SUBJECTS and doc[end + 1].lower_ in _PERFECT)


# The contrast that opens an "ago" clause: "..., but that was 10 days ago".
BREAK_WORDS = {"but", "however", "though", "although"}
_RELATIVE = {"that", "which", "who"}
# Words that open a clause telling only when: "After my hernia repair in 2015, ...", "When I had
# my son 12 years ago ...".
# ("for": "For two months before my surgery my foot would flop and I couldn't lift my toes",
# issue 13 round 14, blind batch 19 E6 look-alike)
_TIME_OPENERS = {"when", "after", "before", "during", "back", "following", "in", "while", "for"}
# Marks after which a history phrase opens what follows as if it opened the sentence.
_ANNOUNCES = {":", ";", "\u2014", "\u2013", "("}
# Words that say the time of a clause moved from the past a history phrase opened with.
TIME_CHANGED = {"now", "today", "tonight", "yesterday", "currently", "still", "suddenly", "since",
                 "again", "anymore", "but", "however", "then", "lately", "recently", "new", "newly",
                 # (issue 13 round 15) "..., and I fainted this morning"
                 "morning", "afternoon", "evening", "night", "overnight"}
# ... or that its clause is told in the present: "Before the op my back hurt and I can't lift my toes".
PRESENT = {"am", "is", "are", "'m", "'re", "can", "ca", "cannot", "cant", "do", "does", "dont",
            "doesnt", "keep", "keeps", "wo", "wont", "has", "have", "'ve", "feel", "feels"}
# A year before this one, after one of these words, is history: "back in 2015", "in 2019".
_YEAR_LEADS = {"in", "since", "around", "during", "of"}
_YEAR_OWNERS = {"my", "his", "her", "the", "that", "our"}


# ... unless it is the year of the operation: "I can't pee since my surgery in 2026" (at New Year
# the operation may be last year's).
_OPERATION_WORDS = {"op", "surgery", "operation", "discectomy", "microdiscectomy", "procedure",
                    "operated", "laminectomy", "decompression"}


# (issue 13 round 29, benign set 8) ... but an operation named by another part is an earlier one, and its
# year history: "I got a wound infection after my gallbladder op in 2011" (never the back's or the spine's:
# "since my back op in 2026" may be this one)
_OTHER_OPERATIONS = {"gallbladder", "gall", "hip", "knee", "hernia", "appendix", "shoulder", "heart", "bowel",
                     "caesarean", "tonsil", "tonsils", "cataract", "bypass", "wrist", "ankle", "thyroid",
                     "bunion", "breast", "eye", "foot", "hand", "carpal", "prostate", "bladder", "kidney"}


def _other_operation(doc: Doc, i: int) -> bool:
    return i > 0 and doc[i - 1].lower_ in _OTHER_OPERATIONS


def conditional(doc: Doc, index: int) -> bool:
    following = doc[index + 1].lower_ if index + 1 < len(doc) else ""
    return doc[index].lower_ == "i" and following in {"'d", "d", "’d", "would"}


# In a question of its own sentence, "come back" after one of these asks when the recovery ends,
# not whether the sign returned: "how long does nerve stuff take to fully come back?" (issue 13
# round 13, blind batch 18 E6 look-alike).
_FULL_RECOVERY = {"fully", "completely", "properly", "totally"}


def asks_full_recovery(doc: Doc, index: int) -> bool:
    sentence = doc[index].sent
    return any(t.lower_ in _FULL_RECOVERY for t in doc[max(sentence.start, index - 3):index])


_APOSTROPHES = {"'", "\u2019", "`"}


def _short_year(doc: Doc, i: int, this_year: int) -> bool:
    """A year written short after an apostrophe, "back in '19" (issue 13 round 27, blind batch 39 E7
    look-alike): before this one, read as this century's when it can be, else the last's."""
    text = doc[i].text
    if not (i > 1 and text.isdigit() and len(text) == 2 and doc[i - 1].text in _APOSTROPHES):
        return False
    year = 2000 + int(text) if 2000 + int(text) <= this_year else 1900 + int(text)
    return year < this_year


def past_years(doc: Doc) -> List[Span]:
    this_year = date.today().year
    spans = []
    for i, token in enumerate(doc):
        long_year = i and token.text.isdigit() and len(token.text) == 4 and 1940 <= int(token.text) < this_year
        lead = i - 2 if _short_year(doc, i, this_year) else i - 1 if long_year else -1
        if lead >= 0 and doc[lead].lower_ in _YEAR_LEADS and \
                not any(t.lower_ in _OPERATION_WORDS and not _other_operation(doc, t.i)
                        for t in doc[max(0, lead - 5):lead]):
            spans.append((lead, i + 1))
        # (issue 13 round 28, blind batch 42 E8 past look-alike) a year gone by naming an earlier
        # operation: "Last time, after my 2014 op, I keeled over"
        elif long_year and doc[i - 1].lower_ in _YEAR_OWNERS and i + 1 < len(doc) and \
                doc[i + 1].lower_ in _OPERATION_WORDS:
            spans.append((i - 1, i + 2))
    return spans
# (issue 13 round 19, blind batch 24 E8 look-alike) an age given as a number after "when I was" is
# history, as childhood and the teens told in words are: "I fainted once when I was 16 giving blood"
_AGE_LEADS = {"when", "as", "since"}
_AGE_SUBJECTS = {"i", "he", "she", "we"}


# (issue 13 round 20, blind batch 26 E8 look-alike) or an age from 13 on after "at", in words or
# as a number: "I fainted once at sixteen giving blood" (never a clock time, "at two this
# afternoon", "at 11 last night", nor a count, "at 16 weeks", "at 20 past")
_TEENS_ON = {"thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
             "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
_NOT_AGE_AFTER = {"o'clock", "oclock", "am", "pm", "a.m.", "p.m.", "past", "to", "hours", "hour",
                  "hrs", "mins", "minutes", "minute", "days", "day", "weeks", "week", "months",
                  "month", "percent", "%", "degrees", "mg", "ml", ":", "tonight", "today",
                  "yesterday", "this", "last", "in", "on", "out", "/", "-", "or", "and"}


def _age(token: Any) -> bool:
    return (token.text.isdigit() and 13 <= int(token.text) <= 99) or token.lower_ in _TEENS_ON


# ... but only told of an event in the past ("fainted", "passed out", "was"), never of a reading,
# which "at" and a number tell too: "sats at 89 now", "fever at 39 now", "my temperature is sitting
# at 38 despite paracetamol" are signs now (the lead's review of round 20)
_MEASURES = {"temp", "temps", "temperature", "fever", "sats", "sat", "saturation", "saturations", "oxygen",
             "o2", "spo2", "pulse", "heart", "rate", "hr", "bp", "pressure", "pain", "score", "level",
             "levels", "reading", "readings", "thermometer", "watch", "sugar", "sugars", "glucose",
             "breathing", "breaths", "number", "numbers", "it", "its", "it's"}
_PAST_EVENT = {"was", "were", "had", "went", "got", "passed", "fell", "broke", "came", "began", "became",
               "lost", "woke", "once"}


def _age_at(doc: Doc, i: int) -> bool:
    """"at sixteen", "at 16" after an event told in the past, as an age."""
    if i < 1 or doc[i - 1].lower_ != "at" or not _age(doc[i]):
        return False
    if i + 1 < len(doc) and (doc[i + 1].lower_ in _NOT_AGE_AFTER or doc[i + 1].lower_ in TIME_CHANGED
                             or doc[i + 1].lower_ in PRESENT):
        return False
    before = doc[max(doc[i].sent.start, i - 8):i - 1]
    return not any(t.lower_ in _MEASURES for t in before) and any(
        t.lower_ in _PAST_EVENT or (len(t) > 4 and t.lower_.endswith("ed")) for t in before)


# ... nor a distance or a count after "when I was" in words: "when I was twenty metres from the door my legs
# gave way" (found by probing, issue 13 round 26)
_NOT_AGE_AFTER_WAS = {"metres", "meters", "metre", "meter", "m", "yards", "yard", "feet", "foot", "ft", "steps",
                      "step", "miles", "mile", "km", "k", "paces", "seconds", "secs", "second", "sec", "laps",
                      "lap", "stairs", "times", "people", "pounds", "lbs", "kg", "kilos", "stone", "floors"}


def _age_after_was(doc: Doc, i: int) -> bool:
    """An age after "when I was": a number, or from thirteen on in words ("When I was nineteen I fainted",
    issue 13 round 26, blind batch 38 E8 look-alike), never a span of time ("when I was twenty minutes in")."""
    token = doc[i]
    if token.text.isdigit():
        return 1 <= int(token.text) <= 99
    return token.lower_ in _TEENS_ON and not (i + 1 < len(doc) and (
        doc[i + 1].lower_ in _NOT_AGE_AFTER or doc[i + 1].lower_ in _NOT_AGE_AFTER_WAS))


def past_ages(doc: Doc) -> List[Span]:
    return [(i - 3, i + 1) for i, token in enumerate(doc)
            if i >= 3 and _age_after_was(doc, i)
            and doc[i - 1].lower_ == "was" and doc[i - 2].lower_ in _AGE_SUBJECTS
            and doc[i - 3].lower_ in _AGE_LEADS] + [(i - 1, i + 1) for i in range(len(doc)) if _age_at(doc, i)] + \
        _ages_of_age(doc)


# (issue 13 round 29, benign set 8) an age told with "years of age" or "years old" after "at" (and "about",
# "around", ...): "I had hives all over from penicillin at about eight years of age" (never "I am 78 years
# of age", which says no time)
_ABOUT = {"about", "around", "roughly", "maybe", "approximately", "age", "the", "of"}
_NUMBER_WORDS = set(ONES) | {"ten", "eleven", "twelve"} | _TEENS_ON


def _ages_of_age(doc: Doc) -> List[Span]:
    spans = []
    for i in range(1, len(doc) - 1):
        if not (doc[i].text.isdigit() and 1 <= int(doc[i].text) <= 99 or doc[i].lower_ in _NUMBER_WORDS):
            continue
        after = [t.lower_ for t in doc[i + 1:i + 4]]
        if not (after[:3] == ["years", "of", "age"] or after[:2] in (["years", "old"], ["yrs", "old"])):
            continue
        lead = i - 1
        while lead > 0 and doc[lead].lower_ in _ABOUT and i - lead < 3:
            lead -= 1
        # (after an event told in the past, as `_age_at`: "At 70 years of age I can't pee" tells no time)
        before = doc[max(doc[lead].sent.start, lead - 8):lead]
        if doc[lead].lower_ == "at" and any(t.lower_ in _PAST_EVENT or (len(t) > 4 and t.lower_.endswith("ed"))
                                            for t in before):
            spans.append((lead, i + (4 if after[:3] == ["years", "of", "age"] else 3)))
    return spans


# After a resolution, these say it lasted only until something happened: "it was getting better
# till then", "it had settled until this morning" (issue 13 round 7, blind batch 9 U7).
_UNTIL = {"till", "until", "til", "untill", "up"}


def until(doc: Doc, span: Span) -> bool:
    """A resolution followed within three words by "till" or "until" ("up to"): the sign was
    over only until something happened, so it is not over now."""
    following = [t.lower_ for t in doc[span[1]:span[1] + 3]]
    return any(word in _UNTIL and (word != "up" or following[i + 1:i + 2] == ["to"])
               for i, word in enumerate(following))


# "Gone" before a word of state is "become", not "over": "he has gone quite flushed and sweaty",
# "her leg has gone numb" (issue 13 round 13, blind batch 17 U3); never "gone completely".
_BECOME = {"bright", "pale", "red", "flushed", "numb", "weak", "cold", "hot", "white", "grey", "gray", "blue",
           "purple", "floppy", "dead", "stiff", "sweaty", "clammy", "dizzy", "funny", "weird", "strange", "quiet",
           "bad", "worse", "limp", "puffy", "swollen", "hard", "yellow", "green", "dark", "confused", "drowsy",
           "sleepy", "wobbly"}
# ... also after one of these: "gone quite flushed", "gone all sweaty" (not "gone quite quickly").
_BECOME_LEADS = {"quite", "very", "really", "so", "all", "a", "bit", "little", "kind", "of", "sort"}


def becomes(doc: Doc, span: Span) -> bool:
    if doc[span[1] - 1].lower_ not in {"gone", "went"}:
        return False
    following = [t.lower_ for t in doc[span[1]:span[1] + 4]]
    while following and following[0] in _BECOME_LEADS:
        following = following[1:]
    return bool(following) and following[0] in _BECOME


# A resolution whose clause opens with one of these and a lying-down word is relief that lasts
# only while lying: "his head hurts whenever he sits, but when he lies in bed it is gone" is the
# leak's own headache, not a sign that is over (issue 13 round 9, blind batch 11 U5).
_WHILE = {"when", "whenever", "if", "once", "while", "soon"}
_LYING = {"lie", "lies", "lying", "lay", "lays", "laying", "flat", "bed", "couch", "sofa", "recline",
          "reclining", "reclined"}


# (issue 13 round 19, blind batch 25 E2 look-alike) a question's condition ("should I worry if",
# "what if") runs on past "but" into the next clause of its sentence when that clause tells no one
# and no time of its own and ends the question: "Should I worry if I get the urge but only a dribble
# comes out?" (never "..., but I can't pee now?" nor "... but only a dribble since this morning?")
_QUIET = WRITER | TIME_CHANGED | {"he", "she", "his", "her", "him", "today", "week", "day", "days", "hours"}


def condition_runs_on(doc: Doc, cand: Candidate, triggers: Sequence[Span], unit_of: Sequence[int],
                       sent_of: Sequence[int]) -> bool:
    unit = unit_of[cand.end - 1]
    if any(unit_of[s] not in (unit - 1, unit) for s, _ in cand.terms):
        return False
    first = unit_of.index(unit)
    end = doc[cand.start].sent.end
    words = [t for t in doc[first:end] if not t.is_space]
    if not words or words[0].lower_ != "but" or words[-1].text != "?" or \
            any(t.lower_ in _QUIET - {"but"} for t in words):
        return False
    # nor when the message goes on to tell a time: "... only a dribble comes out? It's been like that
    # since this morning" is a report (the lead's review of round 19)
    if any(t.lower_ in TIME_CHANGED for t in doc[end:]):
        return False
    return any(doc[e - 1].lower_ == "if" and unit_of[s] == unit - 1 and e <= cand.start
               and sent_of[s] == sent_of[cand.start] for s, e in triggers)


# (issue 13 round 19, blind batch 10 E8 look-alike) a supposition: a question that opens with "if" and
# a subject, the sign, then "would" (or "could", "should", "is", "does") asking about it: "If I coughed
# up blood would that be serious after an operation?" (never a statement: "If I stand up my legs give
# way", nor a sign after the question word: "If I stand up, would that explain why my legs gave way?")
_IF_SUBJECTS = {"i", "he", "she", "you", "we", "they", "someone", "somebody", "my", "his", "her", "your"}
_SUPPOSE_ASKS = {"would", "could", "should", "is", "does", "will", "do", "must"}
_SUPPOSE_REFERS = {"that", "it", "this", "i", "you", "he", "she", "they"}
# ... the sign told in the past tense right after the subject, as a supposition is
_SUPPOSED_PAST = {"had", "got", "felt", "went", "lost", "was", "were", "began", "became", "suddenly",
                  "ever", "woke", "fell", "passed", "coughed", "brought", "spat", "couldn't", "couldnt",
                  "could"}


# ... never when the sentence says when it happened: "If I passed out in the shower an hour ago, would
# that be serious?", "If I lost control of my bladder last night would that be serious?" are reports
# (the lead's review of round 19)
_WHEN_TOLD = {"ago", "twice", "earlier", "last", "hour", "hours", "minutes", "week", "days"}
_LEAD = 8
_LEAD_MARKS = {"-", ":", ",", "\u2014", "\u2013"}


# (issue 13 round 33b, blind batch 51 E3, batch 52 E9 and E11, benign set 12) a warning told in general terms
_WARNERS = {"said", "says", "say", "told", "tells", "tell", "warned", "warns", "mentioned", "mentions", "explained",
            "explains", "read", "reads", "stated", "states", "wrote", "writes",
            # (issue 13 round 36, blind batch 58 E5 asked look-alike) "In the leaflet it is written that numbness in
            # both legs is an emergency"
            "written"}
_WARNED_TO = {"me", "us", "that"}
_PERSONS = WRITER | {"he", "his", "him", "she", "her", "they", "their", "them", "mum", "dad"}
_SPEAKERS = {"i", "we"}
_TOLD_NOW = {"now", "today", "tonight", "yesterday", "since", "currently", "suddenly", "started", "began", "begun",
             "morning", "overnight", "afternoon", "evening", "ago", "worse", "worsening", "spreading", "still",
             "again", "getting", "keeps"}
_HAVING = {"have", "'ve", "got", "having", "has", "'s"}


def warned_in_general(doc: Doc, cand: Candidate, warnings: Sequence[Span]) -> bool:
    """A sign told, read or said by someone in general terms and then said to mean 911 or be serious (the
    catalogue's `hypothetical.warned_after`, at most 3 words after it in its sentence): "The pharmacist said throat
    swelling or hives means 911", "My sister told me a headache with a stiff neck after spine surgery can be
    serious", "I read numbness in groin area is danger sign". Never with a person's word between the telling and
    the sign's end ("she said my leg weakness is serious", "told me his legs going numb is an emergency"), a
    telling of the writer's own ("I told them numbness in my groin is serious": "read" alone may be the writer's),
    nor a time told in the sentence ("... said numbness since this morning is serious")."""
    sent = doc[cand.start].sent
    if not any(cand.end <= s <= cand.end + 3 and s < sent.end for s, _ in warnings):
        return False
    # nor a time told, or the writer's "I have", anywhere after it: "... is an emergency, and I have it", "... is an
    # emergency. It started this morning" (never "I have no numbness there")
    if _told_or_had(doc, sent.start):
        return False
    for t in doc[sent.start:cand.start]:
        if t.lower_ not in _WARNERS or (t.lower_ != "read" and t.i > sent.start and doc[t.i - 1].lower_ in _SPEAKERS):
            continue
        between = [w for w in doc[t.i + 1:cand.end] if w.is_alpha]
        while between and between[0].lower_ in _WARNED_TO:
            between = between[1:]
        if not any(w.lower_ in _PERSONS for w in between):
            return True
    return False


# (issue 13 round 33b, benign set 12) a sign named as a topic: "about the numb bum thing on yer leaflet", "I was
# worried about the spinal fluid thing"
_TOPIC_LEADS = {"about", "aboot", "re", "regarding", "on", "of"}
_TOPIC_NOUNS = {"thing", "things", "stuff", "business", "bit", "question"}


def topic_named(doc: Doc, cand: Candidate) -> bool:
    """The sign's words between "about the" and "thing" ("stuff", "business", "bit"): the subject of a worry or a
    leaflet, not a report; never with a time told from its sentence on ("worried about the numb bum thing. It
    started this morning") nor the writer's "I have" after it."""
    if cand.start < 2 or cand.end >= len(doc) or doc[cand.end].lower_ not in _TOPIC_NOUNS or \
            doc[cand.start - 1].lower_ not in {"the", "that", "this"} or doc[cand.start - 2].lower_ not in _TOPIC_LEADS:
        return False
    return not _told_or_had(doc, doc[cand.start].sent.start)


def _told_or_had(doc: Doc, start: int) -> bool:
    """A time told (`_TOLD_NOW`) or the writer's "I have" (not "I have no ...") from `start` to the message's end:
    what was said in general terms is the writer's now after all."""
    rest = [t.lower_ for t in doc[start:]]
    return any(w in _TOLD_NOW for w in rest) or any(
        w in _HAVING and not any(n in _NOT for n in rest[k + 1:k + 3]) for k, w in enumerate(rest))


# (issue 13 round 33b, benign set 12) a form's question quoted, then answered no by the writer: "form from my work
# insurance ask 'any loss of bladder or bowel control after surgery'. I write no."
_QUOTE_MARKS = {"'", '"'}
_ANSWER_VERBS = {"write", "wrote", "written", "put", "tick", "ticked", "answer", "answered", "circle", "circled",
                 "mark", "marked", "said", "say", "check", "checked", "select", "selected", "chose", "choose"}
_ANSWER_NO = {"no", "none", "nope", "never", "n"}


def quoted_answered_no(doc: Doc, cand: Candidate) -> bool:
    """The sign's words inside quote marks in their sentence, and right after the closing mark (at most its full stop
    between) the writer's "I write no", "I ticked no", "I put none", ending there: a form's question answered, not a
    report. Never an answer that goes on ("I wrote no but now I leak")."""
    sent = doc[cand.start].sent
    opening = [t.i for t in doc[sent.start:cand.start] if t.text in _QUOTE_MARKS]
    closing = next((t.i for t in doc[cand.end:sent.end + 4] if t.text in _QUOTE_MARKS), None)
    if not opening or closing is None:
        return False
    k = closing + 1
    while k < len(doc) and k - closing <= 2 and (doc[k].is_punct or doc[k].is_space) and \
            doc[k].text not in _QUOTE_MARKS:
        k += 1
    words = list(doc[k:k + 5])
    if len(words) < 3 or words[0].lower_ not in {"i", "we"}:
        return False
    n = 1
    if words[n].lower_ in {"just", "have", "'ve", "did"}:
        n += 1
    if n + 1 >= len(words) or words[n].lower_ not in _ANSWER_VERBS or words[n + 1].lower_ not in _ANSWER_NO:
        return False
    after = words[n + 1].i + 1
    return after >= len(doc) or doc[after].is_punct or "\n" in doc[after].text


def supposed(doc: Doc, cand: Candidate) -> bool:
    sent = doc[cand.start].sent
    words = [t for t in sent if not t.is_space]
    # (issue 13 round 22, blind batch 30 E2 look-alike) the "if" may open a clause after a short lead
    # set off by a dash, a colon or a comma: "G'day, quick q - if I couldn't wee after the op, would
    # that be something to worry about?"
    lead = next((k for k, t in enumerate(words[:_LEAD + 1]) if t.lower_ == "if" and
                 (k == 0 or words[k - 1].text in _LEAD_MARKS)), 0)
    words = words[lead:]
    if len(words) < 4 or words[0].lower_ != "if" or words[1].lower_ not in _IF_SUBJECTS or \
            words[-1].text != "?" or not words[1].i < cand.start <= words[1].i + 2 or \
            not (words[2].lower_.endswith("ed") or words[2].lower_ in _SUPPOSED_PAST) or \
            any(t.lower_ in TIME_CHANGED or t.lower_ in _WHEN_TOLD for t in words):
        return False
    after = [t for t in doc[cand.end:sent.end] if not t.is_punct]
    return any(t.lower_ in _SUPPOSE_ASKS and i + 1 < len(after) and after[i + 1].lower_ in _SUPPOSE_REFERS
               for i, t in enumerate(after[:8]))


# (issue 13 round 19, blind batch 25 U7) a resolution in a clause opened by one of these after the hit,
# with only its subject and auxiliaries between, tells the improvement the sign broke, not its end:
# "Why is it suddenly worse since Tuesday when it's been getting better for a month?"
_THEN_OPENERS = {"when", "while", "after", "whereas"}
_SUBJECT_AUX = {"it", "its", "it's", "'s", "s", "has", "had", "have", "was", "were", "is", "are", "been", "'d",
                "the", "my", "his", "her", "pain", "back", "leg", "sciatica", "things", "everything", "all",
                "really", "slowly", "steadily", "generally", "just", "actually", "finally"}
# ... and the resolution tells a change under way, not an end: "getting better", "improving", "settling"
_UNDER_WAY = {"getting", "improving", "improved", "settling", "settled", "easing", "eased", "better",
              "slowly", "much", "lot"}


def improving_before(doc: Doc, marker: int, cand: Candidate, sent_of: Sequence[int]) -> bool:
    if doc[marker].lower_ not in _UNDER_WAY:
        return False
    i = marker - 1
    while i >= cand.end and doc[i].lower_ in _SUBJECT_AUX:
        i -= 1
    return i >= cand.end and doc[i].lower_ in _THEN_OPENERS and sent_of[i] == sent_of[cand.start]


def only_lying(doc: Doc, span: Span, unit_of: Sequence[int]) -> bool:
    words = [t.lower_ for t in doc[unit_of.index(unit_of[span[0]]):span[0]]]
    return any(w in _WHILE for w in words) and any(w in _LYING for w in words)


# Before a resolution, these make it a hope or a question: "will it go back to normal".
NOT_YET = {"will", "would", "could", "can", "should", "might", "may", "to", "if", "when",
            "until", "till", "hope", "hopefully", "wait", "ca", "wo"}


def between_clauses(marker: int, cand: Candidate, unit_of: Sequence[int]) -> bool:
    """A pair told over two clauses with a resolution between them, in the later clause:
    "sciatica in both legs before the op, but since the surgery it has gone from both sides"."""
    first = cand.terms[0]
    later = [s for s, _ in cand.terms if unit_of[s] > unit_of[first[0]]]
    # before every word of the later clause: not "headache, and my neck has gone rigid"
    return bool(later) and first[1] <= marker < min(later) and unit_of[marker] > unit_of[first[0]]


def opens_next_sentence(doc: Doc, marker: int, cand: Candidate,
                         unit_of: Optional[Sequence[int]] = None) -> bool:
    """The marker is the first word of the sentence right after the hit's, or (given the clauses)
    in that sentence's first clause (issue 13 round 8: "... my breathing was slow from the morphine
    and they had to keep waking me up. Since being home I've been completely alert"; the caller
    checks that the clause opens with a word that refers back, "since", "it", "that")."""
    end = doc[cand.end - 1].sent.end
    if marker < end or end >= len(doc):
        return False
    following = doc[end].sent
    first = next((t.i for t in following if t.is_alpha), None)
    if first == marker:
        return True
    return unit_of is not None and first is not None and marker < following.end and (
        unit_of[marker] == unit_of[first]
        or (unit_of[marker] == unit_of[first] + 1 and since_alone(doc, unit_of, unit_of[first])))


# A clause of these words alone opens a sentence before "then": "Since then I've been fine".
_SINCE_ALONE = {"since", "ever", "and", "but"}


def since_alone(doc: Doc, unit_of: Sequence[int], unit: int) -> bool:
    words = [t for t in doc if unit_of[t.i] == unit and t.is_alpha]
    return bool(words) and any(t.lower_ == "since" for t in words) and \
        all(t.lower_ in _SINCE_ALONE for t in words)


def other_sentence(doc: Doc, marker: int, cand: Candidate) -> bool:
    return doc[marker].sent.start != doc[cand.end - 1].sent.start


# Resolutions that say a sign is only improving, not over: the nerve-healing reading covers them.
_ONLY_IMPROVING = {"better", "improve", "improved", "improving", "less", "easier", "fading", "smaller",
                   "manageable", "settling", "lessen"}


def restated_over(doc: Doc, marker: int, marker_end: int, cand: Candidate, unit_of: Sequence[int],
                  sent_of: Sequence[int], all_well: Sequence[Span], past: bool) -> bool:
    """A resolution that names the sign's own word again and says it is over (issue 13 round 25,
    the lead's probe): right after the pair's first word, with every later word in a clause that
    says all is well ("numbness has gone and my legs feel strong"), or in a later clause of the
    sentence, or the next sentence, of a hit told in the past ("both legs were numb after the op
    but the numbness has gone now"). Never a resolution that only improves ("the numbness is
    better": the nerve-healing reading), nor one whose word is not the sign's ("both legs went numb
    this morning, the pain has gone"), nor one followed in its sentence by "but", "still" or a word of
    time ("..., the numbness has gone now but they feel weak")."""
    if any(doc[i].lower_ in _ONLY_IMPROVING or doc[i].lemma_ in _ONLY_IMPROVING
           for i in range(marker, marker_end)):
        return False
    # nothing told after it in its sentence: "..., the numbness has gone now but they feel weak"
    if any(doc[i].lower_ in _TOLD_AFTER and not (doc[i].lower_ == "now" and i == marker_end)
           for i in range(marker_end, doc[marker].sent.end)):
        return False
    words = {doc[i].lemma_ for s, e in cand.terms for i in range(s, e)
             if doc[i].is_alpha and len(doc[i]) > 3 and doc[i].lower_ not in _NOT_THE_SIGN}
    first, later = cand.terms[0], cand.terms[1:]
    if later and first[1] <= marker < later[0][0] and marker - first[1] <= 1 and \
            unit_of[marker] == unit_of[first[1] - 1] and doc[first[1] - 1].lemma_ in words:
        return all(unit_of[s] != unit_of[first[0]] and any(unit_of[w] == unit_of[s] and w > s for w, _ in all_well)
                   for s, _ in later)
    if not past or marker < cand.end or unit_of[marker] <= unit_of[cand.end - 1] or \
            sent_of[marker] - sent_of[cand.start] > 1:
        return False
    return any(doc[j].lemma_ in words and unit_of[j] == unit_of[marker]
               for j in range(max(cand.end, marker - 2), marker))


_TOLD_AFTER = {"but", "however", "though", "although", "yet", "still", "except", "apart", "besides", "now",
               "today", "again"}
# Words of a pair that name where, not what: restating them says nothing of the sign.
_NOT_THE_SIGN = {"both", "legs", "feet", "left", "right", "side", "sides", "thighs", "waist", "down"}


# Words before a person that make them a place or a companion, not the subject: "over to my neighbour's".
_TO_A_PLACE = {"to", "at", "round", "around", "into", "outside", "near", "visiting", "visit", "visited", "with",
               "beside"}


# Words before a person's possessive that make it a thing under foot: "tripped over my friend's bag".
_UNDER_FOOT = {"over", "on", "onto", "across", "off", "under"}
_TRIPPED = {"tripped", "trip", "tripping", "slipped", "slip", "slipping", "stumbled", "stumble", "stumbling",
            "fell", "fall", "falling", "flying", "skidded", "caught", "foot", "feet", "toe", "heel", "landed"}


def a_place(doc: Doc, start: int, end: int) -> bool:
    """A person outside the home named as a place or a companion, not as the subject of what follows
    (issue 13 round 25, the lead's probe): after a word of place or company ("I went over to my
    neighbour's and slipped", "walking with my friend and fell"), or as a possessive that ends its
    phrase ("at my friend's, I fainted"), or one after a word of under foot, their thing the writer
    fell over (issue 13 probes, 2026-12-06: "tripped over my friend's bag and fell"). "My neighbour's
    dog collapsed", "my neighbour fainted" and "later on my friend fell" stay another's."""
    before = doc[start - 1].lower_ if start > 0 else ""
    if before in _TO_A_PLACE:
        return True
    possessive = end + 1 < len(doc) and doc[end].lower_ in {"'s", "s", "’s"}
    # the word of under foot follows a trip, a slip or a foot ("tripped over", "my foot caught on"), never
    # a time or a talk ("on my friend's birthday she fell", "we went over my friend's plans")
    under_foot = before in _UNDER_FOOT and start > 1 and doc[start - 2].lower_ in _TRIPPED
    return possessive and (under_foot or not doc[end + 1].is_alpha or
                           doc[end + 1].lower_ in {"and", "then", "when", "but", "so", "where"})


def young_child(doc: Doc) -> bool:
    """The message tells a child's age, under thirteen: "he's 4", "she is 6.", "my 5 year old", "aged 3"
    (issue 13 probes, 2026-12-06); never a time since the op: "he's 4" must end its clause ("he's 4 days
    post op" is no age)."""
    for i, token in enumerate(doc):
        if not token.text.isdigit() or not 1 <= int(token.text) <= 12:
            continue
        after = [t.lower_ for t in doc[i + 1:i + 6] if t.text != "-"]
        before = [t.lower_ for t in doc[max(0, i - 2):i]]
        if after[:2] in (["year", "old"], ["yr", "old"], ["years", "old"], ["yrs", "old"]) or after[:1] == ["yo"]:
            return True
        ends = i + 1 >= len(doc) or (doc[i + 1].is_punct and doc[i + 1].text != "%") or "\n" in doc[i + 1].text
        if ends and (before[-1:] == ["aged"] or before in (["he", "'s"], ["she", "'s"], ["he", "is"], ["she", "is"])):
            return True
    return False


# Words before a pet that still leave it the subject of its clause (issue 13 round 26): "Our old dog
# collapsed", "lol my dog fainted" (never "tripped over the dog and fell", "went to feed the horse and fell")
_OPENERS = {"and", "but", "so", "then", "when", "while", "lol", "today", "yesterday", "also", "now", "poor",
            "apparently", "oh", "well", "ok", "okay", "update"}


def opens_clause(doc: Doc, start: int) -> bool:
    """Whether the words at `start` open their clause (a pet as the subject of what follows)."""
    return start == 0 or not doc[start - 1].is_alpha or doc[start - 1].lower_ in _OPENERS


COUNTS = {"once", "twice"}
_TODAY = {"today", "tonight", "hour", "hours", "morning", "afternoon", "evening", "now", "minutes"}


def told_today(doc: Doc, i: int, unit_of: Sequence[int]) -> bool:
    """Whether the clause of token i says today ("this morning", "an hour ago", "today", "last night"):
    a count of times there is recent, not the past (issue 13 round 25)."""
    return _says_today([t.lower_ for t in doc if unit_of[t.i] == unit_of[i]])


def _says_today(words: Sequence[str]) -> bool:
    return any(w in _TODAY for w in words) or any(
        a == "last" and b == "night" for a, b in zip(words, words[1:], strict=False))


def item_told_now(doc: Doc, start: int, end: int) -> bool:
    """Whether the list item around tokens start..end (between marks) says when, now or lately:
    "this morning", "since yesterday", "twice" ("no dizziness, coughing up blood this morning"), or is a
    reading: a sign's words that are a number are a measurement ("no cough, 38.6 on the thermometer";
    issue 13 round 33, blind batch 52 U3, answered `deny`)."""
    if any(t.like_num for t in doc[start:end]):
        return True
    while start > 0 and not doc[start - 1].is_punct:
        start -= 1
    while end < len(doc) and not doc[end].is_punct:
        end += 1
    words = [t.lower_ for t in doc[start:end]]
    return _says_today(words) or any(w in COUNTS or w in {"since", "yesterday"} for w in words)


_RETURNED_AFTER = {"completely", "fully", "properly", "normal", "totally", "entirely"}
_RETURNED_BEFORE = {"all", "feeling", "sensation", "sensations", "feelings"}


def feeling_returned(doc: Doc, start: int, end: int) -> bool:
    """Of lost feeling, a "came back" that says the feeling returned, not the sign (issue 13 round 25,
    blind batch 35 E3 look-alike): "the epidural left me numb down below ..., even though it all came
    back completely", "the feeling came back"; never "the numbness came back"."""
    if not any(t.lower_ == "back" for t in doc[start:end]):
        return False
    if any(t.lemma_ in _LOST_WORDS for t in doc[max(0, start - 4):start]):
        return False  # "the numbness in my groin came back completely"
    after = doc[end].lower_ if end < len(doc) else ""
    before = doc[start - 1].lower_ if start > 0 else ""
    return after in _RETURNED_AFTER or before in _RETURNED_BEFORE


_LOST_WORDS = {"numb", "numbness", "dead", "asleep", "tingle", "tingling", "weak", "weakness"}
