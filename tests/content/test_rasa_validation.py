"""`make validate` runs Rasa's validator with warnings as errors, minus Rasa's false alarms, and
puts each of its messages at the file and line that uses the name, with a hint for that mistake."""
import shutil
import textwrap

import pytest

from bot.settings import PROJECT_ROOT
from bot.tooling.content_checks.rasa_validation import Locator, check, read_message


@pytest.fixture
def project(tmp_path):
    for name in ("config.yml", "domain.yml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    shutil.copytree(PROJECT_ROOT / "actions", tmp_path / "actions")
    shutil.copytree(PROJECT_ROOT / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_project_passes_then_each_mistake_is_placed(project):
    """One Rasa run (about 15 s): clean, then a response nothing uses and a story that a rule contradicts."""
    assert check(project) == []
    domain = project / "domain.yml"
    domain.write_text(domain.read_text().replace(
        "responses:\n", "responses:\n  utter_forgotten:\n    - text: \"Nobody says this.\"\n", 1))
    stories = project / "data/stories/conversation.yml"
    stories.write_text(stories.read_text().replace(
        "      - action: utter_when_to_seek_care\n      - action: utter_warning_signs_all\n",
        "      - action: utter_when_to_seek_care\n", 1))
    found = sorted(str(p) for p in check(project))
    line = domain.read_text().splitlines().index("  utter_forgotten:") + 1
    assert found[1] == (f"domain.yml:{line}: error: response 'utter_forgotten' is used in no rule or story, so the "
                        "bot never says it (hint: add it as an `action:` step in a rule or story, or delete the "
                        "response)")
    assert found[0].startswith("data/stories/conversation.yml:18: error: story 'patient asks why it hurts, then "
                               "about one cause' waits for the patient where rule 'answer when to seek care' "
                               "(data/stories/rules/seek_care.yml:4) says otherwise, which does "
                               "'utter_warning_signs_all'")
    assert len(found) == 2


# Rasa's messages, read without running Rasa: a small project to point into.
SMALL = {
    "domain.yml": """\
        version: "3.1"

        intents:
          - greet
          - ask_sit
        responses:
          utter_greet:
            - text: "Hi!"
        """,
    "data/nlu/basic.yml": """\
        version: "3.1"

        nlu:
          - intent: greet
            examples: |
              - hello
              - can i sit
          - intent: ask_sit
            examples: |
              - can i sit
        """,
    "data/stories/rules/basic.yml": """\
        version: "3.1"

        rules:
          - rule: answer greet
            steps:
              - intent: greet
              - action: utter_grete
        """,
    "data/stories/flows.yml": """\
        version: "3.1"

        stories:
          - story: greet twice
            steps:
              - intent: greet
              - action: utter_greet
              - intent: greet
              - action: action_listen
        """,
}


@pytest.fixture
def locate(tmp_path):
    for name, text in SMALL.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    return Locator(tmp_path)


@pytest.mark.parametrize("message, expected", [
    ("The action 'utter_grete' is used in the stories, but is not a valid utterance action. Please make sure "
     "the action is listed in your domain and there is a template defined with its name.",
     "data/stories/rules/basic.yml:7: error: rule 'answer greet' uses the response 'utter_grete', which domain.yml "
     "does not define"),
    ("The intent 'ask_sit' is not used in any story or rule.",
     "domain.yml:5: error: intent 'ask_sit' is used in no rule or story, so nothing answers it"),
    ("The utterance 'utter_greet' is not used in any story or rule.",
     "domain.yml:7: error: response 'utter_greet' is used in no rule or story"),
    ("The example 'can i sit' was found labeled with multiple different intents in the training data. Each "
     "annotated message should only appear with one intent. You should fix that conflict The example is labeled "
     "with: ask_sit, greet.",
     "data/nlu/basic.yml:10: error: the example 'can i sit' is labelled with several intents: ask_sit, greet"),
    ("There is a message in the training data labeled with intent 'ask_sit'. This intent is not listed in your "
     "domain. You should need to add that intent to your domain file!",
     "data/nlu/basic.yml:10: error: intent 'ask_sit' has training examples but is not in domain.yml"),
    ("The action 'action_check' is used in the 'answer greet' block, but it is not listed in the domain file.",
     "data/stories/rules/basic.yml:4: error: rule 'answer greet' uses the action 'action_check'"),
    ("- the prediction of the action 'action_listen' in story 'greet twice' is contradicting with rule(s) "
     "'answer greet' which predicted action 'utter_grete'.",
     "data/stories/flows.yml:4: error: story 'greet twice' waits for the patient where rule 'answer greet' "
     "(data/stories/rules/basic.yml:4) says otherwise, which does 'utter_grete'"),
    ("Story structure conflict after intent 'greet':\n  utter_greet predicted in 'greet twice'\n"
     "  action_listen predicted in 'answer greet'\n",
     "data/stories/flows.yml:4: error: stories and rules disagree on what the bot does after intent 'greet': "
     "utter_greet in story 'greet twice' (data/stories/flows.yml:4); action_listen in rule 'answer greet' "
     "(data/stories/rules/basic.yml:4)"),
    ("Something new from Rasa about 'utter_greet'.",
     "domain.yml:7: error: rasa data validate: Something new from Rasa about 'utter_greet'."),
])
def test_rasa_messages_are_placed_where_the_name_is_used(locate, message, expected):
    problems = read_message(message, locate)
    assert problems and str(problems[0]).startswith(expected), [str(p) for p in problems]
    assert all(p.hint and p.path != "data" and p.line > 0 for p in problems)


def test_a_mistake_in_a_rule_is_never_called_a_story(locate):
    [problem] = read_message("The action 'utter_grete' is used in the stories, but is not a valid utterance "
                             "action.", locate)
    assert "rule 'answer greet'" in problem.message and "stories" not in problem.message
    assert "add utter_grete under responses: in domain.yml" in problem.hint
