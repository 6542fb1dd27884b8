"""`make validate` runs Rasa's validator with warnings as errors, minus Rasa's false alarms."""
import shutil

import pytest

from bot.tooling.content_checks.rasa_validation import check
from bot.settings import PROJECT_ROOT


@pytest.fixture
def project(tmp_path):
    for name in ("config.yml", "domain.yml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    shutil.copytree(PROJECT_ROOT / "actions", tmp_path / "actions")
    shutil.copytree(PROJECT_ROOT / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_project_passes_with_form_and_action_responses_accepted(project):
    assert check(project) == []


def test_a_response_nothing_uses_is_an_error(project):
    domain = project / "domain.yml"
    domain.write_text(domain.read_text().replace(
        "responses:\n", "responses:\n  utter_forgotten:\n    - text: \"Nobody says this.\"\n", 1))
    problems = check(project)
    assert [p.message for p in problems] == [
        "rasa data validate: The utterance 'utter_forgotten' is not used in any story or rule."]
