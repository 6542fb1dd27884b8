"""The outbox: escalations and callback requests made while the database is unreachable reach
their tables once it is back, exactly once, also after a restart (here: SQLite; the same on
real PostgreSQL, switched off and on, in tests/integration/test_outbox_postgres.py)."""
import argparse
import os
import socket
import stat
from datetime import timedelta

import pytest

from bot import staff
from bot.settings import Settings
from bot.storage import Stores, create_engine
from bot.storage.models import utcnow
from bot.storage.outbox import Outbox

KEY = "outbox-test-key"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


@pytest.fixture
def up(tmp_path, migrated_db):
    """Settings whose database answers."""
    return Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/assistant.db", sender_hash_key=KEY)


@pytest.fixture
def down(tmp_path):
    """The same var/ (so the same outbox), with a database that refuses connections."""
    return Settings(var_dir=tmp_path, sender_hash_key=KEY,
                    database_url=f"postgresql://bot@127.0.0.1:{closed_port()}/assistant")


def count(settings, table):
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
    finally:
        engine.dispose()


def test_a_reachable_database_gets_the_rows_at_once(up):
    with Stores(up) as stores:
        assert stores.record_escalation("patient-1", "rest", "emergency", ["cauda_equina"], turn="m1")
        assert stores.request_callback("patient-1", "rest", "Ann", "555-123-4567", "noon", True, turn="m2")
        assert stores.outbox.pending() == []
    assert count(up, "escalations") == 1 and count(up, "callback_requests") == 1


def test_made_during_an_outage_delivered_after_a_restart_exactly_once(up, down):
    with Stores(down) as stores:  # the action server while the database is down
        assert not stores.record_escalation("patient-1", "rest", "emergency", ["cauda_equina"], turn="m1")
        assert not stores.request_callback("patient-2", "rest", "Bo", "555-000-1111", "am", True, turn="m7")
        # Rasa calls the action again for the same message:
        assert not stores.record_escalation("patient-1", "rest", "emergency", ["cauda_equina"], turn="m1")
        assert [e.kind for e in stores.outbox.pending()] == ["escalation", "callback"]
    with Stores(up) as stores:  # a new process, the database back
        assert stores.deliver_pending() == (2, 0)
        assert stores.deliver_pending() == (0, 0)
        [escalation] = stores.escalations.since(utcnow() - timedelta(minutes=5))
        [callback] = stores.callbacks.open()
    assert escalation.tier == "emergency" and escalation.flags == ("cauda_equina",)
    assert (callback.name, callback.phone) == ("Bo", "+15550001111")


def test_a_delivery_whose_acknowledgement_was_lost_is_not_doubled(up):
    """The process died after the database's commit and before the outbox forgot the entry."""
    with Stores(up) as stores:
        values = stores.escalations.prepare("patient-1", "rest", "urgent", ["fever"])
        stores.outbox.put("escalation", "the-key", values)
        [entry] = stores.outbox.pending()
        first = stores.deliver(entry)  # committed; the entry is still there
        assert stores.deliver_pending() == (1, 0)
        assert stores.escalations.id_for("the-key") == first
    assert count(up, "escalations") == 1


def test_each_turn_is_its_own_row(up):
    with Stores(up) as stores:
        for turn in ("m1", "m2"):
            stores.record_escalation("patient-1", "rest", "urgent", ["fever"], turn=turn)
        stores.record_escalation("patient-2", "rest", "urgent", ["fever"], turn="m1")
    assert count(up, "escalations") == 3


def test_what_the_database_would_refuse_is_refused_before_the_outbox(down):
    with Stores(down) as stores:
        with pytest.raises(ValueError):
            stores.request_callback("patient-1", "rest", "Ann", "not a number", "noon", True, turn="m1")
        with pytest.raises(ValueError):
            stores.request_callback("patient-1", "rest", "Ann", "555-123-4567", "noon", "yes", turn="m1")
        assert stores.outbox.pending() == []


def test_the_outbox_file_is_the_owners_only_and_holds_no_sender_id(down):
    with Stores(down) as stores:
        stores.request_callback("patient-secret-id", "rest", "Ann", "555-123-4567", "noon", True, turn="m1")
        path = stores.outbox.path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert b"patient-secret-id" not in b"".join(p.read_bytes() for p in path.parent.glob("outbox.db*"))


def test_retention_purges_the_outbox_too(up, capsys):
    outbox = Outbox(up.var_dir / "outbox.db")
    outbox.put("escalation", "kept", {"tier": "urgent"})
    assert outbox.purge(utcnow() - timedelta(days=1)) == 0
    assert outbox.purge(utcnow() + timedelta(seconds=1)) == 1
    assert outbox.pending() == []
    parser = argparse.ArgumentParser()
    staff.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["purge"])
    assert args.handler(args, up) == 0
    assert "outbox entries" in capsys.readouterr().out


def test_the_staff_command_delivers_and_says_what_waits(up, down, capsys):
    with Stores(down) as stores:
        stores.record_escalation("patient-1", "rest", "urgent", ["fever"], turn="m1")
    parser = argparse.ArgumentParser()
    staff.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["outbox"])
    assert args.handler(args, down) == 1
    assert "0 delivered, 1 waiting" in capsys.readouterr().out
    assert args.handler(args, up) == 0
    assert "1 delivered, 0 waiting" in capsys.readouterr().out
    assert count(up, "escalations") == 1
