"""Reminder use cases: list, add, remove, and mark sent once when one fires. Each acts for one
owner, its first argument; the scheduler's side (`of_job`, `pending_after`, `count_retry`)
serves whoever owns the reminder."""

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from app.domain.enums import ReminderStatus, TaskStatus
from app.domain.events import (
    Event,
    ReminderCancelled,
    ReminderScheduled,
    ReminderSent,
    ReminderTriggered,
    reminder_change,
)
from app.domain.models import Reminder, Task
from app.domain.offsets import format_offset, parse_offset
from app.domain.queries import DEFAULT_LIMIT
from app.ports import Clock, Sql, utc_now
from app.repositories.tasks import Cursor, TaskRepository
from app.services.errors import Invalid, NotFound
from app.services.tasks import TaskService

# A reminder that fires this long after its time tells the user it is late.
LATE_AFTER_SECONDS = 10

JOB_PREFIX = "reminder-"


def job_name(reminder_id: int) -> str:
    """The name of the one job that fires reminder `reminder_id`."""
    return f"{JOB_PREFIX}{reminder_id}"


def reminder_of_job(name: str) -> int | None:
    number = name.removeprefix(JOB_PREFIX)
    return int(number) if name.startswith(JOB_PREFIX) and number.isdigit() else None


class ReminderService:
    def __init__(
        self,
        sql: Sql,
        tasks: TaskService,
        events_written: Callable[[], None],
        clock: Clock = utc_now,
    ):
        self._repository = TaskRepository(sql)
        self._tasks = tasks
        self._events_written = events_written
        self._clock = clock

    async def find(
        self,
        owner: int,
        task_id: int | None = None,
        status: ReminderStatus | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> list[Reminder]:
        """One page of the owner's matching reminders, soonest first."""
        return await self._repository.reminders(owner, task_id, status, limit, offset)

    async def page(
        self,
        owner: int,
        task_id: int | None,
        status: ReminderStatus | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Reminder], int]:
        """A page and the total, read side by side."""
        return await asyncio.gather(
            self.find(owner, task_id, status, limit, offset),
            self._repository.count_reminders(owner, task_id, status),
        )

    async def pending_after(self, cursor: Cursor | None, limit: int) -> list[Reminder]:
        """Pending reminders of every owner after `cursor` in (scheduled_at, id) order,
        soonest first."""
        return await self._repository.pending_after(cursor, limit)

    async def of_job(self, reminder_id: int) -> Reminder | None:
        """The reminder a job coming due names, whoever owns it; None when it is gone."""
        return await self._repository.reminder_of_any_owner(reminder_id)

    async def get(self, owner: int, reminder_id: int) -> Reminder:
        reminder = await self._repository.reminder(owner, reminder_id)
        if reminder is None:
            raise NotFound("reminder", reminder_id)
        return reminder

    async def create(self, owner: int, task_id: int, offset: str) -> Reminder:
        task = await self._tasks.get(owner, task_id)
        try:
            delta = parse_offset(offset)
        except ValueError as error:
            raise Invalid("reminder_offset", str(error)) from error
        due = _open_task_due(task)
        return await self._add(owner, task_id, delta, due - delta)

    async def snooze(self, owner: int, task_id: int, until: datetime) -> Reminder:
        """Remind the owner of the task again at `until`: a new pending reminder, armed like
        any other, its offset how long that is before the due date (none once past it). The
        reminder that fired stays as it was."""
        due = _open_task_due(await self._tasks.get(owner, task_id))
        before_due = max(due - until, timedelta(0)) // timedelta(seconds=1)
        return await self._add(owner, task_id, timedelta(seconds=before_due), until)

    async def set_apart(self, owner: int, tasks: list[Task]) -> dict[int, datetime]:
        """When the soonest pending reminder of each of these tasks fires that is not at the
        task's own offset before its due date: a snoozed one, or one added apart."""
        own = {
            task.id: task.due_date - parse_offset(task.reminder_offset)
            if task.reminder_offset
            else None
            for task in tasks
            if task.due_date is not None
        }
        pending = await self._repository.pending_of_tasks(owner, list(own))
        times: dict[int, datetime] = {}
        for reminder in pending:
            task_id, at = reminder.task_id, reminder.scheduled_at
            if at != own[task_id]:
                times[task_id] = min(at, times.get(task_id, at))
        return times

    async def _add(
        self, owner: int, task_id: int, before_due: timedelta, scheduled_at: datetime
    ) -> Reminder:
        reminder = Reminder(
            id=await self._repository.next_reminder_id(),
            task_id=task_id,
            reminder_offset=format_offset(before_due),
            scheduled_at=scheduled_at,
            status=ReminderStatus.PENDING,
            created_at=self._clock(),
            owner_id=owner,
        )
        created = await self._repository.add_reminder(
            owner, reminder, [reminder_change(ReminderScheduled, reminder)]
        )
        if created is None:
            raise NotFound("task", task_id)
        self._events_written()
        return created

    async def delete(self, owner: int, reminder_id: int) -> None:
        reminder = await self.get(owner, reminder_id)
        events: list[Event] = []
        if reminder.status == ReminderStatus.PENDING:
            events.append(reminder_change(ReminderCancelled, reminder))
        if not await self._repository.remove_reminder(owner, reminder_id, events):
            raise NotFound("reminder", reminder_id)
        self._events_written()

    async def mark_sent(self, topic: str, triggered: ReminderTriggered) -> None:
        """Handle reminder.triggered: pending -> sent exactly once, then tell the owner's tabs.
        A trigger for another time than the reminder's current one is stale and does nothing;
        so does one for another owner than the reminder's (the sweep arms it again)."""
        armed_for = triggered.scheduled_at
        owner = triggered.user_id
        if owner is None:
            return
        try:
            reminder = await self.get(owner, triggered.reminder_id)
            task = await self._tasks.get(owner, reminder.task_id)
        except NotFound:
            return
        if reminder.status != ReminderStatus.PENDING or reminder.scheduled_at != armed_for:
            return
        fired_at = triggered.fired_at
        late = (fired_at - reminder.scheduled_at).total_seconds() > LATE_AFTER_SECONDS
        sent = ReminderSent(
            task_id=task.id,
            user_id=owner,
            correlation_id=triggered.correlation_id,
            reminder_id=reminder.id,
            title=task.title,
            due_date=task.due_date,
            timezone=task.timezone,
            scheduled_at=reminder.scheduled_at,
            fired_at=fired_at,
            late=late,
        )
        if await self._repository.mark_sent(owner, reminder.id, armed_for, fired_at, late, [sent]):
            self._events_written()

    async def count_retry(self, reminder_id: int, armed_for: datetime) -> None:
        """One more attempt at delivering the reminder, now, while it still waits for that
        time."""
        await self._repository.count_retry(reminder_id, armed_for, self._clock())


def _open_task_due(task: Task) -> datetime:
    """The due date of a task that can be reminded of: open, with a due date."""
    if task.due_date is None:
        raise Invalid("task_id", f"task {task.id} has no due date to be reminded of")
    if task.status == TaskStatus.COMPLETED:
        raise Invalid("task_id", f"task {task.id} is completed")
    return task.due_date
