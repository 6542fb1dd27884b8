"""Nothing lost: on real PostgreSQL, switched off and on (tests/integration/switch.py), every
escalation and callback request reaches its table once the database is back, exactly once,
also after the action server's process restarted, and with two processes draining at once."""
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from bot.settings import PROJECT_ROOT, Settings
from bot.storage import Stores, create_engine, migrate
from bot.tooling.faults import Outage

pytestmark = pytest.mark.postgres
KEY = "outbox-pg-test-key"


@pytest.fixture
def switch(postgres_url):
    switch = Outage((postgres_url.host or "127.0.0.1", postgres_url.port or 5432))
    yield switch
    switch.cut()


def settings_via(switch, postgres_url, var_dir):
    url = postgres_url.set(host="127.0.0.1", port=switch.port).render_as_string(hide_password=False)
    return Settings(var_dir=var_dir, database_url=url, sender_hash_key=KEY)


def counts(postgres_url):
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            return tuple(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
                         for table in ("escalations", "callback_requests"))
    finally:
        engine.dispose()


def test_an_outage_loses_nothing_and_doubles_nothing(switch, postgres_url, tmp_path):
    migrate_engine = create_engine(postgres_url)
    migrate(migrate_engine)
    migrate_engine.dispose()
    settings = settings_via(switch, postgres_url, tmp_path)
    with Stores(settings) as stores:
        assert stores.record_escalation("patient-0", "rest", "urgent", ["fever"], turn="before")
        switch.cut()  # the database goes away mid-conversation
        assert not stores.record_escalation("patient-1", "rest", "emergency", ["cauda_equina"], turn="m1")
        assert not stores.request_callback("patient-1", "rest", "Ann", "555-123-4567", "noon", True, turn="m2")
        assert not stores.record_escalation("patient-1", "rest", "emergency", ["cauda_equina"], turn="m1")
        assert stores.deliver_pending() == (0, 2)
    # The action server restarts while the database is still down; then the database is back.
    switch.restore()
    with Stores(settings) as restarted:
        assert restarted.deliver_pending() == (2, 0)
        assert restarted.deliver_pending() == (0, 0)
    assert counts(postgres_url) == (2, 1)


def test_connections_killed_by_the_server_cost_nothing(switch, postgres_url, tmp_path):
    """A PostgreSQL restart ends every pooled connection; the next escalation still lands."""
    settings = settings_via(switch, postgres_url, tmp_path)
    with Stores(settings) as stores:
        assert stores.record_escalation("patient-1", "rest", "urgent", ["fever"], turn="m1")
        admin = create_engine(postgres_url)
        with admin.begin() as connection:
            ended = connection.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": postgres_url.database}).scalar()
        admin.dispose()
        assert ended >= 1
        assert stores.record_escalation("patient-1", "rest", "urgent", ["fever"], turn="m2")
    assert counts(postgres_url) == (2, 0)


def test_two_processes_draining_one_outbox_write_each_row_once(switch, postgres_url, tmp_path):
    settings = settings_via(switch, postgres_url, tmp_path)
    switch.cut()
    with Stores(settings) as stores:
        for turn in range(20):
            stores.record_escalation(f"patient-{turn}", "rest", "urgent", ["fever"], turn="m")
    switch.restore()
    code = ("import sys; from bot.settings import load; from bot.storage import Stores; "
            "s = Stores(load()); sys.stdout.write(str(s.deliver_pending()))")
    env = {**os.environ, **{k: v for k, v in settings.as_env().items() if v}}
    drainers = [subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [drainer.communicate(timeout=120) for drainer in drainers]
    assert all(d.returncode == 0 for d in drainers), [err[-800:] for _, err in outputs]
    assert counts(postgres_url) == (20, 0)
    with Stores(settings) as stores:
        assert stores.outbox.pending() == []
