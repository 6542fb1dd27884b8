"""`python -m bot inbox ...` as staff run it: the list (safety first, grouped, redacted only), the
content team's list with counts, dismissing, and the password hash for the page."""
import io
from datetime import datetime, timedelta, timezone

import pytest

from bot.cli import build_parser
from bot.inbox.login import verify_password
from bot.settings import Settings
from bot.storage import Stores
from bot.storage.inbox import Sighting

NOW = datetime.now(timezone.utc)


@pytest.fixture
def settings(tmp_path, migrated_db):
    settings = Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/assistant.db", sender_hash_key="cli")
    with Stores(settings) as stores:
        stores.inbox.add([
            Sighting("secret-sender", NOW - timedelta(minutes=3), ("fallback",), "can i eat spicy food", "nlu_fallback",
                     0.8, "none", "lifestyle_habits"),
            Sighting("p2", NOW - timedelta(minutes=2), ("low_confidence",), "can i eat spicy foods", "lifestyle_habits",
                     0.4, "none", "lifestyle_habits"),
            Sighting("p3", NOW - timedelta(minutes=1), ("red_flag_disagreement",), "bum feels odd", "red_flag_urgent",
                     1.0, "none", "red_flag_urgent")])
    return settings


def run(settings, *argv):
    args = build_parser().parse_args(["inbox", *argv])
    return args.handler(args, settings)


def test_list_shows_safety_first_then_groups_and_no_sender(settings, capsys):
    assert run(settings, "list") == 0
    out = capsys.readouterr().out
    assert "Safety first: 1 red-flag disagreement(s)" in out
    assert "Open: 3 message(s) in 2 group(s)" in out
    assert out.index("SAFETY group 1") < out.index("bum feels odd") < out.index("group 2: 2 message(s)")
    assert "secret-sender" not in out
    assert run(settings, "list", "--reason", "low_confidence", "--no-collect") == 0
    assert "Open: 1 message(s) in 1 group(s), reason low_confidence" in capsys.readouterr().out


def test_new_content_goes_to_the_content_teams_list_with_counts_and_dismiss_closes(settings, capsys):
    with Stores(settings) as stores:
        ids = {i.text: i.id for i in stores.inbox.items()}
    assert run(settings, "new-content", str(ids["can i eat spicy food"]), str(ids["can i eat spicy foods"])) == 0
    assert run(settings, "content") == 0
    out = capsys.readouterr().out
    assert "Needs new content: 2 message(s) in 1 topic(s)" in out and "2      can i eat spicy food" in out
    assert run(settings, "dismiss", str(ids["bum feels odd"])) == 0
    assert run(settings, "dismiss", str(ids["bum feels odd"])) == 1
    assert "no open inbox item" in capsys.readouterr().err


def test_hash_password_reads_stdin_and_refuses_a_short_one(settings, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert run(settings, "hash-password") == 0
    made = capsys.readouterr().out.strip()
    assert verify_password("a long enough password", made)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert run(settings, "hash-password") == 1
