"""Starts the real action server and Rasa server the way `make run` does and chats over HTTP."""
from __future__ import annotations

import json
import socket
import urllib.request
from dataclasses import replace

import pytest

from bot.servers import MODELS_DIR, Servers
from bot.settings import load

pytestmark = [pytest.mark.servers, pytest.mark.model]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def say(base_url: str, sender: str, message: str) -> list:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(f"{base_url}/webhooks/rest/webhook", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def texts(replies: list) -> str:
    return "\n".join(r.get("text", "") for r in replies)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not any(MODELS_DIR.glob("*.tar.gz")):
        pytest.fail("no trained model: run `make train` first")
    var_dir = tmp_path_factory.mktemp("var")
    settings = replace(
        load(),
        var_dir=var_dir,
        database_url=f"sqlite:///{var_dir / 'assistant.db'}",
        rasa_port=free_port(),
        action_server_url=f"http://localhost:{free_port()}/webhook",
    )
    with Servers(settings, log_dir=var_dir / "logs") as running:
        yield running


def test_timeline_question_gets_the_weeks_long_answer(servers):
    replies = say(servers.rasa_url, "patient-1", "how long will my leg hurt?")
    answer = texts(replies)
    assert "not medical advice" in answer  # first reply of the conversation
    assert "4 to 6 weeks" in answer
    assert "844-288-7474" in answer or "longer than 6 weeks" in answer


def test_answer_from_a_custom_action(servers):
    replies = say(servers.rasa_url, "patient-2", "im 3 weeks out from my microdiscectomy and my leg still hurts, is that normal?")
    answer = texts(replies)
    assert "You are 3 weeks after surgery" in answer


def test_conversation_continues_without_repeating_the_disclaimer(servers):
    say(servers.rasa_url, "patient-3", "hello")
    answer = texts(say(servers.rasa_url, "patient-3", "can i drive?"))
    assert "Don't drive until your doctor says it is OK" in answer
    assert "not medical advice" not in answer


@pytest.mark.parametrize(
    "message",
    ["", " ", "x" * 10_000, "<script>alert(1)</script>", "🦵😣🤕", "¿Es normal el dolor de pierna?", "/unknown_button"],
)
def test_bad_input_gets_a_polite_answer(servers, message):
    replies = say(servers.rasa_url, "patient-odd", message)
    assert replies, "the patient must always get an answer"
    assert all(r.get("text") for r in replies)
