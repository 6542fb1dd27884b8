"""The real servers (action server, Rasa, the demo clinic page) and Debian's chromium driven by Playwright.

Playwright's Python package brings its driver, never a browser: it launches the system's chromium
(CHROMIUM, default /usr/bin/chromium; `.ci/run` installs it with apt-get). Locally a missing
chromium or node_modules skips these tests with the reason; with CI=true it fails them.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from needs import AXE, unavailable  # tests/, on the path

# Screenshots of every run (the README's are copied from here into docs/ by hand: they change rarely).
SHOTS = PROJECT_ROOT / "reports" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The action server, the Rasa server and the demo page, as `make run` starts them."""
    from bot.tooling.servers import MODELS_DIR, Servers, isolated_settings

    if not any(MODELS_DIR.glob("*.tar.gz")):
        pytest.fail("no trained model: run `make train` first")
    if not AXE.exists():
        unavailable("node_modules is missing: run `make install` (npm ci)")
    var_dir = tmp_path_factory.mktemp("var")
    with Servers(isolated_settings(var_dir), log_dir=var_dir / "logs") as running:
        running.start_demo_site()
        yield running


@pytest.fixture
def new_context(browser):
    """Makes fresh browser profiles (own localStorage): "desktop" or "phone" (360 px, touch), with
    axe-core injected as DevTools would when `axe` (the page's CSP allows no inline script)."""
    made = []

    def make(size: str = "desktop", axe: bool = False, **options):
        phone = size == "phone"
        context = browser.new_context(viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone,
                                      **options)
        if axe:
            context.add_init_script(path=str(AXE))
        made.append(context)
        return context
    yield make
    for context in made:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def phone_width() -> int:
    return PHONE["width"]


@pytest.fixture
def page(context, stack):
    opened = context.new_page()
    errors = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}") or dialog.dismiss())
    opened.goto(stack.demo_url + "/")
    yield opened
    assert not errors, f"the page raised: {errors}"


@pytest.fixture
def shot():
    """Saves a screenshot under reports/screenshots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path
    return save
