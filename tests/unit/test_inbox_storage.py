"""The inbox's table: idempotent collection, filters, safety first, decisions, retention, and the
count `python -m bot escalations` shows."""
import argparse
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot import staff
from bot.settings import Settings
from bot.storage import Stores, create_engine
from bot.storage.inbox import InboxRepository, Sighting

KEY = "inbox-test-key"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def seen(text, *reasons, minutes=0, sender="patient-1", suggested="duration_overview"):
    return Sighting(sender, NOW - timedelta(minutes=minutes), tuple(reasons), text, "nlu_fallback", 0.7, "none",
                    suggested)


@pytest.fixture
def engine(migrated_db):
    engine = create_engine(f"sqlite:///{migrated_db}")
    yield engine
    engine.dispose()


@pytest.fixture
def repo(engine):
    return InboxRepository(engine, KEY, clock=lambda: NOW)


def test_the_same_message_is_stored_once_however_often_it_is_collected(repo):
    assert repo.add([seen("leg fizzing", "fallback")]) == 1
    assert repo.add([seen("leg fizzing", "fallback"), seen("calf weird", "low_confidence", minutes=1)]) == 1
    assert sorted(i.text for i in repo.items()) == ["calf weird", "leg fizzing"]


def test_the_sender_is_stored_only_as_the_keyed_hash(repo, engine):
    repo.add([seen("leg fizzing", "fallback", sender="patient-secret-id")])
    with engine.connect() as connection:
        rows = [tuple(map(str, row)) for row in connection.execute(sa.text("SELECT * FROM inbox_items"))]
    assert rows and not any("patient-secret-id" in cell for row in rows for cell in row)


def test_safety_items_come_first_and_filters_by_reason_and_date_work(repo):
    repo.add([seen("old fallback", "fallback", minutes=60 * 24 * 3), seen("new fallback", "fallback"),
              seen("bum odd", "red_flag_disagreement", "low_confidence", minutes=30)])
    assert [i.text for i in repo.items()] == ["bum odd", "new fallback", "old fallback"]
    assert [i.text for i in repo.items(reason="low_confidence")] == ["bum odd"]
    assert [i.text for i in repo.items(since=NOW - timedelta(days=1))] == ["bum odd", "new fallback"]
    assert [i.text for i in repo.items(until=NOW - timedelta(days=1))] == ["old fallback"]
    with pytest.raises(ValueError, match="reason must be one of"):
        repo.items(reason="everything")


def test_decisions_close_items_and_the_safety_count_follows_them(repo):
    repo.add([seen("bum odd", "red_flag_disagreement"), seen("leg fizzing", "fallback", minutes=1)])
    ids = {i.text: i.id for i in repo.items()}
    assert repo.safety_count() == 1
    assert repo.resolve([ids["bum odd"]], "dismissed") == 1
    assert repo.safety_count() == 0
    assert repo.resolve([ids["leg fizzing"]], "missed_red_flag", "saddle_numbness") == 1
    assert repo.safety_count() == 1  # a reviewer's miss stays counted until retention removes it
    assert repo.resolve([ids["leg fizzing"]], "dismissed") == 0  # no longer open
    with pytest.raises(ValueError):
        repo.resolve([ids["bum odd"]], "open")


def test_retention_deletes_old_items(repo):
    repo.add([seen("old", "fallback", minutes=60 * 24 * 100), seen("new", "fallback")])
    assert repo.purge(NOW - timedelta(days=90)) == 1
    assert [i.text for i in repo.items()] == ["new"]


def test_bad_sightings_are_refused(repo):
    with pytest.raises(ValueError, match="reasons"):
        repo.add([seen("x", "because")])
    with pytest.raises(ValueError, match="longer than"):
        repo.add([seen("x" * 1001, "fallback")])


def test_escalations_command_shows_the_pages_safety_count(tmp_path, capsys):
    settings = Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/assistant.db", sender_hash_key=KEY)
    with Stores(settings) as stores:
        stores.inbox.add([seen("bum odd", "red_flag_disagreement", minutes=5),
                          seen("groin odd", "red_flag_disagreement", minutes=6), seen("x", "fallback")])
    parser = argparse.ArgumentParser()
    staff.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["escalations"])
    assert args.handler(args, settings) == 0
    out = capsys.readouterr().out
    assert "Red flags to review (the two readers disagreed, or a reviewer found a miss): 2" in out
    assert "bum odd" not in out
