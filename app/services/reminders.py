"""Reminder use cases: list, add, remove, and mark sent once when one fires."""

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

from app.domain.enums import ReminderStatus, TaskStatus
from app.domain.events import new_event, reminder_event
from app.domain.models import Reminder
from app.domain.offsets import format_offset, parse_offset
from app.ports import Event, Sql
from app.services.errors import Invalid, NotFound
from app.services.outbox import outbox_inserts
from app.services.rows import allocate_id, from_row, from_rows
from app.services.tasks import REMINDER, REMINDER_COLUMNS, TASK, TaskService

# A reminder that fires this long after its time tells the user it is late.
LATE_AFTER_SECONDS = 10


class ReminderService:
    def __init__(self, sql: Sql, tasks: TaskService, events_written: Callable[[], None]):
        self._sql = sql
        self._tasks = tasks
        self._events_written = events_written

    async def find(
        self, task_id: int | None = None, status: ReminderStatus | None = None
    ) -> list[Reminder]:
        statement = sa.select(*REMINDER_COLUMNS).order_by(REMINDER.c.scheduled_at, REMINDER.c.id)
        if task_id is not None:
            statement = statement.where(REMINDER.c.task_id == task_id)
        if status is not None:
            statement = statement.where(REMINDER.c.status == status)
        return from_rows(Reminder, await self._sql.fetch(statement))

    async def get(self, reminder_id: int) -> Reminder:
        rows = await self._sql.fetch(
            sa.select(*REMINDER_COLUMNS).where(REMINDER.c.id == reminder_id)
        )
        if not rows:
            raise NotFound("reminder", reminder_id)
        return from_row(Reminder, rows[0])

    async def create(self, task_id: int, offset: str) -> Reminder:
        task = await self._tasks.get(task_id)
        try:
            delta = parse_offset(offset)
        except ValueError as error:
            raise Invalid("reminder_offset", str(error)) from error
        if task.due_date is None:
            raise Invalid("task_id", f"task {task_id} has no due date to be reminded of")
        if task.status == TaskStatus.COMPLETED:
            raise Invalid("task_id", f"task {task_id} is completed")
        now = datetime.now(UTC)
        reminder = Reminder(
            id=await allocate_id(self._sql, "reminder"),
            task_id=task_id,
            reminder_offset=format_offset(delta),
            scheduled_at=task.due_date - delta,
            status=ReminderStatus.PENDING,
            created_at=now,
        )
        rows = await self._sql.write(
            # Only while the task still exists: it may be deleted meanwhile.
            sa.insert(REMINDER)
            .from_select(
                [column.name for column in REMINDER_COLUMNS],
                sa.select(
                    *[sa.literal(getattr(reminder, c.name), c.type) for c in REMINDER_COLUMNS]
                ).where(sa.exists().where(TASK.c.id == task_id)),
            )
            .returning(*REMINDER_COLUMNS),
            outbox_inserts(reminder_event("reminder.scheduled", reminder)),
        )
        if not rows:
            raise NotFound("task", task_id)
        self._events_written()
        return from_row(Reminder, rows[0])

    async def delete(self, reminder_id: int) -> None:
        reminder = await self.get(reminder_id)
        follow_ups = []
        if reminder.status == ReminderStatus.PENDING:
            follow_ups = outbox_inserts(reminder_event("reminder.cancelled", reminder))
        rows = await self._sql.write(
            sa.delete(REMINDER).where(REMINDER.c.id == reminder_id).returning(REMINDER.c.id),
            follow_ups,
        )
        if not rows:
            raise NotFound("reminder", reminder_id)
        self._events_written()

    async def handle_event(self, topic: str, event: Event) -> None:
        """The app's subscription to `reminders`: it acts on reminder.triggered only."""
        if event.get("event_type") == "reminder.triggered":
            await self.mark_sent(event)

    async def mark_sent(self, event: Event) -> None:
        """Handle reminder.triggered: pending -> sent exactly once, then tell the board."""
        try:
            reminder = await self.get(int(event["reminder_id"]))
            task = await self._tasks.get(reminder.task_id)
        except NotFound:
            return
        fired_at = datetime.fromisoformat(event["fired_at"])
        late = (fired_at - reminder.scheduled_at).total_seconds() > LATE_AFTER_SECONDS
        sent = new_event(
            "reminder.sent",
            task_id=task.id,
            correlation_id=event.get("correlation_id"),
            reminder_id=reminder.id,
            title=task.title,
            due_date=task.due_date.isoformat() if task.due_date else None,
            scheduled_at=reminder.scheduled_at.isoformat(),
            fired_at=fired_at.isoformat(),
            late=late,
        )
        rows = await self._sql.write(
            sa.update(REMINDER)
            .where(REMINDER.c.id == reminder.id, REMINDER.c.status == ReminderStatus.PENDING)
            .values(status=ReminderStatus.SENT, sent_at=fired_at, late=late)
            .returning(REMINDER.c.id),
            outbox_inserts(sent),
        )
        if rows:
            self._events_written()

    async def pending(self) -> list[Reminder]:
        return await self.find(status=ReminderStatus.PENDING)
