"""The inbox's operations, shared by the CLI (bot/inbox/commands.py) and the staff page
(bot/inbox/web.py) so both do exactly the same thing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import List, Optional, Sequence

from bot.inbox import review
from bot.inbox.collect import collect
from bot.inbox.group import Group, group
from bot.storage import Stores
from bot.storage.inbox import InboxRecord


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    diff: str = ""


def refresh(stores: Stores, since: Optional[datetime] = None) -> int:
    """Collect new sightings from the tracker store; returns how many were new."""
    return stores.inbox.add(collect(stores.engine, stores.settings.inbox_confidence, since))


def groups(stores: Stores, reason: Optional[str] = None, since: Optional[datetime] = None,
           until: Optional[datetime] = None) -> List[Group]:
    return group(stores.inbox.items(reason=reason, since=since, until=until))


def _open(stores: Stores, ids: Sequence[int]) -> List[InboxRecord]:
    items = [stores.inbox.get(i) for i in ids]
    missing = [str(i) for i, item in zip(ids, items, strict=True) if item is None or item.status != "open"]
    if missing or not ids:
        raise review.ReviewError(f"no open inbox item {', '.join(missing) or '(none given)'}")
    return [item for item in items if item is not None]


def assign(stores: Stores, ids: Sequence[int], intent: str, text: Optional[str] = None,
           root: Path = review.ROOT, run_validation: bool = True) -> Outcome:
    """Write the items' texts (or `text`) as examples of `intent`, then `make validate`; the files
    are put back and the items stay open if validation fails."""
    try:
        items = _open(stores, ids)
        texts = list(dict.fromkeys([text] if text else [item.text for item in items]))
        before = {path: path.read_text(encoding="utf-8") for path in set(review.intent_files(root).values())}
        written = [review.assign(intent, t, root) for t in texts]
    except review.ReviewError as error:
        return Outcome(False, str(error))
    if run_validation and any(w.changed for w in written):
        passed, report = review.validate(root)
        if not passed:
            for path, content in before.items():
                path.write_text(content, encoding="utf-8")
            return Outcome(False, "make validate failed, so the example was not kept:\n" + report)
    stores.inbox.resolve(ids, "assigned", intent)
    paths = sorted({w.path for w in written})
    changed = any(w.changed for w in written)
    return Outcome(True, f"{'Added to' if changed else 'Already in'} {', '.join(paths)} as '{intent}'"
                   + ("; make validate passed. Review the diff, commit, then `make reload`." if changed else "."),
                   review.diff(root, paths) if changed else "")


def missed_red_flag(stores: Stores, item_id: int, flag: str, text: Optional[str] = None,
                    root: Path = review.ROOT) -> Outcome:
    try:
        item = _open(stores, [item_id])[0]
        written = review.missed_red_flag(text or item.text, flag, root)
    except review.ReviewError as error:
        return Outcome(False, str(error))
    stores.inbox.resolve([item_id], "missed_red_flag", flag)
    return Outcome(True, f"Added to {written.path} as a must-pass '{flag}' case: the red-flag tests fail until "
                   "the detector catches it (data/red_flags.yml)." if written.changed
                   else f"Already in {written.path}.", review.diff(root, [written.path]) if written.changed else "")


def mark(stores: Stores, ids: Sequence[int], status: str) -> Outcome:
    """needs new content, or dismiss."""
    try:
        _open(stores, ids)
    except review.ReviewError as error:
        return Outcome(False, str(error))
    count = stores.inbox.resolve(ids, status)
    return Outcome(True, f"{count} item{'s' if count != 1 else ''} marked {status.replace('_', ' ')}.")


def content_list(stores: Stores) -> List[Group]:
    """What the content team is asked to write, the most asked first."""
    return group(stores.inbox.content_requests())
