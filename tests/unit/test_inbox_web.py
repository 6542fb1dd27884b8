"""The staff page over HTTP: the login and each refusal (wrong password, lockout, no or wrong
CSRF token, expired or missing session), then the review itself."""
import re
import shutil
from datetime import datetime, timezone

import pytest
import requests

from bot.inbox.login import LOCKOUT, MAX_FAILURES, Gate, check_hash, hash_password, verify_password
from bot.settings import PROJECT_ROOT, Settings
from bot.storage import Stores
from bot.storage.inbox import Sighting
from inbox_server import serve

PASSWORD = "correct horse battery"
HASH = hash_password(PASSWORD)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def root(tmp_path):
    for name in ("data", "tests/nlu", "tests/red_flags"):
        shutil.copytree(PROJECT_ROOT / name, tmp_path / "project" / name)
    shutil.copy(PROJECT_ROOT / "domain.yml", tmp_path / "project" / "domain.yml")
    return tmp_path / "project"


@pytest.fixture
def page(tmp_path, root, migrated_db):
    settings = Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/assistant.db",
                        sender_hash_key="web-test", inbox_password_hash=HASH, inbox_session_minutes=30)
    clock = Clock()
    with Stores(settings) as stores:
        stores.inbox.add([
            Sighting("p1", datetime(2026, 12, 1, 9, tzinfo=timezone.utc), ("fallback",), "my shin is fizzing <b>",
                     "nlu_fallback", 0.75, "none", "cause_nerve_healing"),
            Sighting("p2", datetime(2026, 12, 1, 10, tzinfo=timezone.utc), ("red_flag_disagreement",),
                     "my bum feels odd", "red_flag_urgent", 1.0, "none", "red_flag_urgent")])
        with serve(settings, stores, root, Gate(HASH, 30 * 60, clock=clock)) as (url, app):
            yield url, clock, stores


def login(url, password=PASSWORD):
    return requests.post(f"{url}/login", data={"password": password}, allow_redirects=False, timeout=10)


def session(url):
    response = login(url)
    assert response.status_code == 303
    cookie = response.cookies.get("inbox_session") or re.search(r"inbox_session=([^;]+)",
                                                                  response.headers["Set-Cookie"]).group(1)
    home = requests.get(f"{url}/", headers={"Cookie": f"inbox_session={cookie}"}, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', home.text).group(1)
    return {"Cookie": f"inbox_session={cookie}"}, csrf, home


def test_password_hashes_verify_and_refuse():
    assert verify_password(PASSWORD, HASH) and not verify_password("wrong password!", HASH)
    assert hash_password(PASSWORD) != HASH  # salted
    with pytest.raises(ValueError):
        hash_password("short")
    with pytest.raises(ValueError):
        check_hash("plain-text-password")


def test_the_page_refuses_to_start_without_a_password_hash(tmp_path):
    from bot.inbox.web import create_app

    with pytest.raises(ValueError, match="hash-password"):
        create_app(Settings(var_dir=tmp_path))


def test_without_a_session_the_page_sends_to_the_login(page):
    url, _, _ = page
    response = requests.get(f"{url}/", allow_redirects=False, timeout=10)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "my shin" not in response.text


def test_a_wrong_password_is_refused(page):
    url, _, _ = page
    response = login(url, "not the password")
    assert response.status_code == 401 and "Wrong password" in response.text
    assert "inbox_session" not in response.headers.get("Set-Cookie", "")


def test_the_session_cookie_is_secure_httponly_and_strict(page):
    url, _, _ = page
    cookie = login(url).headers["Set-Cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_repeated_failures_lock_the_login_even_for_the_right_password(page):
    url, clock, _ = page
    for _ in range(MAX_FAILURES - 1):
        assert login(url, "guess").status_code == 401
    assert login(url, "guess").status_code == 429
    locked = login(url)
    assert locked.status_code == 429 and "locked" in locked.text
    clock.now += LOCKOUT + 1
    assert login(url).status_code == 303


def test_the_review_page_shows_safety_first_with_the_count_and_escapes_text(page):
    url, _, _ = page
    _, _, home = session(url)
    assert home.status_code == 200
    assert "Red flags to review first: 1" in home.text
    assert home.text.index("my bum feels odd") < home.text.index("my shin is fizzing")
    assert "&lt;b&gt;" in home.text and "<b>" not in home.text.split("my shin is fizzing")[1][:5]
    assert "cause_nerve_healing" in home.text and "0.75" in home.text


def test_an_action_without_or_with_a_wrong_csrf_token_is_refused(page):
    url, _, stores = page
    headers, csrf, _ = session(url)
    item = stores.inbox.items()[0].id
    for token in (None, "forged", csrf[:-1]):
        data = {"action": "dismiss", "ids": str(item)} | ({"csrf": token} if token else {})
        response = requests.post(f"{url}/act", data=data, headers=headers, timeout=10)
        assert response.status_code == 403 and "CSRF" in response.text
    assert stores.inbox.get(item).status == "open"


def test_an_expired_session_is_refused(page):
    url, clock, stores = page
    headers, csrf, _ = session(url)
    clock.now += 31 * 60
    item = stores.inbox.items()[0].id
    response = requests.post(f"{url}/act", data={"csrf": csrf, "action": "dismiss", "ids": str(item)},
                             headers=headers, timeout=10)
    assert response.status_code == 401 and "expired" in response.text
    assert stores.inbox.get(item).status == "open"
    assert requests.get(f"{url}/", headers=headers, allow_redirects=False, timeout=10).status_code == 303


def test_bad_form_values_get_a_clear_400(page):
    url, _, _ = page
    headers, csrf, _ = session(url)
    for data, words in (({"action": "train_now", "ids": "1"}, "action must be one of"),
                        ({"action": "dismiss", "ids": "one"}, "ids must be"),
                        ({"action": "dismiss", "ids": "999"}, "no open inbox item 999")):
        response = requests.post(f"{url}/act", data={"csrf": csrf, **data}, headers=headers, timeout=10)
        assert response.status_code == 400 and words in response.text
    bad = requests.get(f"{url}/?since=yesterday", headers=headers, timeout=30)
    assert bad.status_code == 400 and "date like" in bad.text


def test_reviewing_from_the_page(page, root):
    url, _, stores = page
    headers, csrf, _ = session(url)
    items = {i.text: i.id for i in stores.inbox.items()}
    post = lambda **data: requests.post(f"{url}/act", data={"csrf": csrf, **data}, headers=headers, timeout=30)  # noqa: E731
    flagged = post(action="red_flag", ids=str(items["my bum feels odd"]), flag="saddle_numbness")
    assert flagged.status_code == 200 and "must-pass" in flagged.text
    assert "my bum feels odd" in (root / "tests/red_flags/corpus.yml").read_text()
    refused = post(action="assign", ids=str(items["my shin is fizzing <b>"]), intent="cause_nerve_healing",
                   text="call [NAME]")
    assert refused.status_code == 400 and "placeholder" in refused.text
    assert post(action="new_content", ids=str(items["my shin is fizzing <b>"])).status_code == 200
    assert [i.text for i in stores.inbox.content_requests()] == ["my shin is fizzing <b>"]
    filtered = requests.get(f"{url}/?reason=fallback&since=2026-12-01&until=2026-12-01", headers=headers, timeout=30)
    assert filtered.status_code == 200 and "Nothing to review" in filtered.text
