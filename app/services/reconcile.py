"""The reconciliation sweep: repairs what a lost job or a crashed step left behind.

Two idempotent repairs, each a bounded page per pass that carries on where the last pass
stopped and starts over once it reached the end:
- pending reminders whose job is missing, or armed for another time, are armed again;
- completed recurring tasks without a successor get it, unless their series has ended or
  the user deleted the successor (that ends the series too).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from app.domain.models import Task
from app.domain.recurrence import successor_of
from app.ports import Clock, Jobs, Sql, utc_now
from app.repositories.tasks import Cursor, TaskRepository
from app.services.errors import Invalid
from app.services.reminders import ReminderService, job_name
from app.services.tasks import TaskService

log = logging.getLogger(__name__)

PAGE_SIZE = 200
# A reminder this new may still have its reminder.scheduled event on the way to its job.
SETTLING = timedelta(seconds=30)
# A reminder that came due this recently may still have its reminder.triggered event on the
# way to the app (waiting while the app restarts): arming it again would fire it late.
IN_FLIGHT = timedelta(minutes=2)
# A job whose callback fails is called back again a few seconds later, each failure noted on
# its reminder (retried_at). Meanwhile Dapr's scheduler answers that it holds no such job:
# arming it again would start its round of retries anew, at every pass.
STILL_RETRIED = timedelta(seconds=15)

Sweep = Callable[[], Awaitable[int]]


async def arm_pending(reminders: ReminderService, jobs: Jobs, page: int = PAGE_SIZE) -> int:
    """Arm a job for every pending reminder, page by page (the embedded timers at start-up).
    Returns how many were armed."""
    cursor: Cursor | None = None
    armed = 0
    while batch := await reminders.pending_after(cursor, page):
        for reminder in batch:
            await jobs.schedule(job_name(reminder.id), reminder.scheduled_at)
        armed += len(batch)
        cursor = (batch[-1].scheduled_at, batch[-1].id)
        await asyncio.sleep(0)  # let requests in between pages
    return armed


class ReminderJobsSweep:
    """Re-arms pending reminders whose job is gone (a scheduler that lost its data, a job whose
    retries ran out during an outage) or is armed for another time, leaving alone those whose
    job is still being retried. Re-arming a lost job counts as a retry of the reminder."""

    def __init__(
        self,
        reminders: ReminderService,
        jobs: Jobs,
        page: int = PAGE_SIZE,
        clock: Clock = utc_now,
    ) -> None:
        self._reminders = reminders
        self._jobs = jobs
        self._page = page
        self._clock = clock
        self._cursor: Cursor | None = None

    async def __call__(self) -> int:
        """One page; returns how many reminders were armed again."""
        batch = await self._reminders.pending_after(self._cursor, self._page)
        self._cursor = (batch[-1].scheduled_at, batch[-1].id) if len(batch) == self._page else None
        now = self._clock()
        rearmed = 0
        for reminder in batch:
            if (
                reminder.created_at > now - SETTLING
                or now - IN_FLIGHT < reminder.scheduled_at <= now
                or (reminder.retried_at is not None and reminder.retried_at > now - STILL_RETRIED)
            ):
                continue
            name = job_name(reminder.id)
            armed_for = await self._jobs.armed_for(name)
            if armed_for == reminder.scheduled_at:
                continue
            log.info("reminder %s: job armed for %s; arming it again", reminder.id, armed_for)
            await self._jobs.schedule(name, reminder.scheduled_at)
            if armed_for is None:
                await self._reminders.count_retry(reminder.id, reminder.scheduled_at)
            rearmed += 1
        return rearmed


class SuccessorSweep:
    """Creates the missing successor of completed recurring tasks, oldest completion first.
    A task whose series has ended (or whose rule cannot be expanded, or whose successor is
    refused) is remembered and skipped from then on, so it costs nothing on later passes."""

    def __init__(self, sql: Sql, tasks: TaskService, page: int = PAGE_SIZE) -> None:
        self._repository = TaskRepository(sql)
        self._tasks = tasks
        self._page = page
        self._cursor: Cursor | None = None
        self._ended: set[int] = set()

    async def __call__(self) -> int:
        """One page; returns how many successors were created."""
        batch = await self._repository.orphans(self._cursor, self._page)
        last = batch[-1] if len(batch) == self._page else None
        self._cursor = (last.completed_at, last.id) if last and last.completed_at else None
        created = 0
        for task in batch:
            if task.id not in self._ended and await self._repair(task):
                created += 1
        return created

    async def _repair(self, task: Task) -> bool:
        if task.owner_id is None:
            return False  # stored before any user: repaired once the first admin owns it
        try:
            following = await asyncio.to_thread(successor_of, task)
        except Exception as error:  # the same rule fails the same way every time
            log.warning("task %s: its rule cannot be expanded (%s); not repaired", task.id, error)
            following = None
        if following is None:
            self._ended.add(task.id)
            return False
        try:
            created = await self._tasks.create_successor(
                task.owner_id, task.id, following.due, following.rule
            )
        except Invalid as error:
            log.warning("task %s: its successor is refused (%s); not repaired", task.id, error)
            self._ended.add(task.id)
            return False
        except Exception:
            log.exception("task %s: creating its successor failed; tried again later", task.id)
            return False
        if created is not None:
            log.info("task %s had no successor; created %s", task.id, created.id)
        return created is not None


async def run_sweeps(sweeps: Sequence[Sweep], interval_seconds: float) -> None:
    """Run every sweep at once and again every `interval_seconds`. A failing pass is logged
    and tried again at the next one."""
    while True:
        for sweep in sweeps:
            try:
                await sweep()
            except Exception:
                log.exception("reconciliation pass %s failed", type(sweep).__name__)
        await asyncio.sleep(interval_seconds)
