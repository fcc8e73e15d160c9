"""One-shot timers on the event loop; the caller rebuilds them from the database at start-up.

A due timer only queues its job: a few workers run the queue, so a backlog of thousands of
overdue jobs is worked off a few at a time while the loop keeps serving everything else.
"""

import asyncio
import contextlib
import logging
from datetime import datetime

from app.ports import Clock, JobHandler, utc_now

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0
MAX_ATTEMPTS = 5
WORKERS = 4


class AsyncioJobs:
    def __init__(
        self,
        workers: int = WORKERS,
        clock: Clock = utc_now,
    ) -> None:
        self._handler: JobHandler | None = None
        self._clock = clock
        self._workers = workers
        self._timers: dict[str, tuple[asyncio.TimerHandle, datetime]] = {}
        # Jobs that came due and wait in the queue or run now, with the time they were armed for.
        self._due: dict[str, datetime] = {}
        self._queue: asyncio.Queue[tuple[str, datetime, int]] = asyncio.Queue()
        self._running: list[asyncio.Task[None]] = []

    def on_due(self, handler: JobHandler) -> None:
        self._handler = handler

    async def schedule(self, name: str, due_time: datetime) -> None:
        if self._handler is None:
            raise RuntimeError("no handler for due jobs: call on_due first")
        await self.cancel(name)
        self._arm(name, due_time, self._seconds_until(due_time), attempt=1)

    async def cancel(self, name: str) -> None:
        armed = self._timers.pop(name, None)
        if armed is not None:
            armed[0].cancel()

    async def armed_for(self, name: str) -> datetime | None:
        armed = self._timers.get(name)
        return armed[1] if armed is not None else self._due.get(name)

    async def close(self) -> None:
        for timer, _ in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for worker in self._running:
            worker.cancel()
        for worker in self._running:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._running.clear()

    def _seconds_until(self, moment: datetime) -> float:
        return max(0.0, (moment - self._clock()).total_seconds())

    def _arm(self, name: str, due_time: datetime, delay: float, attempt: int) -> None:
        if not self._running:
            self._running = [asyncio.create_task(self._work()) for _ in range(self._workers)]
        loop = asyncio.get_running_loop()
        timer = loop.call_later(delay, self._fire, name, due_time, attempt)
        self._timers[name] = (timer, due_time)

    def _fire(self, name: str, due_time: datetime, attempt: int) -> None:
        self._timers.pop(name, None)
        self._due[name] = due_time
        self._queue.put_nowait((name, due_time, attempt))

    async def _work(self) -> None:
        while True:
            name, due_time, attempt = await self._queue.get()
            try:
                await self._run(name, due_time, attempt)
            finally:
                if self._due.get(name) == due_time:
                    del self._due[name]

    async def _run(self, name: str, due_time: datetime, attempt: int) -> None:
        assert self._handler is not None  # schedule() refuses to arm without one
        try:
            await self._handler(name, due_time)
        except Exception:
            log.exception("job %s failed (attempt %d)", name, attempt)
            if attempt < MAX_ATTEMPTS and name not in self._timers:
                self._arm(name, due_time, RETRY_SECONDS * attempt, attempt + 1)
