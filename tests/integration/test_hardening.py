"""Hardening, against the real servers as `make run` starts them: the REST channel's JSON errors
and rate limit, typed commands as text, the HTTP API's token, CORS, the action server's secret
and quiet errors, loopback-only listening, and no message text in the logs."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.message import Message
from typing import Dict, Optional, Tuple

import psutil
import pytest

from bot.machine_secrets import action_token, api_token
from bot.storage.models import conversation_id

pytestmark = [pytest.mark.servers, pytest.mark.model]
ORIGIN = "https://clinic.example.org"
PER_MINUTE = 8
MARKER = "zebra-quokka-7731"  # a word no log line has any reason to contain


@pytest.fixture(scope="module")
def servers(start_servers):
    return start_servers(cors_origins=ORIGIN, messages_per_minute=PER_MINUTE)


def call(url: str, body: Optional[bytes] = None, method: str = "POST",
         headers: Optional[Dict[str, str]] = None) -> Tuple[int, Message, bytes]:
    """(status, headers (case-insensitive), body) of one request, whatever the status."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def webhook(servers, body: bytes, **headers: str):
    return call(f"{servers.rasa_url}/webhooks/rest/webhook", body,
                headers={"Content-Type": "application/json", **headers})


def say(servers, sender: str, message: str):
    return webhook(servers, json.dumps({"sender": sender, "message": message}).encode())


@pytest.mark.parametrize("body, status, says", [
    (b"sender=a&message=hello", 400, "must be JSON"),
    (json.dumps({"sender": "a", "message": 42}).encode(), 400, "message must be a string"),
    (json.dumps({"message": "hello"}).encode(), 400, "sender must be"),
    (json.dumps({"sender": "a", "message": "x" * 2_000_000}).encode(), 413, "larger than"),
], ids=["not-json", "numeric-message", "no-sender", "2MB-message"])
def test_bad_input_gets_a_json_error_not_an_empty_reply(servers, body, status, says):
    got, headers, content = webhook(servers, body)
    assert got == status
    assert headers.get("Content-Type", "").startswith("application/json")
    assert says in json.loads(content)["error"]


def test_a_sender_who_floods_gets_a_polite_429_and_others_are_served(servers):
    replies = [say(servers, "flood", f"hello {n}") for n in range(PER_MINUTE + 1)]
    assert [status for status, _, _ in replies[:PER_MINUTE]] == [200] * PER_MINUTE
    status, headers, content = replies[-1]
    assert status == 429 and int(headers.get("Retry-After", 0)) >= 1
    [message] = json.loads(content)
    assert "faster than I can read" in message["text"] and "call 911" in message["text"]
    assert say(servers, "someone-else", "hello")[0] == 200


def rasa_id(servers, sender: str) -> str:
    return conversation_id("rest", sender, servers.settings.sender_hash_key)


def tracker(servers, sender: str) -> dict:
    """The conversation of the REST sender `sender` (Rasa knows it by its hash)."""
    token, conversation = api_token(servers.settings), rasa_id(servers, sender)
    status, _, content = call(f"{servers.rasa_url}/conversations/{conversation}/tracker?token={token}", method="GET")
    assert status == 200
    return json.loads(content)


def test_a_typed_command_is_answered_as_text(servers):
    status, _, content = say(servers, "typist-1", "/session_start")
    assert status == 200 and any(reply.get("text") for reply in json.loads(content))


def test_a_typed_command_sets_no_intent_and_no_slot(servers):
    say(servers, "typist-2", "hello")
    say(servers, "typist-2", "/red_flag_emergency")
    state = tracker(servers, "typist-2")
    assert state["slots"]["emergency_advised"] is None
    assert state["latest_message"]["intent"]["name"] != "red_flag_emergency"


def test_a_button_the_assistant_offered_still_works(servers):
    status, _, content = say(servers, "button-1", "can someone call me back")
    assert "Is that OK?" in " ".join(r.get("text", "") for r in json.loads(content))
    status, _, content = say(servers, "button-1", "/affirm")  # the Yes button's payload
    assert "What name" in " ".join(r.get("text", "") for r in json.loads(content))
    assert tracker(servers, "button-1")["slots"]["callback_consent"] is True


def test_the_http_api_needs_the_token(servers):
    assert call(f"{servers.rasa_url}/conversations/button-1/tracker", method="GET")[0] == 401
    assert call(f"{servers.rasa_url}/conversations/button-1/tracker?token=wrong", method="GET")[0] == 401
    assert tracker(servers, "button-1")["sender_id"] == rasa_id(servers, "button-1")


def test_cors_only_for_the_configured_origin(servers):
    body = json.dumps({"sender": "cors", "message": "hello"}).encode()
    _, allowed, _ = webhook(servers, body, Origin=ORIGIN)
    _, refused, _ = webhook(servers, body, Origin="https://evil.example.com")
    assert allowed.get("Access-Control-Allow-Origin") == ORIGIN
    assert refused.get("Access-Control-Allow-Origin") is None


def action_call(servers, token: Optional[str], tracker_text: str = "hello") -> Tuple[int, bytes]:
    body = json.dumps({"next_action": "action_record_escalation", "sender_id": "a", "version": "3.6.21",
                       "tracker": {"sender_id": "a", "events": "not a list",
                                   "latest_message": {"text": tracker_text}},
                       "domain": {}}).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    status, _, content = call(f"{servers.action_url}/webhook", body, headers=headers)
    return status, content


def test_the_action_server_refuses_calls_without_the_secret(servers):
    assert action_call(servers, None)[0] == 401
    assert action_call(servers, "wrong")[0] == 401
    assert call(f"{servers.action_url}/health", method="GET")[0] == 200


def test_the_action_server_never_returns_the_request_in_an_error(servers):
    status, content = action_call(servers, action_token(servers.settings), tracker_text=f"my {MARKER} hurts")
    assert status == 500
    assert MARKER not in content.decode() and "request_body" not in content.decode()
    assert json.loads(content) == {"error": "the action server could not handle this request"}


def test_both_servers_listen_on_loopback_only(servers):
    listening = {}
    for name, process in servers.processes.items():
        for connection in psutil.Process(process.pid).net_connections(kind="inet"):
            if connection.status == psutil.CONN_LISTEN:
                listening.setdefault(name, set()).add(connection.laddr.ip)
    assert listening == {"rasa": {"127.0.0.1"}, "action-server": {"127.0.0.1"}}


def test_no_message_text_and_no_secret_in_the_logs(servers):
    """Last in the module: every turn and API call above is in the logs by now, with these."""
    assert say(servers, "logged", f"my {MARKER} leg hurts")[0] == 200
    webhook(servers, json.dumps({"sender": "logged", "message": 7}).encode())
    action_call(servers, action_token(servers.settings), tracker_text=MARKER)
    for log in (servers.log_dir / "rasa.log", servers.log_dir / "action-server.log"):
        text = log.read_text(errors="replace")
        assert text, f"{log} is empty: nothing was checked"
        assert MARKER not in text, f"message text in {log.name}"
        for secret in (api_token(servers.settings), action_token(servers.settings)):
            assert secret not in text, f"a secret in {log.name}"
