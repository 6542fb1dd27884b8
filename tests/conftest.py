"""Fixtures shared by every test: the real domain, trackers from small dicts, settings."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

# Before anything imports TensorFlow (spaCy and Rasa's components do), as bot/tooling/quiet.py does
# for every Rasa process: skops looks each of its trusted types up across sys.modules when
# imported, ~5 s of CPU more after TensorFlow's thousands of modules; and TensorFlow would import
# jax (~0.25 s here, 65 MB), which neither Rasa nor the project runs.
from bot.rasa_patches import keep_jax_out  # noqa: E402
from bot.tooling.quiet import import_skops_before_tensorflow  # noqa: E402

keep_jax_out()
import_skops_before_tensorflow()

from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from bot.settings import PROJECT_ROOT  # noqa: E402
from needs import AXE, CHROMIUM, unavailable  # noqa: E402 - tests/, on the path


FIGURES: List[str] = []


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright, which never downloads a browser (`.ci/run`
    installs chromium; axe-core comes from node_modules, `npm ci`). Module scope, not session:
    while Playwright's sync API is open it keeps an event loop running in this thread, and every
    later test that runs one (the model tests, Redis, channels) would fail."""
    if not Path(CHROMIUM).exists():
        unavailable(f"no chromium at {CHROMIUM}: apt-get install -y chromium")
    if not AXE.exists():
        unavailable("no axe-core in node_modules: run `make install` (npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def figure():
    """Records a measured figure (recall, F1...) for the summary at the end of the run."""
    return FIGURES.append


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("measured figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def domain():
    """The project's domain.yml as Rasa loads it, read once per run: Rasa validates the file's
    schema on every load (~0.3 s each), and no test changes a Domain."""
    from rasa.shared.core.domain import Domain

    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture(scope="session")
def domain_dict(domain) -> Dict[str, Any]:
    """The domain as rasa_sdk actions receive it."""
    return domain.as_dict()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def make_tracker(
    text: str = "",
    intent: str = "",
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    sender_id: str = "test-patient",
    channel: str = "rest",
    events: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
) -> Tracker:
    """A rasa_sdk Tracker whose latest message is `text` classified as `intent`."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
    }
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message=latest,
        events=events or [{"event": "user", "text": text, "input_channel": channel, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """An empty SQLite database at the schema's head, migrated once per test run: a copy of it
    costs a fraction of running every migration again for each test."""
    from bot.storage import create_engine, migrate

    path = tmp_path_factory.mktemp("schema") / "assistant.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture
def migrated_db(tmp_path, migrated_sqlite) -> Path:
    """tmp_path/assistant.db, the database `Settings(var_dir=tmp_path)` uses, as a copy of the
    migrated one: for tests about what is stored, not about migrating (those start empty)."""
    path = tmp_path / "assistant.db"
    shutil.copyfile(migrated_sqlite, path)
    return path


@pytest.fixture
def stores(tmp_path, monkeypatch, migrated_sqlite):
    """The actions' stores on a throw-away SQLite database (a copy of the migrated one; Stores
    still checks the schema is at the head on first use)."""
    from actions import database
    from bot.settings import Settings
    from bot.storage import Stores, database_url

    settings = Settings(var_dir=tmp_path, sender_hash_key="test-key")
    url = database_url(settings)
    if url.get_backend_name() == "sqlite" and url.database and Path(url.database).is_relative_to(tmp_path):
        shutil.copyfile(migrated_sqlite, url.database)
    built = Stores(settings)
    monkeypatch.setattr(database, "stores", lambda: built)
    yield built
    built.close()


@pytest.fixture
def action_server(settings, monkeypatch):
    """Starts a fresh action server process on the module's `settings`: `action_server(now)`
    gives it its own stores and its clock at `now`, as a restart forgets everything else, and
    returns those stores (each closed at the end of the test at the latest)."""
    from actions import database, recovery
    from bot.storage import Stores

    started = []

    def start(now):
        stores = Stores(settings)
        started.append(stores)
        monkeypatch.setattr(database, "stores", lambda: stores)
        monkeypatch.setattr(recovery, "now", lambda: now)
        return stores

    yield start
    for stores in started:
        stores.close()


@pytest.fixture
def tracker_for():
    return make_tracker
