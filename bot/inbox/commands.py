"""`python -m bot inbox ...`: the review inbox from the terminal, the same operations as the
staff page (bot/inbox/service.py). Prints redacted text only."""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import List

from bot.inbox import service
from bot.inbox.group import Group
from bot.settings import Settings
from bot.staff import _table, _when, parse_since
from bot.storage import Stores
from bot.storage.models import utcnow
from bot.vocabulary import INBOX_REASONS


def _print_groups(found: List[Group]) -> None:
    for number, found_group in enumerate(found, 1):
        head = found_group.items[0]
        flag = "SAFETY " if found_group.safety else ""
        print(f"\n{flag}group {number}: {len(found_group.items)} message(s), suggested: "
              f"{found_group.suggested or '-'}  (e.g. \"{head.text}\")")
        print(_table(("ID", "SENT (UTC)", "REASONS", "INTENT", "CONF", "DETECTOR", "TEXT"),
                     [(str(i.id), _when(i.created_at), ",".join(i.reasons), i.intent or "-",
                       "-" if i.confidence is None else f"{i.confidence:.2f}", i.detector, i.text)
                      for i in found_group.items]))


def list_items(args: argparse.Namespace, settings: Settings) -> int:
    since = utcnow() - args.since if args.since else None
    with Stores(settings) as stores:
        new = 0 if args.no_collect else service.refresh(stores)
        found = service.groups(stores, reason=args.reason, since=since)
        safety = stores.inbox.safety_count()
    print(f"Collected {new} new message(s). Safety first: {safety} red-flag disagreement(s) or missed red flag(s).")
    count = sum(len(g.items) for g in found)
    print(f"Open: {count} message(s) in {len(found)} group(s)" + (f", reason {args.reason}" if args.reason else ""))
    _print_groups(found)
    return 0


def _report(outcome: service.Outcome) -> int:
    print(outcome.message, file=sys.stdout if outcome.ok else sys.stderr)
    if outcome.diff:
        print(outcome.diff)
    return 0 if outcome.ok else 1


def assign(args: argparse.Namespace, settings: Settings) -> int:
    with Stores(settings) as stores:
        return _report(service.assign(stores, args.ids, args.intent, args.text, run_validation=not args.no_validate))


def red_flag(args: argparse.Namespace, settings: Settings) -> int:
    with Stores(settings) as stores:
        return _report(service.missed_red_flag(stores, args.id, args.flag, args.text))


def new_content(args: argparse.Namespace, settings: Settings) -> int:
    with Stores(settings) as stores:
        return _report(service.mark(stores, args.ids, "new_content"))


def dismiss(args: argparse.Namespace, settings: Settings) -> int:
    with Stores(settings) as stores:
        return _report(service.mark(stores, args.ids, "dismissed"))


def content(args: argparse.Namespace, settings: Settings) -> int:
    with Stores(settings) as stores:
        found = service.content_list(stores)
    print(f"Needs new content: {sum(len(g.items) for g in found)} message(s) in {len(found)} topic(s)")
    if found:
        print(_table(("COUNT", "EXAMPLE", "IDS"), [(str(len(g.items)), g.items[0].text, ",".join(map(str, g.ids)))
                                                  for g in found]))
    return 0


def serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.inbox.web import run  # Sanic only when the page is served

    return run(settings)


def hash_password(args: argparse.Namespace, settings: Settings) -> int:
    from bot.inbox.login import MIN_PASSWORD, hash_password as make_hash

    password = getpass.getpass("Staff password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    try:
        print(make_hash(password))
    except ValueError:
        print(f"The password must be at least {MIN_PASSWORD} characters.", file=sys.stderr)
        return 1
    print("Set it as INBOX_PASSWORD_HASH in the inbox page's environment.", file=sys.stderr)
    return 0


def add_commands(subparsers: "argparse._SubParsersAction") -> None:
    inbox = subparsers.add_parser("inbox", help="the staff review inbox: messages the assistant missed")
    actions = inbox.add_subparsers(dest="inbox_command", required=True)
    cmd = actions.add_parser("list", help="collect new messages, then list the open ones grouped by similarity")
    cmd.add_argument("--reason", choices=INBOX_REASONS, help="only this reason")
    cmd.add_argument("--since", type=parse_since, help="only messages sent in the last 30m, 24h, 7d ...")
    cmd.add_argument("--no-collect", action="store_true", help="list without reading the tracker store first")
    cmd.set_defaults(handler=list_items)
    cmd = actions.add_parser("assign", help="write the messages as training examples of an existing intent")
    cmd.add_argument("ids", type=int, nargs="+")
    cmd.add_argument("--intent", required=True)
    cmd.add_argument("--text", help="the example as edited by the reviewer (default: the message)")
    cmd.add_argument("--no-validate", action="store_true", help="skip make validate (run it yourself)")
    cmd.set_defaults(handler=assign)
    cmd = actions.add_parser("red-flag", help="a missed red flag: a must-pass case in the red-flag corpus")
    cmd.add_argument("id", type=int)
    cmd.add_argument("--flag", required=True, help="the flag id in data/red_flags.yml")
    cmd.add_argument("--text", help="the case as edited by the reviewer (default: the message)")
    cmd.set_defaults(handler=red_flag)
    cmd = actions.add_parser("new-content", help="mark messages as needing new content")
    cmd.add_argument("ids", type=int, nargs="+")
    cmd.set_defaults(handler=new_content)
    cmd = actions.add_parser("dismiss", help="nothing to learn from these messages")
    cmd.add_argument("ids", type=int, nargs="+")
    cmd.set_defaults(handler=dismiss)
    actions.add_parser("content", help="the content team's list: what patients asked that has no answer") \
        .set_defaults(handler=content)
    actions.add_parser("serve", help="the staff page on INBOX_PORT (needs INBOX_PASSWORD_HASH)") \
        .set_defaults(handler=serve)
    actions.add_parser("hash-password", help="make INBOX_PASSWORD_HASH from a password (read from the terminal)") \
        .set_defaults(handler=hash_password)
