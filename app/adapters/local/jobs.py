"""One-shot timers on the event loop; the caller rebuilds them from the database at start-up."""

import asyncio
import logging
from datetime import UTC, datetime

from app.ports import JobHandler

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0
MAX_ATTEMPTS = 5


class AsyncioJobs:
    def __init__(self) -> None:
        self._handler: JobHandler | None = None
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._running: set[asyncio.Task[None]] = set()

    def on_due(self, handler: JobHandler) -> None:
        self._handler = handler

    async def schedule(self, name: str, due_time: datetime) -> None:
        await self.cancel(name)
        delay = max(0.0, (due_time - datetime.now(UTC)).total_seconds())
        self._arm(name, delay, attempt=1)

    async def cancel(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    async def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in list(self._running):
            task.cancel()

    def pending(self) -> list[str]:
        return sorted(self._timers)

    def _arm(self, name: str, delay: float, attempt: int) -> None:
        loop = asyncio.get_running_loop()
        self._timers[name] = loop.call_later(delay, self._fire, name, attempt)

    def _fire(self, name: str, attempt: int) -> None:
        self._timers.pop(name, None)
        task = asyncio.create_task(self._run(name, attempt))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, name: str, attempt: int) -> None:
        if self._handler is None:
            raise RuntimeError("no handler for due jobs")
        try:
            await self._handler(name)
        except Exception:
            log.exception("job %s failed (attempt %d)", name, attempt)
            if attempt < MAX_ATTEMPTS and name not in self._timers:
                self._arm(name, RETRY_SECONDS * attempt, attempt + 1)
