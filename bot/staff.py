"""Commands for clinic staff and operators (`python -m bot ...`).

They print what staff need to act on (escalations, callbacks to make) and never
settings, keys or database passwords.
"""
from __future__ import annotations

import argparse
import re
from datetime import datetime, timedelta
from typing import List, Sequence

from bot.inbox.collect import collect
from bot.phone import readable
from bot.settings import Settings
from bot.storage import Stores
from bot.storage.database import database_url, migrate, safe_url
from bot.storage.models import utcnow

_SINCE = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str) -> timedelta:
    """'30m', '24h' or '7d' as a duration; argparse shows the error to the user."""
    match = _SINCE.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"expected e.g. 30m, 24h or 7d, got {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _table(headers: Sequence[str], rows: List[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [headers, *rows]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)


def escalations(args: argparse.Namespace, settings: Settings) -> int:
    """Escalations in the window, then every open callback request."""
    start = utcnow() - args.since
    with Stores(settings) as stores:
        found = stores.escalations.since(start)
        waiting = stores.callbacks.open()
        stores.inbox.add(collect(stores.engine, settings.inbox_confidence))  # the page's count, up to date
        disagreements = stores.inbox.safety_count()
    print(f"Escalations since {_when(start)} UTC: {len(found)}")
    if found:
        print(_table(("TIME (UTC)", "TIER", "FLAGS", "CHANNEL", "SENDER"),
                     [(_when(e.created_at), e.tier, ",".join(e.flags) or "-", e.channel,
                       e.sender_hash[:10]) for e in found]))
    print(f"\nRed flags to review (the two readers disagreed, or a reviewer found a miss): {disagreements}"
          + ("  -> python -m bot inbox list" if disagreements else ""))
    print(f"\nOpen callback requests: {len(waiting)}")
    if waiting:
        print(_table(("ID", "REQUESTED (UTC)", "NAME", "PHONE", "BEST TIME", "CHANNEL"),
                     [(str(c.id), _when(c.created_at), c.name, readable(c.phone), c.best_time, c.channel)
                      for c in waiting]))
    return 0


def callback_done(args: argparse.Namespace, settings: Settings) -> int:
    with Stores(settings) as stores:
        done = stores.callbacks.mark_done(args.id)
    print(f"Callback request #{args.id} marked done." if done
          else f"No open callback request #{args.id}.")
    return 0 if done else 1


def purge(args: argparse.Namespace, settings: Settings) -> int:
    """Apply the retention rule to every store that holds patient data."""
    if settings.retention_days < 1:
        print("RETENTION_DAYS must be at least 1; nothing deleted.")
        return 1
    from bot.storage.tracker_store import purge_tracker_events  # imports Rasa: slow

    cutoff = utcnow() - timedelta(days=settings.retention_days)
    with Stores(settings) as stores:
        counts = (
            ("escalations", stores.escalations.purge(cutoff)),
            ("callback requests", stores.callbacks.purge(cutoff)),
            ("SMS opt-outs (silent numbers)", stores.opt_outs.purge(cutoff)),
            ("review inbox items", stores.inbox.purge(cutoff)),
            ("recovery data", stores.recovery.purge(cutoff)),
            ("conversation events", purge_tracker_events(stores.engine, cutoff)),
            ("outbox entries", stores.outbox.purge(cutoff)),
        )
    print(f"Deleted records older than {settings.retention_days} days "
          f"(before {_when(cutoff)} UTC):")
    print(_table(("STORE", "DELETED"), [(name, str(count)) for name, count in counts]))
    return 0


def outbox(args: argparse.Namespace, settings: Settings) -> int:
    """Deliver what the outbox holds (the action server does it by itself every few seconds)."""
    with Stores(settings) as stores:
        delivered, waiting = stores.deliver_pending()
    print(f"Outbox: {delivered} delivered, {waiting} waiting"
          + (" (is the database reachable?)" if waiting else "."))
    return 0 if not waiting else 1


def db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    with Stores(settings) as stores:
        revision = migrate(stores.engine)
    print(f"Database {safe_url(database_url(settings))} is at schema revision {revision}.")
    return 0


def add_commands(subparsers: "argparse._SubParsersAction") -> None:
    """Register the staff subcommands; each sets `handler(args, settings) -> exit code`."""
    cmd = subparsers.add_parser("escalations", help="recent escalations and open callbacks")
    cmd.add_argument("--since", type=parse_since, default=parse_since("24h"),
                     help="how far back: 30m, 24h (default) or 7d")
    cmd.set_defaults(handler=escalations)

    callbacks = subparsers.add_parser("callbacks", help="manage callback requests")
    actions = callbacks.add_subparsers(dest="callbacks_command", required=True)
    done = actions.add_parser("done", help="mark a callback request as done")
    done.add_argument("id", type=int, help="the ID shown by `escalations`")
    done.set_defaults(handler=callback_done)

    cmd = subparsers.add_parser("purge", help="delete data older than RETENTION_DAYS")
    cmd.set_defaults(handler=purge)

    cmd = subparsers.add_parser("outbox", help="deliver the escalations and callback requests kept "
                                "while the database was unreachable")
    cmd.set_defaults(handler=outbox)

    db = subparsers.add_parser("db", help="database maintenance")
    db_actions = db.add_subparsers(dest="db_command", required=True)
    db_actions.add_parser("upgrade", help="migrate the schema to the latest version") \
        .set_defaults(handler=db_upgrade)
