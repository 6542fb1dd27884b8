"""A reviewer's decision as a file change, on a copy of the project's content (no validation
here: tests/content/test_inbox_review.py runs `make validate` on the change)."""
import shutil
from collections import namedtuple

import pytest
import yaml

from bot.inbox import review
from bot.settings import PROJECT_ROOT
from bot.tooling.content_checks.loader import Project
from bot.tooling.content_checks.yaml_style import check_style

Example = namedtuple("Example", "text intent path")


@pytest.fixture
def root(tmp_path):
    for name in ("data", "tests/nlu", "tests/red_flags"):
        shutil.copytree(PROJECT_ROOT / name, tmp_path / name)
    shutil.copy(PROJECT_ROOT / "domain.yml", tmp_path / "domain.yml")
    return tmp_path


def examples_of(root, intent):
    return [Example(text, owner, path) for text, owner, path in review._examples(root, "data/nlu") if owner == intent]


def test_an_assigned_example_goes_to_the_end_of_its_intents_block_in_the_file_style(root, tmp_path_factory):
    before = (root / "data/nlu/duration.yml").read_text()
    written = review.assign("duration_overview", "  how many   weeks till my shin stops aching ", root)
    assert written == review.Written("data/nlu/duration.yml", changed=True)
    after = (root / "data/nlu/duration.yml").read_text()
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == ["      - how many weeks till my shin stops aching"]
    in_file = [e for e in examples_of(root, "duration_overview") if e.path == "data/nlu/duration.yml"]
    assert in_file[-1].text == "how many weeks till my shin stops aching"
    assert yaml.safe_load(after)  # still YAML
    alone = tmp_path_factory.mktemp("style")  # the style is checked file by file: this file alone
    (alone / "data/nlu").mkdir(parents=True)
    shutil.copy(root / "data/nlu/duration.yml", alone / "data/nlu/duration.yml")
    assert check_style(Project(alone)) == []


def test_the_same_words_are_not_written_twice(root):
    review.assign("duration_overview", "how many weeks till my shin stops aching", root)
    again = review.assign("duration_overview", "How many weeks, till my shin stops aching?", root)
    assert again.changed is False
    texts = [e.text for e in examples_of(root, "duration_overview")]
    assert texts.count("how many weeks till my shin stops aching") == 1


def test_words_trained_or_held_out_elsewhere_are_refused(root):
    trained = examples_of(root, "contact_clinic")[0].text
    with pytest.raises(review.ReviewError, match="contact_clinic"):
        review.assign("duration_overview", trained, root)
    held_out = review._examples(root, "tests/nlu")[0][0]
    with pytest.raises(review.ReviewError, match="held-out"):
        review.assign("greet", held_out, root)


@pytest.mark.parametrize("intent, text, why", [
    ("no_such_intent", "my knee", "no intent 'no_such_intent'"),
    ("duration_overview", "call [NAME] about my leg", "placeholder"),
    ("duration_overview", "   ", "empty"),
    ("duration_overview", "/greet", "payload"),
    ("duration_overview", "my name is Ann Lee and my leg hurts", "holds a name"),
    ("duration_overview", "call me on 555-123-4567 about my leg", "holds a name, number"),
])
def test_what_cannot_be_a_clean_example_is_refused_with_the_reason(root, intent, text, why):
    before = {p: p.read_text() for p in (root / "data/nlu").glob("*.yml")}
    with pytest.raises(review.ReviewError, match=why):
        review.assign(intent, text, root)
    assert {p: p.read_text() for p in before} == before


def test_a_missed_red_flag_becomes_a_must_pass_corpus_case(root):
    written = review.missed_red_flag('my bits went dead "numb" since lunch', "saddle_numbness", root)
    assert written.changed
    corpus = yaml.load((root / "tests/red_flags/corpus.yml").read_text(), Loader=yaml.CSafeLoader)
    assert corpus["positives"][-1] == {"text": 'my bits went dead "numb" since lunch', "tier": "emergency",
                                       "flag": "saddle_numbness"}
    assert review.missed_red_flag("my bits went dead numb since lunch", "saddle_numbness", root).changed is False
    review.missed_red_flag("no feeling when i wipe today", "saddle_numbness", root)
    corpus = yaml.load((root / "tests/red_flags/corpus.yml").read_text(), Loader=yaml.CSafeLoader)
    assert [c["text"] for c in corpus["positives"][-2:]] == ['my bits went dead "numb" since lunch',
                                                            "no feeling when i wipe today"]
    assert corpus["mixed"] and corpus["lookalikes"]  # the other sections untouched
    with pytest.raises(review.ReviewError, match="no red flag 'cramp'"):
        review.missed_red_flag("my calf cramps", "cramp", root)
