"""The review loop on the real servers: a patient's message the assistant misses reaches the
inbox, a reviewer assigns an intent on the staff page, the YAML file changes by exactly that
example, and `make validate` passes on it. Also: the feedback payload the widget will send."""
from __future__ import annotations

import re
import shutil
from dataclasses import replace

import pytest
import requests
import yaml

from bot.inbox.login import hash_password
from bot.settings import PROJECT_ROOT
from bot.storage import Stores
from inbox_server import serve

pytestmark = [pytest.mark.servers, pytest.mark.model]
PASSWORD = "a staff password for the loop"
TOPIC = "data/nlu/management.yml"  # where lifestyle_habits is trained
CONTENT = ["config.yml", "domain.yml", "data", "tests/conversations", "tests/nlu", "tests/red_flags", "actions", "bot"]


@pytest.fixture
def project(tmp_path):
    """A copy of what `make validate` reads, for the reviewer's change."""
    for name in CONTENT:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    return tmp_path


def test_a_missed_message_becomes_a_validated_training_example(servers, project):
    missed = "can i eat hot peppers post op"
    assert "didn't understand" in servers.ask("loop-patient-1", missed)
    doubted = "my shin feels all sparkly like soda pop"  # the classifier hears a red flag, the detector none
    servers.ask("loop-patient-1b", doubted)
    settings = replace(servers.settings, inbox_password_hash=hash_password(PASSWORD))
    with Stores(settings) as stores, serve(settings, stores, project) as (url, _):
        login = requests.post(f"{url}/login", data={"password": PASSWORD}, allow_redirects=False, timeout=10)
        token = re.search(r"inbox_session=([^;]+)", login.headers["Set-Cookie"]).group(1)
        headers = {"Cookie": f"inbox_session={token}"}
        page = requests.get(f"{url}/", headers=headers, timeout=60)
        assert missed in page.text, "the missed message is not in the inbox"
        item = next(i for i in stores.inbox.items() if i.text == missed)
        assert "fallback" in item.reasons and item.suggested == "lifestyle_habits"
        assert "Red flags to review first: 1" in page.text
        assert page.text.index(doubted) < page.text.index(missed)  # safety first
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        before = (project / TOPIC).read_text()
        done = requests.post(f"{url}/act", data={"csrf": csrf, "action": "assign", "ids": str(item.id),
                                                 "intent": "lifestyle_habits"}, headers=headers, timeout=600)
        assert done.status_code == 200, done.text
        assert "make validate passed" in done.text
        after = (project / TOPIC).read_text()
        assert [line for line in after.splitlines() if line not in before.splitlines()] == [f"      - {missed}"]
        block = next(i for i in yaml.safe_load(after)["nlu"] if i["intent"] == "lifestyle_habits")
        assert f"- {missed}" in block["examples"]
        assert stores.inbox.get(item.id).status == "assigned"
    assert missed not in (PROJECT_ROOT / TOPIC).read_text()  # the real project untouched


def test_the_thumbs_down_payload_sends_the_previous_message_to_the_inbox(servers):
    servers.ask("loop-patient-2", "what helps with the burning in my foot")
    answer = servers.ask("loop-patient-2", "/feedback_unhelpful")
    assert "Sorry that did not help" in answer
    typed = servers.ask("loop-patient-3", "that didnt help at all")
    assert "Sorry that did not help" in typed
    with Stores(servers.settings) as stores:
        from bot.inbox.service import refresh

        refresh(stores)
        feedback = [i.text for i in stores.inbox.items(reason="feedback")]
    assert feedback == ["what helps with the burning in my foot"]
