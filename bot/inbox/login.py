"""The staff login of the inbox page: a password checked against a scrypt hash from the
environment, server-side sessions behind a random cookie, a CSRF token per session, and a
lockout after repeated failures.

Why by hand: Sanic 21.12 (Rasa's) has no sessions or CSRF of its own, and the extensions that
add them (sanic-session, sanic-wtf) are unmaintained for this Sanic; the pieces here are the
standard library's (hashlib.scrypt, secrets, hmac.compare_digest), each refusal tested in
tests/unit/test_inbox_web.py. Sessions live in the page's one process: a restart logs staff out.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

MIN_PASSWORD = 12
_N, _R, _P = 2 ** 14, 8, 1
MAX_FAILURES = 5  # failed logins within WINDOW lock the login for LOCKOUT
WINDOW = 15 * 60
LOCKOUT = 15 * 60


def hash_password(password: str, salt: Optional[bytes] = None) -> str:
    """"scrypt$N$r$p$salt$hash" (base64), for INBOX_PASSWORD_HASH."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must be at least {MIN_PASSWORD} characters")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()])


def check_hash(stored: str) -> None:
    """ValueError unless `stored` is a hash made by hash_password (checked when the page starts)."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(p.isdigit() for p in parts[1:4]):
        raise ValueError("INBOX_PASSWORD_HASH must come from `python -m bot inbox hash-password`")


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, expected = stored.split("$")
        digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


@dataclass
class Session:
    csrf: str
    last_seen: float


@dataclass
class Gate:
    """The login's state: the password hash, the live sessions and the recent failures."""

    password_hash: str
    idle_seconds: int
    clock: Callable[[], float] = time.monotonic
    sessions: Dict[str, Session] = field(default_factory=dict)
    failures: List[float] = field(default_factory=list)
    locked_until: float = 0.0

    def locked(self) -> bool:
        return self.clock() < self.locked_until

    def login(self, password: str) -> Optional[str]:
        """A new session token, or None (wrong password, or locked: the caller says which)."""
        now = self.clock()
        if self.locked():
            return None
        if not verify_password(password, self.password_hash):
            self.failures = [t for t in self.failures if now - t < WINDOW] + [now]
            if len(self.failures) >= MAX_FAILURES:
                self.locked_until, self.failures = now + LOCKOUT, []
            return None
        self.failures = []
        token = secrets.token_urlsafe(32)
        self.sessions[token] = Session(csrf=secrets.token_urlsafe(32), last_seen=now)
        return token

    def session(self, token: Optional[str]) -> Optional[Session]:
        """The live session of `token` (its idle time restarts), None when unknown or expired."""
        found = self.sessions.get(token or "")
        if found is None:
            return None
        now = self.clock()
        if now - found.last_seen > self.idle_seconds:
            del self.sessions[token or ""]
            return None
        found.last_seen = now
        return found

    def logout(self, token: Optional[str]) -> None:
        self.sessions.pop(token or "", None)


def csrf_ok(session: Session, sent: Optional[str]) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf, str(sent))
