"""Work that many open tabs ask for at once, done once: the first to ask for a key starts it,
everyone asking for the same key while it runs, or shortly after it finished, gets the same
result (single flight). When a change reaches a thousand tabs of one user, their boards are
listed once per view instead of once per tab.

Whoever asks chooses the key, and it must name everything the result depends on: the user,
what is asked, and how recent it must be (the live feed's position it has to reflect), so
that a result is never handed to another user, another view, or a tab waiting for a later
change. A failure is not kept: the next to ask tries again."""

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Long enough for tabs still busy with the change before to find the result, short enough
# that relative times ("in 2 h") in a kept result are still right.
KEEP_SECONDS = 5.0


class SharedWork(Generic[K, V]):
    def __init__(
        self, keep_seconds: float = KEEP_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._keep = keep_seconds
        self._clock = clock
        self._entries: dict[K, asyncio.Future[V]] = {}
        # (when, key, result) of the finished ones, oldest first: what to drop, in order.
        self._finished: deque[tuple[float, K, asyncio.Future[V]]] = deque()

    def __len__(self) -> int:
        """How many results are running or kept."""
        return len(self._entries)

    async def get(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        """The result for `key`: the one running or kept, else what `compute()` gives (it runs
        to the end for the others even if this caller is cancelled)."""
        self._drop_expired()
        work = self._entries.get(key)
        if work is None:
            work = asyncio.ensure_future(compute())
            self._entries[key] = work
            work.add_done_callback(lambda done: self._done(key, done))
        return await asyncio.shield(work)

    def _done(self, key: K, work: "asyncio.Future[V]") -> None:
        if work.cancelled() or work.exception() is not None:
            self._forget(key, work)
        else:
            self._finished.append((self._clock(), key, work))

    def _drop_expired(self) -> None:
        now = self._clock()
        while self._finished and now - self._finished[0][0] >= self._keep:
            _, key, work = self._finished.popleft()
            self._forget(key, work)

    def _forget(self, key: K, work: "asyncio.Future[V]") -> None:
        if self._entries.get(key) is work:
            del self._entries[key]
