"""The content team's checks (bot/tooling/content_checks): each one fails on a tiny bad project and passes
on the good one, so a green `make validate` means something. The last class runs them on the
real project."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List

import pytest
import textstat

from bot.red_flags import Detection, Hit
from bot.tooling.content_checks import red_flag_collisions, run_all
from bot.tooling.content_checks.__main__ import main
from bot.tooling.content_checks.examples import normalise
from bot.tooling.content_checks.readability import grade, plain_text

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
         "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"]


def nlu_file(intents: Dict[str, List[str]]) -> str:
    blocks = [f"  - intent: {name}\n    examples: |\n" + "".join(f"      - {e}\n" for e in examples)
              for name, examples in intents.items()]
    return 'version: "3.1"\n\nnlu:\n' + "\n".join(blocks)


def training(**extra: List[str]) -> str:
    """The good training data, plus `extra` examples per intent."""
    intents = {"greet": [f"hello {w}" for w in WORDS], "ask_drive": [f"when may i drive the {w} car" for w in WORDS]}
    for intent, more in extra.items():
        intents[intent] = intents.get(intent, []) + more
    return nlu_file(intents)


def response(name: str, text: str, source: str = "assistant") -> str:
    return f'  {name}:\n    - text: "{text}"\n      metadata:\n        source: "{source}"\n'


GOOD_RESPONSES = response("utter_greet", "Hi! Ask me about your leg.") + response(
    "utter_drive", "Don't drive until your doctor says it is OK. Or call {clinic_name} at {clinic_phone}.",
    "article: Lifestyle modifications")


def domain(responses: str = GOOD_RESPONSES, intents=("greet", "ask_drive")) -> str:
    listed = "".join(f"  - {i}\n" for i in intents)
    return f'# test domain\nversion: "3.1"\n\nintents:\n{listed}\nresponses:\n{responses}'


GOOD = {
    "domain.yml": domain(),
    "data/nlu/basic.yml": training(),
    "data/stories/rules/basic.yml": textwrap.dedent("""\
        version: "3.1"

        rules:
          - rule: greet
            steps:
              - intent: greet
              - action: utter_greet
          - rule: drive
            steps:
              - intent: ask_drive
              - action: utter_drive
        """),
    "tests/conversations/test_basic.yml": textwrap.dedent("""\
        version: "3.1"

        stories:
          - story: greet, then driving
            steps:
              - user: |
                  hi friend
                intent: greet
              - action: utter_greet
              - user: |
                  can i take the car out
                intent: ask_drive
              - action: utter_drive
          - story: gibberish
            steps:
              - user: |
                  asdf
                intent: nlu_fallback
        """),
    "tests/nlu/basic.yml": nlu_file({"greet": ["hi friend"], "ask_drive": ["can i take the car out"]}),
}


def project(tmp_path: Path, **changes: str) -> Path:
    """The good project with some files replaced; keys use '__' for '/' and '_yml' for '.yml'."""
    files = dict(GOOD)
    files.update({k.replace("__", "/").replace("_yml", ".yml"): v for k, v in changes.items()})
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def messages(root: Path) -> List[str]:
    return [str(p) for p in run_all(root)]


def only(root: Path, needle: str) -> List[str]:
    found = [m for m in messages(root) if needle in m]
    assert found, f"no problem mentions {needle!r}: {messages(root)}"
    return found


class FakeDetector:
    """Escalates any text with "fever" in it; reads "no fever" as negated. The real detector's
    readings are tested in tests/red_flags/, by `make validate` on the real project and by
    tests/content/test_validate.py."""

    def detect(self, text: str) -> Detection:
        if "no fever" in text:
            return Detection(negated=(Hit("fever_chills", "urgent", "negated", "fever", 3, 8),))
        if "fever" in text:
            return Detection("urgent", (Hit("fever_chills", "urgent", "affirmed", "fever", 0, 5),))
        return Detection()


@pytest.fixture(autouse=True)
def fake_detector(monkeypatch):
    """The small projects here are read by a fake detector, so they do not depend on the catalogue."""
    monkeypatch.setattr(red_flag_collisions, "_detector", lambda project: FakeDetector())


def test_the_good_fixture_passes(tmp_path):
    assert messages(project(tmp_path)) == []


# 1. enough examples
def test_an_intent_with_19_examples_fails(tmp_path):
    nlu = nlu_file({"greet": [f"hello {w}" for w in WORDS[:19]],
                    "ask_drive": [f"when may i drive the {w} car" for w in WORDS]})
    [problem] = only(project(tmp_path, data__nlu__basic_yml=nlu), "'greet'")
    assert problem.startswith("data/nlu/basic.yml:6: error:") and "19 training examples, the minimum is 20" in problem


# 2. exact duplicates
def test_normalise_ignores_case_punctuation_spacing_and_entity_markup():
    assert normalise("  Can I   DRIVE?? ") == normalise("can i drive") == "can i drive"
    assert normalise("it's [3 weeks](time_since_surgery) now") == "its 3 weeks now"
    assert normalise("\U0001f44d") != normalise("\U0001f44e")


@pytest.mark.parametrize("other_intent", ["greet", "ask_drive"])
def test_a_repeated_example_reports_both_places(tmp_path, other_intent):
    nlu = training(**{other_intent: ["Hello,  ALPHA!"]})
    [problem] = only(project(tmp_path, data__nlu__basic_yml=nlu), "repeats")
    assert "'Hello,  ALPHA!'" in problem and "'hello alpha'" in problem and "data/nlu/basic.yml:6" in problem


def test_a_heldout_example_that_is_trained_on_fails(tmp_path):
    heldout = nlu_file({"greet": ["Hello Bravo."], "ask_drive": ["can i take the car out"]})
    [problem] = only(project(tmp_path, tests__nlu__basic_yml=heldout), "held-out")
    assert problem.startswith("tests/nlu/basic.yml:6:") and "data/nlu/basic.yml:7" in problem


# 3. near-duplicates across intents
@pytest.mark.parametrize("a, b, flagged", [
    ("how long does it last", "how long does it lasts", True),   # one letter: difflib ratio 0.98
    ("is this normal after surgery", "after surgery is this normal", True),  # same words: Jaccard 1.0
    ("can i drive", "can i sit", False),
    ("when can i start driving again", "when can i start exercising again", False),  # ratio 0.89
])
def test_near_duplicates_across_intents(tmp_path, a, b, flagged):
    nlu = training(greet=[a], ask_drive=[b])
    found = [m for m in messages(project(tmp_path, data__nlu__basic_yml=nlu)) if "nearly the same" in m]
    assert bool(found) is flagged, found
    if flagged:
        assert "data/nlu/basic.yml:50" in found[0] and "data/nlu/basic.yml:26" in found[0]


def test_near_duplicates_within_one_intent_are_fine(tmp_path):
    nlu = training(greet=["hello there", "hello therе"])  # Cyrillic "е": differs after normalising
    assert messages(project(tmp_path, data__nlu__basic_yml=nlu)) == []


# 4. sources
@pytest.mark.parametrize("variation, ok", [
    ('    - text: "Hi."\n      metadata:\n        source: "article: Find a physician"\n', True),
    ('    - text: "Hi."\n      metadata:\n        source: safety\n', True),
    ('    - text: "Hi."\n      metadata:\n        source: "safety: urgent"\n', True),
    ('    - text: "Hi."\n      metadata:\n        source: assistant\n', True),
    ('    - text: "Hi."\n', False),
    ('    - text: "Hi."\n      metadata:\n        source: wikipedia\n', False),
    ('    - text: "Hi."\n      metadata:\n        source: "article:"\n', False),
])
def test_every_response_names_its_source(tmp_path, variation, ok):
    responses = GOOD_RESPONSES.replace(response("utter_greet", "Hi! Ask me about your leg."),
                                       "  utter_greet:\n" + variation)
    found = [m for m in messages(project(tmp_path, domain_yml=domain(responses))) if "source" in m]
    assert (found == []) is ok, found


CARE_TEAM = '      metadata:\n        source: "assistant: ask the care team"\n'


@pytest.mark.parametrize("text, ok", [
    ("My answers come from an article that does not cover flying. Call {clinic_name} at {clinic_phone}.", True),
    ("The article does not cover flying. Ask your surgeon.", False),  # no number
    ("Flying is fine after two weeks. Call {clinic_name} at {clinic_phone}.", False),  # advice, not a referral
])
def test_an_ask_the_care_team_answer_says_the_article_does_not_cover_it_and_gives_the_number(tmp_path, text, ok):
    responses = GOOD_RESPONSES + f'  utter_care_flying:\n    - text: "{text}"\n' + CARE_TEAM
    found = [m for m in messages(project(tmp_path, domain_yml=domain(responses))) if "utter_care_flying" in m]
    assert (found == []) is ok, found
    if not ok:
        assert "defers to the care team" in found[0] and 'docs/CONTENT.md, \\"Ask your care team\\"' not in found[0]


# 5. reading level
def test_plain_text_fills_placeholders_drops_list_markers_and_swaps_allowed_terms():
    text = "Call {clinic_name} at {clinic_phone}:\n- After a microdiscectomy\n1. Rest"
    assert plain_text(text) == "Call the clinic at this number. After a op. Rest."


def test_a_hard_response_fails_with_its_grade(tmp_path):
    hard = ("Postoperative radiculopathy necessitates comprehensive multidisciplinary evaluation, "
            "particularly regarding neurological deterioration.")
    responses = GOOD_RESPONSES + response("utter_hard", hard)
    [problem] = only(project(tmp_path, domain_yml=domain(responses)), "utter_hard")
    assert f"reads at grade {grade(hard):.1f} (Flesch-Kincaid), above the maximum 8" in problem
    assert grade(hard) > 8 and "long words:" in problem


def test_allowed_medical_terms_do_not_count_against_the_grade():
    text = "Spondylolisthesis and stenosis can mimic sciatica after a microdiscectomy."
    assert grade(text) <= 8 < textstat.flesch_kincaid_grade(text)


# 6. phone numbers
@pytest.mark.parametrize("where", ["domain", "example"])
def test_a_typed_phone_number_fails(tmp_path, where):
    if where == "domain":
        root = project(tmp_path, domain_yml=domain(GOOD_RESPONSES + response("utter_x", "Call 555.123.4567.")))
    else:
        root = project(tmp_path, data__nlu__basic_yml=training(greet=["is (555) 123-4567 your number"]))
    assert only(root, "phone-number-like")


@pytest.mark.parametrize("text, expected", [
    ("Please call {clinic_name} today.", "error: response utter_x tells the patient to call the clinic"),
    ("Call your surgeon's office today.", "error: response utter_x tells the patient to call the clinic"),
    ("Call your doctor today.", "warning: response utter_x says to call the doctor"),
    ("The clinic team will call you back.", None),
])
def test_calling_the_clinic_needs_the_clinic_phone_placeholder(tmp_path, text, expected):
    found = messages(project(tmp_path, domain_yml=domain(GOOD_RESPONSES + response("utter_x", text))))
    found = [m for m in found if "utter_x" in m]
    assert found == [] if expected is None else expected in found[0]


# 7. intents line up
def test_an_intent_without_rule_or_conversation_test_fails(tmp_path):
    intents = ("greet", "ask_drive", "ask_sit")
    nlu = training(ask_sit=[f"how long can i sit on the {w} chair" for w in WORDS])
    found = messages(project(tmp_path, domain_yml=domain(intents=intents), data__nlu__basic_yml=nlu))
    assert found == ["domain.yml:7: error: intent 'ask_sit' is covered by no conversation test (hint: add a "
                     "story under tests/conversations/ with a `user:` step and `intent: ask_sit`)",
                     "domain.yml:7: error: intent 'ask_sit' is used in no rule or story "
                     "(hint: add a rule under data/stories/rules/ that answers it)"]


def test_a_conversation_test_file_rasa_would_skip_fails_and_covers_nothing(tmp_path):
    root = project(tmp_path)
    (root / "tests/conversations/test_basic.yml").rename(root / "tests/conversations/basic.yml")
    found = messages(root)
    assert "tests/conversations/basic.yml:1: error: conversation test file is not named test_*.yml, so Rasa " \
           "never runs it (hint: rename it to tests/conversations/test_basic.yml)" in found
    assert any("intent 'ask_drive' is covered by no conversation test" in m for m in found)


def test_domain_and_nlu_intents_must_match(tmp_path):
    root = project(tmp_path, domain_yml=domain(intents=("greet",)))
    assert only(root, "intent 'ask_drive' has training examples but is not in domain.yml")
    root = project(tmp_path, domain_yml=domain(intents=("greet", "ask_drive", "ask_sit")))
    assert only(root, "intent 'ask_sit' is in the domain but has 0 training examples")


def test_an_external_intent_needs_a_rule_but_no_examples_or_typed_test(tmp_path):
    intents = ("greet", "ask_drive", "EXTERNAL_checkin")
    found = messages(project(tmp_path, domain_yml=domain(intents=intents)))
    assert found == ["domain.yml:7: error: intent 'EXTERNAL_checkin' is used in no rule or story "
                     "(hint: add a rule under data/stories/rules/ that answers it)"]


def test_a_rule_naming_a_response_the_domain_lacks_fails_at_the_step(tmp_path):
    rules = GOOD["data/stories/rules/basic.yml"].replace("      - action: utter_drive", "      - action: utter_drvie")
    [problem] = only(project(tmp_path, data__stories__rules__basic_yml=rules), "utter_drvie")
    assert problem.startswith("data/stories/rules/basic.yml:11: error: rule 'drive' uses the response "
                              "'utter_drvie', which domain.yml does not define (hint: add utter_drvie under "
                              "responses: in domain.yml")


def test_conversation_tests_may_only_use_actions_forms_and_slots_the_domain_defines(tmp_path):
    tests = GOOD["tests/conversations/test_basic.yml"].replace(
        "      - action: utter_drive\n",
        "      - action: action_check_wound\n      - active_loop: wound_form\n"
        "      - slot_was_set:\n          - wound_ok: true\n      - action: action_listen\n")
    found = messages(project(tmp_path, tests__conversations__test_basic_yml=tests))
    assert [m.split(": error: ")[0] for m in found] == [f"tests/conversations/test_basic.yml:{n}" for n in (13, 14, 15)]
    assert "story 'greet, then driving' uses the action 'action_check_wound'" in found[0]
    assert "uses the form 'wound_form'" in found[1] and "sets the slot 'wound_ok'" in found[2]


def test_rasa_default_actions_and_slots_need_no_domain_entry(tmp_path):
    rules = GOOD["data/stories/rules/basic.yml"].replace(
        "      - action: utter_greet\n",
        "      - action: utter_greet\n      - slot_was_set:\n          - requested_slot: null\n"
        "      - action: action_restart\n")
    assert messages(project(tmp_path, data__stories__rules__basic_yml=rules)) == []


# 9. red-flag collisions (warnings)
CATALOGUE = textwrap.dedent("""\
    catalogue: red_flags
    flags:
      - id: fever_chills
        tier: urgent
        phrases: [fever, no fever]
    """)


def test_an_example_the_detector_escalates_is_a_warning_at_its_line(tmp_path):
    nlu = training(ask_drive=["can i drive with a fever"])
    [problem] = only(project(tmp_path, data__nlu__basic_yml=nlu), "escalates")
    assert problem.startswith("data/nlu/basic.yml:49: warning: training example 'can i drive with a fever' "
                              "(ask_drive): the red-flag detector escalates it as urgent (fever_chills 'fever'): "
                              "the patient gets utter_red_flag_urgent, not ask_drive's answer (hint: if it reports "
                              "the sign, move it to red_flag_urgent")
    assert main(["--root", str(tmp_path)]) == 0  # a warning: listed, does not fail


def test_red_flag_intents_are_not_checked_but_deny_is(tmp_path):
    nlu = nlu_file({"greet": [f"hello {w}" for w in WORDS],
                    "ask_drive": [f"when may i drive the {w} car" for w in WORDS],
                    "red_flag_urgent": ["i have a fever"], "deny": ["fever yes"]})
    found = [m for m in messages(project(tmp_path, data__nlu__basic_yml=nlu)) if "escalates" in m]
    assert len(found) == 1 and "(deny)" in found[0], found


def test_a_conversation_test_message_the_detector_escalates_is_a_warning(tmp_path):
    tests = GOOD["tests/conversations/test_basic.yml"].replace("can i take the car out\n",
                                                          "can i take the car out with a fever\n", 1)
    [problem] = only(project(tmp_path, tests__conversations__test_basic_yml=tests), "escalates")
    assert problem.startswith("tests/conversations/test_basic.yml:10: warning: conversation test message 'can i take "
                              "the car out with a fever' expects ask_drive, but the red-flag detector escalates it")


def test_a_catalogue_phrase_read_as_negated_is_a_warning_at_its_line(tmp_path):
    [problem] = only(project(tmp_path, data__red_flags_yml=CATALOGUE), "is read as")
    assert problem.startswith("data/red_flags.yml:5: warning: the phrase 'no fever' of fever_chills is read as "
                              "negated, not affirmed")


# 8. YAML style
@pytest.mark.parametrize("bad, expected", [
    (GOOD["data/stories/rules/basic.yml"].replace('version: "3.1"\n', ""), "the first key must be version"),
    (GOOD["data/stories/rules/basic.yml"].replace('"3.1"', "'3.1'"), "the first key must be version"),
    (GOOD["data/stories/rules/basic.yml"].replace("  - rule: drive", "\t- rule: drive"), "tab character"),
    (GOOD["data/stories/rules/basic.yml"].replace("rule: greet", "rule: greet  "), "trailing whitespace"),
    (GOOD["data/stories/rules/basic.yml"].rstrip("\n"), "does not end with a newline"),
    (GOOD["data/stories/rules/basic.yml"].replace("\n  ", "\n    "), "indented 4 spaces (4 more than the line above)"),
    (GOOD["data/stories/rules/basic.yml"].replace("  - rule: drive", "   - rule: drive"), "indented 3 spaces"),
    (GOOD["data/stories/rules/basic.yml"].replace("    steps:\n      - intent: ask_drive",
                                                  "    step:\n      - intent: ask_drive"), "unexpected key 'step'"),
    (GOOD["data/stories/rules/basic.yml"].replace("rules:", "rules: [oops"), "not valid YAML"),
])
def test_yaml_style(tmp_path, bad, expected):
    assert only(project(tmp_path, data__stories__rules__basic_yml=bad), expected)[0].startswith(
        "data/stories/rules/basic.yml:")


MULTI_QUESTION = ('version: "3.1"\nnlu: []\nmessages:\n'
                  '  - text: "can i drive? can i sit?"\n    intents: [ask_drive, ask_sit]\n')


def test_the_multi_question_set_has_its_own_keys(tmp_path):
    assert messages(project(tmp_path, tests__nlu__multi_question_yml=MULTI_QUESTION)) == []
    bad = MULTI_QUESTION.replace("intents:", "intent:")
    [problem] = only(project(tmp_path, tests__nlu__multi_question_yml=bad), "unexpected key 'intent'")
    assert problem.startswith("tests/nlu/multi_question.yml:5: error: unexpected key 'intent' in an entry of messages")


def test_unknown_response_key_fails(tmp_path):
    responses = GOOD_RESPONSES.replace("      metadata:\n        source: \"assistant\"", "      metdata: {}", 1)
    assert only(project(tmp_path, domain_yml=domain(responses)), "unexpected key 'metdata' in response utter_greet")


# the command
def test_the_command_prints_problems_and_a_summary_and_exits_1_on_errors(tmp_path, capsys):
    assert main(["--root", str(project(tmp_path))]) == 0
    assert capsys.readouterr().out.startswith("content checks: 0 error(s), 0 warning(s); hardest responses")
    project(tmp_path, domain_yml=domain(GOOD_RESPONSES + response("utter_x", "Call your doctor.")))
    assert main(["--root", str(tmp_path)]) == 0  # a warning alone does not fail
    assert capsys.readouterr().out.splitlines()[-1].startswith("content checks: 0 error(s), 1 warning(s)")
    project(tmp_path, domain_yml=domain(GOOD_RESPONSES + response("utter_x", "Call 555-123-4567.")))
    assert main(["--root", str(tmp_path)]) == 1
    first, summary = capsys.readouterr().out.splitlines()
    assert first.startswith("domain.yml:18: error: phone-number-like text '555-123-4567'") and "(hint: " in first
    assert summary.startswith("content checks: 1 error(s), 0 warning(s); hardest responses (Flesch-Kincaid")
