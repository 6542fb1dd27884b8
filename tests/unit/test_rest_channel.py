"""The REST channel's checks on what a client sends (the real server: tests/integration/test_hardening.py)."""
import json

import pytest

from bot.channels.rate_limit import RateLimiter
from bot.channels.rest import BadRequest, read_body


class FakeRequest:
    """Only what read_body reads: the raw body."""

    def __init__(self, body: bytes) -> None:
        self.body = body


def read(body, max_bytes=1000):
    return read_body(FakeRequest(body if isinstance(body, bytes) else json.dumps(body).encode()), max_bytes)


def status_of(body, max_bytes=1000):
    with pytest.raises(BadRequest) as bad:
        read(body, max_bytes)
    return bad.value.status, bad.value.message


def test_a_good_body():
    assert read({"sender": "a", "message": "how long will my leg hurt?"}) == ("a", "how long will my leg hurt?")
    assert read({"sender": "a", "message": ""}) == ("a", "")  # a polite answer, not an error


@pytest.mark.parametrize("body, status, says", [
    (b"sender=a&message=hi", 400, "must be JSON"),
    (b"", 400, "must be JSON"),
    (b"\xff\xfe", 400, "must be JSON"),
    (["a", "hi"], 400, "JSON object"),
    ({"sender": "a", "message": 42}, 400, "message must be a string"),
    ({"sender": "a", "message": None}, 400, "message must be a string"),
    ({"sender": "a", "message": {"text": "hi"}}, 400, "message must be a string"),
    ({"message": "hi"}, 400, "sender must be"),
    ({"sender": 7, "message": "hi"}, 400, "sender must be"),
    ({"sender": " ", "message": "hi"}, 400, "sender must be"),
    ({"sender": "x" * 129, "message": "hi"}, 400, "sender must be"),
    ({"sender": "a", "message": "x" * 2000}, 413, "larger than 1000 bytes"),
])
def test_bad_input_is_a_clear_error(body, status, says):
    got_status, message = status_of(body)
    assert got_status == status and says in message


def test_the_rate_limit_is_per_sender_and_frees_up_after_a_minute():
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.allow("a")[0] for _ in range(3)] == [True, True, True]
    allowed, wait = limiter.allow("a")
    assert not allowed and 1 <= wait <= 61
    assert limiter.allow("b") == (True, 0)
    now[0] = 60.5
    assert limiter.allow("a") == (True, 0)
