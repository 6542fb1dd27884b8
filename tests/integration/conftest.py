"""Fixtures for tests against real servers (PostgreSQL, Redis).

Locally a missing server skips these tests with the reason; with CI=true it fails
them, so a broken CI service can never pass as "all green".
Override the servers with TEST_POSTGRES_URL (an existing database to connect to
for CREATE DATABASE) and TEST_REDIS_URL.
"""
import os
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import replace

import pytest
from needs import unavailable  # tests/, on the path

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs a PostgreSQL server (TEST_POSTGRES_URL)")
    config.addinivalue_line("markers", "redis: needs a Redis server (TEST_REDIS_URL)")


def _admin_connection():
    import psycopg2
    from sqlalchemy.engine import make_url

    from bot.storage import safe_url

    url = make_url(POSTGRES_URL)
    try:
        connection = psycopg2.connect(
            host=url.host, port=url.port or 5432, user=url.username, password=url.password,
            dbname=url.database, connect_timeout=3)
    except psycopg2.OperationalError as error:
        unavailable(f"PostgreSQL unreachable at {safe_url(url)}: {str(error).strip()}")
    connection.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    return connection


@pytest.fixture
def postgres_url():
    """URL of a fresh, empty `bot_test_<random>` database, dropped afterwards."""
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def module_postgres_url():
    """The same, shared by one module's tests (the production topology starts once)."""
    with fresh_database() as url:
        yield url


@contextmanager
def fresh_database():
    from psycopg2 import sql
    from sqlalchemy.engine import make_url

    name = "bot_test_" + uuid.uuid4().hex[:12]
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(POSTGRES_URL).set(database=name)
    finally:
        with admin.cursor() as cursor:  # FORCE (PostgreSQL 13+) ends leftover sessions
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                           .format(sql.Identifier(name)))
        admin.close()


@pytest.fixture
def redis_url():
    """The test Redis URL, after checking the server answers."""
    return checked_redis_url()


@pytest.fixture(scope="module")
def module_redis_url():
    return checked_redis_url()


def checked_redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        unavailable(f"Redis unreachable: {error}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture(scope="module")
def start_servers(tmp_path_factory):
    """Starts the action server and the Rasa server as `make run` does, each time on a var/ of
    their own: `start_servers(**fields)` replaces those fields of the isolated settings. What it
    starts stops at the end of the test module."""
    from bot.tooling.servers import MODELS_DIR, Servers, isolated_settings

    if not any(MODELS_DIR.glob("*.tar.gz")):
        pytest.fail("no trained model: run `make train` first")
    with ExitStack() as started:
        def start(**fields):
            var_dir = tmp_path_factory.mktemp("var")
            settings = replace(isolated_settings(var_dir), **fields)
            return started.enter_context(Servers(settings, log_dir=var_dir / "logs"))

        yield start


@pytest.fixture(scope="module")
def servers(start_servers):
    """The action server and the Rasa server, as `make run` starts them, for one test module."""
    return start_servers()


@pytest.fixture(scope="module")
def fake():
    """A local fake of the providers' APIs (fake_providers.py) for one test module."""
    from fake_providers import FakeProviders  # tests/integration/, on the path as this file's folder

    with FakeProviders() as running:
        yield running


@pytest.fixture(scope="module")
def channel_servers(fake, start_servers):
    """Starts the real servers with messaging channels on, each against `fake`:
    `channel_servers(sender_hash_key, "sms", "telegram")` (every channel when none is named)."""
    from fake_providers import CHANNELS

    def start(sender_hash_key: str, *channels: str):
        return start_servers(sender_hash_key=sender_hash_key, **fake.channel_settings(*(channels or CHANNELS)))

    return start


@pytest.fixture(scope="module")
def nginx():
    """nginx's binary (Debian's package; .ci/run installs it)."""
    from bot.tooling import nginx

    try:
        return nginx.binary()
    except RuntimeError as error:
        unavailable(str(error))


