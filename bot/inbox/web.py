"""The staff review page: its own small Sanic app on INBOX_PORT, apart from the patients' Rasa
server, behind the staff login (bot/inbox/login.py). Every form posts a CSRF token; the page
shows only redacted text. `python -m bot inbox serve` starts it.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import datetime, time as clock_time, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Request, Sanic
from sanic.response import HTTPResponse, html, redirect

from bot.inbox import review, service
from bot.inbox.login import Gate, check_hash, csrf_ok
from bot.red_flags.catalogue import load_catalogue
from bot.settings import Settings
from bot.storage import Stores
from bot.vocabulary import INBOX_REASONS

logger = logging.getLogger(__name__)
COOKIE = "inbox_session"
_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]))
_names = itertools.count()
ACTIONS = {"assign", "red_flag", "new_content", "dismiss"}


def _day(text: str, field: str) -> Optional[datetime]:
    if not text:
        return None
    try:
        return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), clock_time(), timezone.utc)
    except ValueError as exc:
        raise ValueError(f"{field} must be a date like 2026-12-01") from exc


def _ids(text: str) -> Tuple[int, ...]:
    try:
        ids = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError("ids must be item numbers separated by commas") from exc
    if not ids:
        raise ValueError("choose at least one message")
    return ids


def create_app(settings: Settings, stores: Optional[Stores] = None, root: Path = review.ROOT,
               gate: Optional[Gate] = None) -> Sanic:
    """The page's app. Refuses to exist without a valid password hash: no login, no page."""
    check_hash(settings.inbox_password_hash)
    app = Sanic(f"review_inbox_{next(_names)}")
    app.config.REQUEST_MAX_SIZE = 64_000
    app.config.RESPONSE_TIMEOUT = 600  # "Assign" waits for `make validate` (about 30 s, minutes on a busy machine)
    app.ctx.gate = gate or Gate(settings.inbox_password_hash, settings.inbox_session_minutes * 60)
    app.ctx.stores = stores or Stores(settings)
    flags = [f.id for f in load_catalogue(root / "data" / "red_flags.yml").flags]

    def render(name: str, status: int = 200, **values: Any) -> HTTPResponse:
        response = html(_TEMPLATES.get_template(name).render(**values), status=status)
        response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self' 'unsafe-inline'"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def page(request: Request, session: Any, message: str = "", diff: str = "", ok: bool = True,
             status: int = 200) -> HTTPResponse:
        args = request.args
        try:
            reason = args.get("reason") or None
            if reason and reason not in INBOX_REASONS:
                raise ValueError(f"reason must be one of {', '.join(INBOX_REASONS)}")
            since, until = _day(args.get("since", ""), "from"), _day(args.get("until", ""), "to")
        except ValueError as error:
            reason, since, until, message, ok, status = None, None, None, str(error), False, 400
        stores: Stores = app.ctx.stores
        groups = service.groups(stores, reason, since, until + timedelta(days=1) if until else None)
        return render("inbox.html", status=status, groups=groups, safety=stores.inbox.safety_count(),
                      content=service.content_list(stores), reasons=INBOX_REASONS, reason=reason or "",
                      since=args.get("since", ""), until=args.get("until", ""), csrf=session.csrf,
                      intents=sorted(review.intent_files(root)), flags=flags, message=message, diff=diff, ok=ok)

    @app.get("/login")
    async def login_page(request: Request) -> HTTPResponse:
        return render("login.html")

    @app.post("/login")
    async def login(request: Request) -> HTTPResponse:
        gate: Gate = app.ctx.gate
        if gate.locked():
            return render("login.html", status=429, error="Too many failed tries: the login is locked for "
                          "15 minutes. Ask the administrator if you forgot the password.")
        token = gate.login((request.form or {}).get("password", "") if request.form else "")
        if token is None:
            locked = gate.locked()
            return render("login.html", status=429 if locked else 401,
                          error="Too many failed tries: the login is locked for 15 minutes." if locked
                          else "Wrong password.")
        response = redirect("/", status=303)
        response.cookies[COOKIE] = token
        cookie = response.cookies[COOKIE]
        cookie["secure"], cookie["httponly"], cookie["samesite"], cookie["path"] = True, True, "Strict", "/"
        return response

    def session_of(request: Request) -> Any:
        return app.ctx.gate.session(request.cookies.get(COOKIE))

    @app.get("/")
    async def index(request: Request) -> HTTPResponse:
        session = session_of(request)
        if session is None:
            return redirect("/login", status=303)
        new = await asyncio.get_running_loop().run_in_executor(None, service.refresh, app.ctx.stores)
        return page(request, session, message=f"{new} new message(s) collected." if new else "")

    @app.post("/act")
    async def act(request: Request) -> HTTPResponse:
        session = session_of(request)
        if session is None:
            return render("login.html", status=401, error="Your session expired: log in again.")
        form: Dict[str, str] = {k: (request.form.get(k) or "") for k in request.form} if request.form else {}
        if not csrf_ok(session, form.get("csrf")):
            return render("login.html", status=403, error="The form was not sent from this page (CSRF token "
                          "missing or wrong). Reload the page and try again.")
        action = form.get("action", "")
        try:
            if action not in ACTIONS:
                raise ValueError(f"action must be one of {', '.join(sorted(ACTIONS))}")
            ids = _ids(form.get("ids", ""))
        except ValueError as error:
            return page(request, session, message=str(error), ok=False, status=400)
        stores: Stores = app.ctx.stores
        text = form.get("text", "").strip() or None
        loop = asyncio.get_running_loop()
        if action == "assign":
            outcome = await loop.run_in_executor(None, lambda: service.assign(stores, ids, form.get("intent", ""),
                                                                              text, root))
        elif action == "red_flag":
            outcome = await loop.run_in_executor(None, lambda: service.missed_red_flag(
                stores, ids[0], form.get("flag", ""), text, root))
        else:
            outcome = service.mark(stores, ids, action)
        return page(request, session, outcome.message, outcome.diff, outcome.ok, 200 if outcome.ok else 400)

    @app.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        session = session_of(request)
        form = request.form or {}
        if session is not None and csrf_ok(session, form.get("csrf")):
            app.ctx.gate.logout(request.cookies.get(COOKIE))
        response = redirect("/login", status=303)
        del response.cookies[COOKIE]
        return response

    return app


def run(settings: Settings) -> int:
    try:
        app = create_app(settings)
    except ValueError as error:
        print(f"The inbox page did not start: {error}.")
        return 1
    print(f"The review inbox is on http://localhost:{settings.inbox_port}/ (staff login).", flush=True)
    # Local only: staff reach it through the clinic's TLS proxy (the session cookie is Secure).
    app.run(host="127.0.0.1", port=settings.inbox_port, access_log=False, workers=1)
    return 0
