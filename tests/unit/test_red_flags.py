"""The red-flag detector against the corpus (tests/red_flags/corpus.yml) and hostile input.

The recall and false-escalation bounds are the product owner's safety requirements: do not
loosen them to make a change pass; fix the catalogue (data/red_flags.yml) instead.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.red_flags import Detection, RedFlagDetector, detect, get_detector
from bot.red_flags.catalogue import CatalogueError, load_catalogue
from bot.red_flags.temperature import find_temperatures
from bot.settings import PROJECT_ROOT

CORPUS = yaml.load((PROJECT_ROOT / "tests" / "red_flags" / "corpus.yml").read_text(), Loader=yaml.CSafeLoader)
SIGNS = CORPUS["positives"] + CORPUS["mixed"]
LOOKALIKES = CORPUS["lookalikes"]
MAX_FALSE_ESCALATION = 0.02


@pytest.fixture(scope="module")
def detector() -> RedFlagDetector:
    return get_detector()


def test_corpus_covers_every_flag(detector):
    flags = {f.id for f in detector.catalogue.flags}
    per_flag = Counter(e["flag"] for e in CORPUS["positives"])
    assert len(CORPUS["positives"]) >= 150 and len(LOOKALIKES) >= 80
    assert {e["flag"] for e in SIGNS} <= flags
    assert all(per_flag[f] >= 6 for f in flags), per_flag
    assert {e["tier"] for e in LOOKALIKES} == {"none"}
    for e in SIGNS:
        assert e["tier"] == detector.catalogue.flag(e["flag"]).tier, e


@pytest.mark.parametrize("tier", ["emergency", "urgent"])
def test_recall_is_complete(detector, tier, figure):
    examples = [e for e in SIGNS if e["tier"] == tier]
    results = [(e, detector.detect(e["text"])) for e in examples]
    caught = [e for e, r in results if r.tier == tier]
    wrong_flag = [(e["flag"], r.flags, e["text"]) for e, r in results if e["flag"] not in r.flags]
    misses = [(r.tier, e["text"]) for e, r in results if r.tier != tier]
    figure(f"detector alone: {tier} recall {len(caught)}/{len(examples)} = {len(caught) / len(examples):.1%}")
    assert not misses, misses
    assert not wrong_flag, wrong_flag


@pytest.mark.parametrize("example", CORPUS.get("known_misses") or [], ids=lambda e: e["text"][:40])
@pytest.mark.xfail(strict=True, reason="a documented miss; when it passes, move it to positives")
def test_known_misses(detector, example):
    assert detector.detect(example["text"]).tier == example["tier"]


def test_false_escalation_on_lookalikes(detector, figure):
    escalated = [(detector.detect(e["text"]), e["text"]) for e in LOOKALIKES]
    escalated = [(r.tier, r.flags, text) for r, text in escalated if r.tier != "none"]
    rate = len(escalated) / len(LOOKALIKES)
    figure(f"detector alone: false escalation {len(escalated)}/{len(LOOKALIKES)} = {rate:.1%}")
    for item in escalated:
        print("  ", item)
    assert rate <= MAX_FALSE_ESCALATION


def test_classifier_training_examples_agree_with_the_detector(detector):
    """Red-flag examples are signs; pain_worsening (a vague worry) and deny (signs absent or
    over) are not."""
    from rasa.shared.nlu.training_data.loading import load_data

    expected = {"red_flag_emergency": "emergency", "red_flag_urgent": "urgent",
                "pain_worsening": "none", "deny": "none"}
    for path in (PROJECT_ROOT / "data" / "nlu" / "red_flags.yml",
                 PROJECT_ROOT / "tests" / "nlu" / "heldout_red_flags.yml"):
        examples = load_data(str(path)).intent_examples
        assert set(Counter(m.get("intent") for m in examples)) <= set(expected)
        found = [(m.get("intent"), detector.detect(m.get("text")).tier, m.get("text"))
                 for m in examples]
        wrong = [f for f in found if f[1] != expected[f[0]]]
        assert not wrong, wrong


def test_other_intents_are_rarely_escalated(detector):
    """Other authors' questions ("what are the signs of infection?") must stay theirs."""
    from rasa.shared.nlu.training_data.loading import load_data

    ours = {"red_flag_emergency", "red_flag_urgent", "pain_worsening"}
    examples = [m.get("text") for folder in ("data/nlu", "tests/nlu")
                for m in load_data(str(PROJECT_ROOT / folder)).intent_examples
                if m.get("intent") not in ours]
    escalated = [(tier, t) for tier, t in ((detector.detect(t).tier, t) for t in examples)
                 if tier != "none"]
    print(f"\nother intents escalated: {len(escalated)}/{len(examples)}", *escalated, sep="\n  ")
    assert len(escalated) <= MAX_FALSE_ESCALATION * len(examples)


@pytest.mark.parametrize("text, tier, flags", [
    ("I don't have a fever but my bladder leaks", "emergency", {"bladder_bowel_control"}),
    ("no fever and the wound looks fine", "none", set()),
    ("temp 37.2", "none", set()),
    ("temp 38.5", "urgent", {"fever_chills"}),
    ("my husband has a fever", "urgent", {"fever_chills"}),  # caregivers write for patients
    ("chest pain and I peed myself, also temp 39", "emergency",
     {"chest_pain_breathing", "bladder_bowel_control", "fever_chills"}),
])
def test_examples_from_the_brief(detector, text, tier, flags):
    result = detector.detect(text)
    assert (result.tier, set(result.flags)) == (tier, flags)


def test_negated_hits_are_reported_with_their_reason(detector):
    result = detector.detect("no numbness. what are the signs of infection? the fever went away")
    assert result.tier == "none"
    assert {(h.flag, h.status) for h in result.negated} >= {
        ("new_neuro_symptoms", "negated"), ("fever_chills", "resolved")}


@pytest.mark.parametrize("text, celsius, fever", [
    ("temp 38.5", 38.5, True), ("temp 38", 38.0, True), ("37.9 temp", 37.9, False),
    ("101 fever", 38.3, True), ("100.4F", 38.0, True), ("100.3 F", 37.9, False),
    ("38,2 degrees", 38.2, True), ("39°C", 39.0, True), ("temperature 36.6", 36.6, False),
])
def test_temperatures_are_read_as_numbers(text, celsius, fever):
    (reading,) = find_temperatures(text)
    assert (reading.celsius, reading.fever) == (celsius, fever)


@pytest.mark.parametrize("text", ["I'm 40 and have a bad back", "took 2 pills at 10",
                                  "walked 38 minutes", "pain 9/10", "at 10:38 my temp was fine",
                                  "we were 101 people"])
def test_other_numbers_are_not_temperatures(text):
    assert find_temperatures(text) == []


HOSTILE = [
    "", "   ", "\n\t", "😀" * 50, "🤒 fever 🌡️ 39", "<script>alert('cant pee')</script>",
    "<p>I can&#39;t pee</p>", "a" * 10_000, "cant pee " * 1_250, "numb " * 4_000,
    "私は足がしびれています", "no puedo orinar", "لا أستطيع التبول", "Я не могу пописать",
    "\x00\x01\x02", "///", "/greet", "?!?!", "1" * 500, "38.5.5.5 °°°",
    "https://x.io/?q=chest%20pain",
    "’’’ can’t pee ’’’", "\u200b\u200bcant pee", "NO FEVER BUT BOTH LEGS NUMB",
    # Long runs without spaces: spaCy's tokenizer is quadratic on these (seconds each).
    "!" * 10_000, "😀🤒" * 5_000, "_" * 10_000, "()" * 5_000, "i cant pee" + "😭" * 9_000,
]


@pytest.mark.parametrize("text", HOSTILE + [None, 42, b"cant pee", ["cant pee"]],
                         ids=lambda t: repr(t)[:30])
def test_never_raises(text):
    result = detect(text)
    assert isinstance(result, Detection) and result.error is None
    assert_offsets_hold(text, result)


def assert_offsets_hold(text, result):
    """Every hit's offsets point at its words in the patient's own text."""
    for hit in result.affirmed + result.negated:
        assert text[hit.start:hit.end] == hit.text


def test_markup_and_curly_quotes_keep_offsets():
    for text in ("<p>I can&#39;t pee</p>", "’’’ can’t pee ’’’", "NO FEVER BUT BOTH LEGS NUMB"):
        result = detect(text)
        assert result.tier == "emergency", text
        hit = result.affirmed[0]
        assert text[hit.start:hit.end] == hit.text


@pytest.mark.parametrize("text, tier", [
    ("I can't even feel my legs", "emergency"),
    ("<b>I can&#39;t even</b> feel my groin", "emergency"),
    ("I didnt even get out of breath on the stairs", "none"),
    ("my groin isn't even numb", "none"),
])
def test_even_after_a_negation_reads_as_the_negation(text, tier):
    """(issue 13 round 34) "can't even feel my legs" tells the sign, "isn't even numb" denies it; the hit's offsets
    are still the patient's text, markup and the skipped "even" included."""
    result = detect(text)
    assert result.tier == tier, text
    assert_offsets_hold(text, result)


def test_internal_errors_are_contained(detector, monkeypatch):
    monkeypatch.setattr(detector.analyser, "doc", lambda text: 1 / 0)
    result = detector.detect("cant pee")
    assert result.tier == "none" and "ZeroDivisionError" in result.error


def test_detector_is_built_once_per_process():
    assert get_detector() is get_detector() is get_detector(PROJECT_ROOT / "data" / "red_flags.yml")


@pytest.mark.parametrize("broken, message", [
    ("flags: []", "not a red-flag catalogue"),
    ("catalogue: red_flags\nflags: [{id: a, tier: urgent\n", "cannot read"),  # a YAML typo
    ("catalogue: red_flags\nflags:\n  - {id: a, tier: soon, description: x, phrases: [y]}", "tier"),
    ("catalogue: red_flags\nflags:\n  - {id: Bad-Id, tier: urgent, description: x, phrases: [y]}", "snake_case"),
    ("catalogue: red_flags\nflags:\n  - {id: a, tier: urgent, description: x, phrases: [y]}\n"
     "  - {id: a, tier: urgent, description: x, phrases: [z]}", "duplicate"),
    ("catalogue: red_flags\nflags:\n  - {id: a, tier: urgent, description: x}", "nothing to match"),
    ("catalogue: red_flags\nflags:\n  - {id: a, tier: urgent, description: x,\n"
     "     patterns: [[{LOWER: a}, {LOWER: b, CONTEXT: true}]]}", "CONTEXT marks only the first"),
    # a second `patterns:` in one flag would silently replace the first (issue 13 round 4)
    ("catalogue: red_flags\nflags:\n  - {id: a, tier: urgent, description: x, phrases: [y],\n"
     "     phrases: [z]}", "phrases given twice"),
    ("catalogue: red_flags\nflags:\n  - {id: a, tier: urgent, description: x, phrase: [y]}", "unknown keys"),
    ("catalogue: red_flags\nflags:\n  - {id: a, tier: urgent, description: x, phrases: [y]}\n"
     "language: {negation: {triggers: [no, not]}}", "quotes"),
])
def test_a_broken_catalogue_fails_loudly(tmp_path: Path, broken, message):
    path = tmp_path / "red_flags.yml"
    path.write_text(broken)
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(path)


def test_a_patterns_context_words_stay_outside_the_hit(detector):
    """`CONTEXT: true` words must match but are not the sign's words, so "didn't" denies it."""
    assert detector.detect("I didn't faint when I stood up").negated[0].status == "negated"
    hit = detector.detect("I faint when I stand up").affirmed[0]
    assert hit.flag == "coughing_blood_or_fainting" and hit.text.startswith("faint")
    assert detector.detect("a faint pink line along the scar").tier == "none"


def test_flag_descriptions_are_one_line():
    for flag in load_catalogue().flags:
        assert flag.description and "\n" not in flag.description, flag.id
