"""Providers retry a webhook when the answer is slow (Slack after 3 s, Meta and Telegram until
they get a 200), and a retry carries the id of the message it repeats. `SeenMessages` remembers
the ids answered lately so a patient gets one answer, not two.

A retry is answered 200 without reaching the tracker: any other status would make the provider
retry again. Memory per Rasa process: providers retry within minutes, and a restart in between
costs at most one repeated answer.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Optional

KEEP_SECONDS = 24 * 3600  # Telegram keeps an update for 24 hours; Twilio and Meta retry sooner
MAX_IDS = 100_000


class SeenMessages:
    """Message ids seen in the last `keep_seconds`, per channel; thread-safe, bounded."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS, max_ids: int = MAX_IDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._keep = keep_seconds
        self._max = max_ids
        self._clock = clock
        self._seen: "OrderedDict[str, float]" = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, channel: str, message_id: Optional[str]) -> bool:
        """True the first time `message_id` arrives on `channel` (and when there is no id)."""
        if not message_id:
            return True
        key = f"{channel}:{message_id}"
        now = self._clock()
        with self._lock:
            while self._seen and (len(self._seen) >= self._max
                                  or next(iter(self._seen.values())) < now - self._keep):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


seen_messages = SeenMessages()  # one per process, shared by every channel
