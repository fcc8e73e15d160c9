"""The live feed: every `task-updates` event this process receives, fanned out to the open
browser tabs of the event's user (each tab's UI state waits on it in a background event).

It is one more subscriber of `task-updates`: in embedded mode the in-process bus calls it, in
Dapr mode the sidecar delivers the topic to /events/task-updates, which calls it too.
"""

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass

from app.domain.events import Event, RecentEventIds

KEEP = 200


@dataclass(frozen=True)
class Change:
    """One event as the feed numbered it; `seq` only grows."""

    seq: int
    event: Event


class LiveFeed:
    def __init__(self, keep: int = KEEP) -> None:
        self._recent: deque[Change] = deque(maxlen=keep)
        self._seen = RecentEventIds(keep)
        self._seq = 0
        # Created on first use, inside the event loop that serves the browsers.
        self._wakeup: asyncio.Event | None = None

    @property
    def last_seq(self) -> int:
        return self._seq

    async def publish(self, topic: str, event: Event) -> None:
        """The subscription handler. It never fails, so it never makes the relay retry; a
        redelivered event (same event_id) is passed on once."""
        if event.event_id in self._seen:
            return
        self._seen.add(event.event_id)
        self._seq += 1
        self._recent.append(Change(self._seq, event))
        if self._wakeup is not None:
            self._wakeup.set()
            self._wakeup = None

    async def wait(self, after: int, timeout: float, user_id: int) -> list[Change]:
        """The changes of `user_id` numbered above `after`, waiting up to `timeout` seconds
        for one. A waiter that fell more than `keep` changes behind gets the ones still kept.
        Everyone's changes number the same sequence: continue from the last `seq` returned,
        or from `last_seq` when none was (the others' changes are then behind too)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            mine = [
                change
                for change in self._recent
                if change.seq > after and change.event.user_id == user_id
            ]
            left = deadline - loop.time()
            if mine or left <= 0:
                return mine
            after = max(after, self._seq)
            if self._wakeup is None:
                self._wakeup = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await self._wakeup.wait()
