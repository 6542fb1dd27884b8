"""The action server: rasa-sdk's app, reachable only by the Rasa server, silent about requests.

rasa-sdk alone answers anyone who can reach its port, and its error body carries the whole
request (the tracker, with everything the patient typed). Here every call but `/health` must
carry the shared secret (ACTION_SERVER_TOKEN, sent by Rasa as a header: endpoints.yml), an
error answers a short JSON with no request in it, and the server listens on BIND_HOST
(127.0.0.1 unless configured). A background task delivers what the outbox keeps
(bot/storage/outbox.py), also what a previous run left there; another sends the check-ins that
are due (bot/recovery/delivery.py), also those a restart would have lost.

`python -m bot.tooling.quiet bot.action_server --port 5055` (bot/tooling/servers.py starts it).
"""
from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
from datetime import datetime, timezone
from typing import Any, Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

from bot import settings as bot_settings
from bot.machine_secrets import action_token
from bot.recovery import delivery
from bot.settings import Settings
from bot.storage import Stores

logger = logging.getLogger(__name__)

TOKEN_HEADER = "Authorization"
OPEN_PATHS = ("/health",)  # for load balancers and the launcher's start-up check
DRAIN_EVERY_SECONDS = 5.0


def authorized(request: Request, token: str) -> bool:
    given = request.headers.get(TOKEN_HEADER, "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def build_app(settings: Settings, token: str, actions: str = "actions") -> Sanic:
    """rasa-sdk's app for `actions`, with the secret checked and error bodies kept empty."""
    if not token:
        raise ValueError("the action server needs a token (ACTION_SERVER_TOKEN)")
    # Rasa calls server-to-server; no browser needs to reach the actions.
    app = create_app(actions, cors_origins=None)

    @app.on_request
    async def require_token(request: Request) -> Optional[response.HTTPResponse]:
        if request.path in OPEN_PATHS or authorized(request, token):
            return None
        return response.json({"error": "missing or wrong action server token"}, status=401)

    @app.exception(Exception)
    async def quiet_error(request: Request, exception: Exception) -> response.HTTPResponse:
        # Type only: an exception's text may quote the tracker; no request body, ever.
        status = getattr(exception, "status_code", 500)
        logger.error("Action server error on %s: %s", request.path, type(exception).__name__)
        return response.json({"error": "the action server could not handle this request"},
                             status=status if isinstance(status, int) else 500)

    @app.after_server_start
    async def start_outbox(app: Sanic, _: Any) -> None:
        app.add_task(deliver_outbox_forever(settings))
        app.add_task(send_checkins_forever(settings))

    return app


async def deliver_outbox_forever(settings: Settings) -> None:
    """Deliver the outbox every few seconds (the database may come back at any time); the
    actions deliver at once too, and the idempotency keys keep the two from doubling a row."""
    stores = Stores(settings)
    loop = asyncio.get_running_loop()
    while True:
        try:
            if stores.outbox.pending():
                delivered, waiting = await loop.run_in_executor(None, stores.deliver_pending)
                if delivered:
                    logger.info("Outbox: %d delivered, %d waiting.", delivered, waiting)
        except Exception as error:  # noqa: BLE001 - keep trying: this loop is what saves them
            logger.error("Outbox delivery failed (%s)", type(error).__name__)
        await asyncio.sleep(DRAIN_EVERY_SECONDS)


async def send_checkins_forever(settings: Settings) -> None:
    """Send the due check-ins now (those a restart left behind) and every CHECK_EVERY seconds."""
    stores = Stores(settings)
    trigger = delivery.rasa_trigger(settings)
    loop = asyncio.get_running_loop()
    while True:
        try:
            sent = await loop.run_in_executor(None, delivery.send_due, stores, datetime.now(timezone.utc), trigger)
            if sent:
                logger.info("Check-ins: %d sent.", sent)
        except Exception as error:  # noqa: BLE001 - the database may be back next time
            logger.error("Check-in delivery failed (%s)", type(error).__name__)
        await asyncio.sleep(delivery.CHECK_EVERY)


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.action_server", description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    settings = bot_settings.load()
    app = build_app(settings, action_token(settings), args.actions)
    app.run(host=settings.bind_host, port=args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
