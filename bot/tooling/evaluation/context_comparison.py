"""Who reads a red-flag hit's context better: bot/red_flags/context.py or medspaCy's ConText?

Every reader runs inside the detector itself (`RedFlagDetector(catalogue, reader=...)`); only each
candidate's status (affirmed, negated, hypothetical, historical, resolved) is decided by
another reader; normal temperatures, expected nerve healing and the tier follow as in the
detector. Readers: the project's `Context.status`; `medspacy.context.ConText` with the rules
that ship in the package, as shipped and with the own-words fix (see `medspacy_reader`); and
ConText with data/red_flags.yml's `language:` words as ConTextRules (`project_rules`).
is_negated/is_hypothetical/is_historical (and the project's resolved) lower a hit; is_uncertain
and is_family do not (uncertainty never lowers a red flag; a carer writes for the patient).
Candidates go in a span group, not doc.ents: they overlap, and ConText reads targets apart.

    python -m bot.tooling.evaluation.context_comparison [--rev HEAD]  # needs medspacy==1.3.1

Prints a markdown table and writes reports/context_comparison.md with every message on which
a medspaCy reader and context.py disagree. Sets: the corpus (positives + mixed, look-alikes),
tests/blind/batch1.yml, tests/real_world/messages.yml.
"""
from __future__ import annotations

import argparse
import subprocess
import time
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import yaml

from bot.red_flags import get_detector
from bot.red_flags.context import (AFFIRMED, HISTORICAL, HYPOTHETICAL, NEGATED, RESOLVED,
                                   _list, _section)
from bot.red_flags.detector import Reader, RedFlagDetector
from bot.settings import PROJECT_ROOT
from bot.vocabulary import NONE, tier_rank

REPORT = PROJECT_ROOT / "reports" / "context_comparison.md"
GROUP = "red_flag_candidates"
REPEAT = 3
Case = Tuple[str, str]  # text, expected tier


def load_sets(rev: Optional[str] = None) -> Dict[str, List[Case]]:
    """The sets in the work tree, or as committed at git revision `rev`."""
    def read(path: str) -> Dict:
        return yaml.safe_load((PROJECT_ROOT / "tests" / path).read_text() if rev is None else subprocess.run(
            ["git", "show", f"{rev}:tests/{path}"], cwd=PROJECT_ROOT, capture_output=True, text=True,
            check=True).stdout)
    corpus = read("red_flags/corpus.yml")
    sets = {"corpus": [(c["text"], c["tier"]) for key in ("positives", "mixed", "lookalikes")
                       for c in corpus[key]]}
    for name, path in (("blind batch1", "blind/batch1.yml"), ("real_world", "real_world/messages.yml")):
        sets[name] = [(c["text"], c["expect"]) for c in read(path)["cases"]]
    return sets


def tier_with(det: RedFlagDetector, text: str) -> Tuple[str, Dict[str, str]]:
    """The tier and each found flag's status: detect() itself, with the detector's reader."""
    found = det.detect(text)
    return found.tier, {hit.flag: hit.status for hit in (*found.affirmed, *found.negated)}


def medspacy_reader(det: RedFlagDetector, project_words: bool, own_words: bool = True) -> Reader:
    """ConText over the candidates, with its default rules or the catalogue's words.
    `own_words`: a trigger among a candidate's own words ("can't pee") does not modify it, as
    in context.py. medspaCy means to do this, but 1.3.1 misses a modifier strictly inside a
    target (util.tuple_overlaps is one-sided), so it is added as each rule's on_modifies."""
    from medspacy.context import ConText  # optional: only this comparison needs medspaCy
    from spacy.tokens import Span

    ConText.register_default_attributes()
    Span.set_extension("is_resolved", default=False, force=True)
    attrs = {"NEGATED_EXISTENCE": {"is_negated": True}, "POSSIBLE_EXISTENCE": {"is_uncertain": True},
             "HISTORICAL": {"is_historical": True}, "HYPOTHETICAL": {"is_hypothetical": True},
             "FAMILY": {"is_family": True}, "RESOLVED": {"is_resolved": True}}
    context = ConText(det.analyser.nlp, rules=None if project_words else "default", span_attrs=attrs,
                      input_span_type="group", span_group_name=GROUP)
    if project_words:
        context.add(project_rules(det))
    own: Dict[Tuple[int, int], set] = {}  # target span -> its candidates' own words
    for rule in context.rules if own_words else ():
        rule.on_modifies = lambda target, modifier, _: not own.get(
            (target.start, target.end), set()).intersection(range(modifier.start, modifier.end))

    def read(doc, cands, *_):
        own.clear()
        for c in cands:
            own.setdefault((c.start, c.end), set()).update(i for s, e in c.terms for i in range(s, e))
        doc.spans[GROUP] = [Span(doc, c.start, c.end, label=c.flag) for c in cands]
        context(doc)
        return [NEGATED if s._.is_negated else HYPOTHETICAL if s._.is_hypothetical else
                HISTORICAL if s._.is_historical else RESOLVED if s._.is_resolved else AFFIRMED
                for s in doc.spans[GROUP]]
    return read


def project_rules(det: RedFlagDetector) -> list:
    """data/red_flags.yml's context words as ConTextRules, matched as the detector matches
    them (lemmas, or lowercase for the words the catalogue spells exactly). Not converted,
    having no ConText counterpart: reaffirm, double negatives, general questions,
    history's comparison/new words, recurrence. Breaks and stops get max_scope=1: medspaCy
    1.3.1 lets a TERMINATE cut a scope only if their scopes overlap one-sidedly, which a
    sentence-wide TERMINATE scope never does to a negation with a max_scope."""
    from medspacy.context import ConTextRule

    lang = det.catalogue.language
    neg, hypo, hist, res, clauses = (_section(lang, k) for k in
                                     ("negation", "hypothetical", "history", "resolution", "clauses"))
    short: Dict = found if isinstance(found := hypo.get("short"), dict) else {}
    breaks = _list(clauses.get("breaks"))

    def rules(words, category, direction, exact=False, scope=None, stopped_by=None, before=()):
        out = []
        for word in words:
            tokens = det.analyser.nlp.make_doc(word) if exact else det.analyser.doc(word)
            pattern = [{"LOWER": t.lower_} if exact else {"LEMMA": t.lemma_} for t in tokens]
            out.append(ConTextRule(word, category, pattern=list(before) + pattern, direction=direction,
                                   max_scope=scope, terminated_by=stopped_by))
        return out

    soft = ConTextRule("soft break", "BREAK", direction="TERMINATE", max_scope=1, pattern=[
        {"LOWER": {"IN": _list(clauses.get("soft_breaks"))}}, {"LOWER": {"IN": _list(clauses.get("subjects"))}}])
    not_yet = [{"LEMMA": {"IN": ["not", "no", "never"]}}, {"OP": "?"}, {"OP": "?"}]  # "hasn't settled"
    shorts = _list(short.get("triggers"))
    return (rules(_list(neg.get("triggers")), "NEGATED_EXISTENCE", "FORWARD",
                  scope=int(neg.get("window", 6)), stopped_by={"NEG_STOP"})
            + rules([w for w in _list(neg.get("stops")) if w not in breaks], "NEG_STOP", "PSEUDO", scope=1)
            + rules(_list(neg.get("pseudo")) + _list(hypo.get("pseudo")) + _list(hist.get("pseudo")),
                    "PSEUDO", "PSEUDO")
            + rules([w for w in _list(hypo.get("triggers")) if w not in shorts], "HYPOTHETICAL",
                    "FORWARD", scope=int(hypo.get("window", 12)))
            + rules(shorts, "HYPOTHETICAL", "FORWARD", scope=int(short.get("window", 2)))
            + rules(_list(hist.get("triggers")), "HISTORICAL", "BIDIRECTIONAL")
            + rules(_list(res.get("triggers")), "RESOLVED", "BACKWARD", exact=True,
                    scope=int(res.get("window", 6)))
            + rules(_list(res.get("triggers")), "PSEUDO", "PSEUDO", exact=True, before=not_yet)
            + rules(breaks, "BREAK", "TERMINATE", scope=1) + [soft])


def measure(det: RedFlagDetector, cases: List[Case]) -> Dict:
    """Recall per tier, false escalation of benign messages, signs lost to context."""
    figures: Dict = defaultdict(int, rows=[])
    for text, expect in cases:
        tier, best = tier_with(det, text)
        figures[f"{expect}_total"] += 1
        if expect == NONE:
            figures["false"] += tier != NONE
        else:
            figures[f"{expect}_caught"] += tier_rank(tier) >= tier_rank(expect)
            # The matcher found the sign's words (at this tier), the reader lowered them.
            figures["lost"] += tier_rank(tier) < tier_rank(expect) and any(
                tier_rank(det._tier[f]) >= tier_rank(expect) for f in best)
        figures["rows"].append((text, expect, tier, best))
    return figures


def timings(detectors: Dict[str, RedFlagDetector], cases: List[Case]) -> Dict[str, float]:
    """Mean ms per message of the whole detection with each reader; the readers take turns on
    each message, which counts its best of REPEAT runs (the machine is shared)."""
    total = dict.fromkeys(detectors, 0.0)
    for text, _ in cases:
        for name, det in detectors.items():
            total[name] += min(_timed(det, text) for _ in range(REPEAT))
    return {name: 1000 * t / len(cases) for name, t in total.items()}


def _timed(det: RedFlagDetector, text: str) -> float:
    started = time.perf_counter()
    det.detect(text)
    return time.perf_counter() - started


def right(expect: str, tier: str) -> bool:
    return tier == NONE if expect == NONE else tier_rank(tier) >= tier_rank(expect)


def ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.1%})" if whole else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", help="read the sets as committed at this git revision (default: work tree)")
    args = parser.parse_args()
    base = get_detector()
    catalogue = base.catalogue
    detectors = {"context.py": base,
                 "medspaCy default, as shipped": RedFlagDetector(catalogue, medspacy_reader(base, False, False)),
                 "medspaCy default + own-words fix": RedFlagDetector(catalogue, medspacy_reader(base, False)),
                 "medspaCy + project words": RedFlagDetector(catalogue, medspacy_reader(base, True))}
    sets = load_sets(args.rev)
    for det in detectors.values():  # warm up (lookups, matcher caches) before timing
        det.detect("no fever, just numbness")
    lines = ["| set | reader | emergency recall | urgent recall | false escalation (benign) "
             "| signs read as not affirmed | ms/message |", "|---|---|---|---|---|---|---|"]
    results = {}
    for set_name, cases in sets.items():
        ms = timings(detectors, cases)
        for name, det in detectors.items():
            f = results[set_name, name] = measure(det, cases)
            lines.append(f"| {set_name} | {name} | {ratio(f['emergency_caught'], f['emergency_total'])} "
                         f"| {ratio(f['urgent_caught'], f['urgent_total'])} | {ratio(f['false'], f['none_total'])} "
                         f"| {f['lost']} | {ms[name]:.2f} |")
    table = "\n".join(lines)
    print(table)
    out = ["# Context of red-flag hits: context.py against medspaCy ConText", "",
           f"`python -m bot.tooling.evaluation.context_comparison` on the sets of {args.rev or 'the work tree'} "
           f"({', '.join(f'{k} {len(v)}' for k, v in sets.items())} messages); every reader runs inside "
           "the same detect(), which only its statuses differ in.", "", table]
    for name in list(detectors)[1:]:
        out += ["", f"## Where {name} and context.py disagree", ""]
        for set_name in sets:
            pairs = zip(results[set_name, "context.py"]["rows"], results[set_name, name]["rows"], strict=True)
            out += [f"- {set_name}, expected {expect}: `{text}`; {'right' if right(expect, theirs[2]) else 'WRONG'}: "
                    f"{theirs[2]} {theirs[3]}; context.py: {tier} {best}"
                    for (text, expect, tier, best), theirs in pairs if right(expect, tier) != right(expect, theirs[2])]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(out))
    print(f"\nwritten: {REPORT.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
