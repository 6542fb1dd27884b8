"""The staff page in a real browser (Debian's Chromium driven by Playwright, never a downloaded
browser): the login works with the Secure cookie on localhost, the page shows the safety count
first, and axe-core finds no accessibility violation on the login or the review page."""
from __future__ import annotations

import os
from datetime import datetime, timezone

from bot.inbox.login import hash_password
from bot.settings import PROJECT_ROOT, Settings
from bot.storage import Stores
from bot.storage.inbox import Sighting
from inbox_server import serve
from needs import AXE

PASSWORD = "a staff password for the browser"


def violations(page) -> list:
    """axe-core's violations on the page as (rule, impact, first nodes)."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]


def test_login_and_review_page_in_chromium_pass_axe(browser, tmp_path):
    settings = Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/assistant.db",
                        sender_hash_key="browser-test", inbox_password_hash=hash_password(PASSWORD))
    with Stores(settings) as stores:
        stores.inbox.add([
            Sighting("p1", datetime(2026, 11, 30, 9, tzinfo=timezone.utc), ("fallback",),
                     "my shin feels fizzy like soda", "nlu_fallback", 0.72, "none", "cause_nerve_healing"),
            Sighting("p2", datetime(2026, 11, 30, 9, 5, tzinfo=timezone.utc), ("low_confidence",),
                     "my shin feels fizzy like pop", "cause_nerve_healing", 0.41, "none", "cause_nerve_healing"),
            Sighting("p3", datetime(2026, 11, 30, 10, tzinfo=timezone.utc), ("red_flag_disagreement",),
                     "cant feel the toilet seat properly", "red_flag_urgent", 1.0, "none", "red_flag_urgent"),
            Sighting("p4", datetime(2026, 11, 30, 11, tzinfo=timezone.utc), ("feedback",),
                     "can I go swimming, my name is [NAME]", "lifestyle_habits", 0.66, "none", "lifestyle_habits")])
        with serve(settings, stores, PROJECT_ROOT) as (url, _):
            local = url.replace("127.0.0.1", "localhost")  # a secure context: the Secure cookie is kept
            # bypass_csp: only so the test can inject axe-core; the page itself forbids inline scripts.
            page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
            page.goto(f"{local}/")
            assert page.url.endswith("/login")
            assert violations(page) == []
            page.fill("#password", "wrong password here")
            page.click("button[type=submit]")
            assert "Wrong password" in page.inner_text("[role=alert]")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#safety-count")
            assert page.inner_text("#safety-count") == "Red flags to review first: 1"
            first = page.inner_text("section.group >> nth=0")
            assert "cant feel the toilet seat properly" in first
            assert violations(page) == []
            shot = os.environ.get("INBOX_SCREENSHOT")
            if shot:  # docs/images/review-inbox.png is made this way (docs/CONTENT.md)
                page.screenshot(path=shot, full_page=True)
