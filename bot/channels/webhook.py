"""What every provider's webhook shares: the start-up line saying whether the channel is on,
the blueprint of a channel that is off, and the refusal of a request that fails verification.

A refusal is logged with the channel and the reason only: never the body, the sender or the
signature, which would put health data or replayable material in the logs.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, List

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger("bot.channels")


def missing_settings(required: Iterable[tuple]) -> List[str]:
    """The environment variables of `required` ((variable, value) pairs) that are empty."""
    return [env for env, value in required if not str(value or "").strip()]


def announce(channel: str, missing: List[str]) -> bool:
    """Log whether `channel` is on and, when off, which settings it lacks; True when on."""
    if missing:
        logger.info("Channel %s: off (set %s; docs/CHANNELS.md)", channel, ", ".join(missing))
        return False
    logger.info("Channel %s: on, webhook /webhooks/%s/webhook", channel, channel)
    return True


def off_blueprint(channel: str, missing: List[str]) -> Blueprint:
    """A channel that is off answers 503 with what it lacks, so a provider's test call (and
    whoever connects it) sees a clear reason instead of a 404."""
    blueprint = Blueprint(f"{channel}_webhook_off", __name__)
    body = {"status": "off", "channel": channel, "missing": missing}

    @blueprint.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json(body, status=503)

    @blueprint.route("/webhook", methods=["GET", "POST"])
    async def webhook(_: Request) -> HTTPResponse:
        return response.json(body, status=503)

    return blueprint


@dataclass(frozen=True)
class Refusal:
    """Why a request fails verification: 401 (no or stale credentials), 403 (wrong ones)."""

    status: int
    reason: str


def refuse(channel: str, refusal: Refusal) -> HTTPResponse:
    """The refusal as a JSON error, logged with the reason only, never the content."""
    logger.warning("Refused a %s webhook request: %s", channel, refusal.reason)
    return response.json({"error": refusal.reason}, status=refusal.status)


def bad_request(channel: str, reason: str) -> HTTPResponse:
    """A verified request the connector cannot read: a clear 400, never a 500."""
    logger.warning("Unreadable %s webhook request: %s", channel, reason)
    return response.json({"error": reason}, status=400)
