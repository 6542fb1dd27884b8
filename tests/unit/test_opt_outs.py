"""SMS STOP is stored under a keyed hash only, START forgets it, and the retention purge
forgets numbers that stayed silent, never one still writing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bot.settings import Settings
from bot.storage import Stores


def test_stop_and_start_by_number_stored_hashed_only(tmp_path):
    with Stores(Settings(var_dir=tmp_path, sender_hash_key="k")) as stores:
        opt_outs = stores.opt_outs
        assert not opt_outs.is_stopped("twilio", "+15555550100")
        opt_outs.stop("twilio", "+15555550100")
        opt_outs.stop("twilio", "+15555550100")  # twice: still one row
        assert opt_outs.is_stopped("twilio", "+15555550100")
        assert not opt_outs.is_stopped("whatsapp", "+15555550100")
        assert not opt_outs.is_stopped("twilio", "+15555550101")
        with stores.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT * FROM sms_opt_outs")).fetchall()
        assert len(rows) == 1 and "5555550100" not in str(rows)
        assert opt_outs.start("twilio", "+15555550100")
        assert not opt_outs.is_stopped("twilio", "+15555550100")
        assert not opt_outs.start("twilio", "+15555550100")


def test_purge_forgets_silent_numbers_only(tmp_path):
    now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    with Stores(Settings(var_dir=tmp_path, sender_hash_key="k")) as stores:
        opt_outs = type(stores.opt_outs)(stores.engine, "k", clock=lambda: now[0])
        opt_outs.stop("twilio", "+15555550100")
        opt_outs.stop("twilio", "+15555550101")
        now[0] += timedelta(days=100)
        assert opt_outs.is_stopped("twilio", "+15555550101")  # wrote again: kept
        assert opt_outs.purge(now[0] - timedelta(days=90)) == 1
        assert opt_outs.is_stopped("twilio", "+15555550101")
        assert not opt_outs.is_stopped("twilio", "+15555550100")
