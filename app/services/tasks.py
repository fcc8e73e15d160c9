"""Task use cases: every write stores its events in the same statement batch (outbox).

Each use case acts for one owner, its first argument: another owner's task is not found."""

import asyncio
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from app.domain import task_fields
from app.domain.enums import Priority, Recurrence, ReminderStatus, RepeatFrom, TaskStatus
from app.domain.events import (
    Event,
    ReminderCancelled,
    ReminderScheduled,
    TaskCompleted,
    TaskCreated,
    TaskDeleted,
    TaskUpdated,
    reminder_change,
)
from app.domain.models import Reminder, Task
from app.domain.offsets import parse_offset
from app.domain.queries import TaskQuery
from app.domain.recurrence import series_rule, timezone_or_error
from app.ports import Sql
from app.repositories.tasks import ReminderChanges, TaskRepository
from app.services.errors import Conflict, Invalid, NotFound

UPDATE_ATTEMPTS = 3
# A built-in series rule is derived from these (the weekday or day of month, in the zone).
RULE_INPUTS = {"due_date", "timezone", "recurrence", "rrule"}


@dataclass(frozen=True)
class Page:
    tasks: list[Task]
    total: int


class TaskService:
    def __init__(self, sql: Sql, default_timezone: str, events_written: Callable[[], None]):
        self._tasks = TaskRepository(sql)
        self._default_timezone = default_timezone
        self._events_written = events_written

    async def get(self, owner: int, task_id: int) -> Task:
        task = await self._tasks.get(owner, task_id)
        if task is None:
            raise NotFound("task", task_id)
        return task

    async def many(self, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], Task]:
        """The tasks of these (owner, task id) pairs that still exist."""
        return await self._tasks.many(keys)

    async def query(self, owner: int, query: TaskQuery) -> Page:
        return Page(*await self._tasks.page(owner, query))

    async def create(self, owner: int, fields: dict[str, Any], parent: Task | None = None) -> Task:
        if parent is None:
            _check_rule_input(fields)
        now = datetime.now(UTC)
        timezone = fields.get("timezone") or self._default_timezone
        recurrence = fields.get("recurrence")
        if recurrence is None:
            recurrence = Recurrence.CUSTOM if fields.get("rrule") else Recurrence.NONE
        task = Task(
            id=0,
            title=fields["title"],
            description=fields.get("description") or "",
            due_date=fields.get("due_date"),
            timezone=timezone,
            recurrence=recurrence,
            rrule=fields.get("rrule"),
            repeat_from=fields.get("repeat_from") or RepeatFrom.DUE,
            priority=fields.get("priority") or Priority.MEDIUM,
            tags=fields.get("tags") or [],
            status=TaskStatus.PENDING,
            created_at=now,
            updated_at=now,
            reminder_offset=fields.get("reminder_offset"),
            parent_task_id=parent.id if parent else None,
            owner_id=owner,
        )
        await _settle(task, rule_changed=parent is None)
        task.id = await self._tasks.next_task_id()
        reminder = await self._new_reminder(task, task.reminder_offset, now)
        events: list[Event] = [TaskCreated(task_id=task.id, user_id=owner, task_data=task)]
        if reminder is not None:
            events.append(reminder_change(ReminderScheduled, reminder))
        created = await self._tasks.add(owner, task, reminder, events)
        if created is None:
            raise Conflict(f"task {parent.id if parent else ''} already has a successor")
        self._events_written()
        return created

    async def create_successor(
        self, owner: int, parent_id: int, due_date: datetime, rule: str
    ) -> Task | None:
        """The next occurrence of the owner's completed recurring task, the owner's too; None
        if it exists already (or the parent is gone). `rule` is the series rule the successor
        carries on (COUNT lowered as it is used)."""
        try:
            parent = await self.get(owner, parent_id)
        except NotFound:
            return None
        fields = {
            name: getattr(parent, name)
            for name in (
                "title",
                "description",
                "timezone",
                "recurrence",
                "repeat_from",
                "priority",
                "tags",
                "reminder_offset",
            )
        }
        try:
            return await self.create(
                owner, {**fields, "due_date": due_date, "rrule": rule}, parent=parent
            )
        except Conflict:
            return None

    async def update(self, owner: int, task_id: int, changes: dict[str, Any]) -> Task:
        unknown = set(changes) - task_fields.EDITABLE
        if unknown:
            raise Invalid(sorted(unknown)[0], "this field cannot be changed")
        return await self._update_with(owner, task_id, lambda _: changes)

    async def add_tags(self, owner: int, task_id: int, tags: list[str]) -> Task:
        return await self._update_with(owner, task_id, lambda task: {"tags": [*task.tags, *tags]})

    async def remove_tags(self, owner: int, task_id: int, tags: list[str]) -> Task:
        return await self._update_with(
            owner, task_id, lambda task: {"tags": [tag for tag in task.tags if tag not in tags]}
        )

    async def _update_with(
        self, owner: int, task_id: int, changes_of: Callable[[Task], dict[str, Any]]
    ) -> Task:
        for _ in range(UPDATE_ATTEMPTS):
            current = await self.get(owner, task_id)
            updated = await self._try_update(owner, current, changes_of(current))
            if updated is not None:
                return updated
        raise Conflict(f"task {task_id} kept changing while it was updated; try again")

    async def complete(self, owner: int, task_id: int) -> Task:
        current = await self.get(owner, task_id)
        if current.status == TaskStatus.COMPLETED:
            return current
        updated = await self._try_update(owner, current, {"status": TaskStatus.COMPLETED})
        return updated if updated is not None else await self.get(owner, task_id)

    async def delete(self, owner: int, task_id: int) -> None:
        current = await self.get(owner, task_id)
        pending = await self._tasks.pending_reminders(owner, task_id)
        events: list[Event] = [TaskDeleted(task_id=task_id, user_id=owner, task_data=current)]
        events += [reminder_change(ReminderCancelled, reminder) for reminder in pending]
        if not await self._tasks.remove(owner, task_id, events):
            raise NotFound("task", task_id)
        self._events_written()

    async def _try_update(self, owner: int, current: Task, changes: dict[str, Any]) -> Task | None:
        """Apply `changes` if nobody changed the task since `current` was read."""
        _check_rule_input(changes)
        now = datetime.now(UTC)
        try:
            task = Task.model_validate({**current.model_dump(), **changes})
        except ValidationError as error:
            first = error.errors()[0]
            raise Invalid(str(first["loc"][0]), first["msg"]) from None
        if "rrule" in changes and "recurrence" not in changes and changes["rrule"]:
            task.recurrence = Recurrence.CUSTOM
        if task.recurrence != Recurrence.CUSTOM and "recurrence" in changes:
            task.rrule = None
        await _settle(task, rule_changed=bool(RULE_INPUTS & set(changes)))
        reopened = current.status == TaskStatus.COMPLETED and task.status == TaskStatus.PENDING
        completing = current.status == TaskStatus.PENDING and task.status == TaskStatus.COMPLETED
        task.completed_at = now if completing else (None if reopened else current.completed_at)
        changed = {
            name: getattr(task, name)
            for name in (*task_fields.EDITABLE, "completed_at")
            if getattr(task, name) != getattr(current, name)
        }
        if not changed:
            return current
        task.updated_at = now
        reminders, events = await self._reminder_changes(owner, current, task, now)
        kind = TaskCompleted if completing else TaskUpdated
        update_data = {**changed, "updated_at": now}
        events.insert(
            0, kind(task_id=task.id, user_id=owner, task_data=task, update_data=update_data)
        )
        saved = await self._tasks.save(owner, task, changed, current.updated_at, reminders, events)
        if saved is None:
            return None
        self._events_written()
        return saved

    async def _reminder_changes(
        self, owner: int, current: Task, task: Task, now: datetime
    ) -> tuple[ReminderChanges, list[Event]]:
        """Completing, re-dating or re-offsetting a task cancels, moves or adds reminders."""
        changes = ReminderChanges()
        events: list[Event] = []
        pending = await self._tasks.pending_reminders(owner, task.id)
        keep_open = task.status == TaskStatus.PENDING and task.due_date is not None
        offset_changed = task.reminder_offset != current.reminder_offset
        for reminder in pending:
            stale_offset = offset_changed and reminder.reminder_offset == current.reminder_offset
            if not keep_open or stale_offset:
                changes.cancelled.append(reminder.id)
                events.append(reminder_change(ReminderCancelled, reminder))
            elif task.due_date != current.due_date and task.due_date is not None:
                reminder.scheduled_at = task.due_date - parse_offset(reminder.reminder_offset)
                changes.moved.append(reminder)
                events.append(reminder_change(ReminderScheduled, reminder))
        reopened = current.status == TaskStatus.COMPLETED and task.status == TaskStatus.PENDING
        redated_without_reminder = current.due_date is None and task.due_date is not None
        if keep_open and (offset_changed or reopened or redated_without_reminder):
            added = await self._new_reminder(task, task.reminder_offset, now)
            if added is not None:
                changes.added.append(added)
                events.append(reminder_change(ReminderScheduled, added))
        return changes, events

    async def _new_reminder(self, task: Task, offset: str | None, now: datetime) -> Reminder | None:
        if offset is None or task.due_date is None or task.status == TaskStatus.COMPLETED:
            return None
        return Reminder(
            id=await self._tasks.next_reminder_id(),
            task_id=task.id,
            reminder_offset=offset,
            scheduled_at=task.due_date - parse_offset(offset),
            status=ReminderStatus.PENDING,
            created_at=now,
            owner_id=task.owner_id,
        )


async def _settle(task: Task, *, rule_changed: bool) -> None:
    """Check the fields against each other and derive the series rule and canonical forms.
    The rule is expanded (to check it has dates) off the event loop."""
    try:
        zone = timezone_or_error(task_fields.timezone(task.timezone))
    except ValueError as error:
        raise Invalid("timezone", str(error)) from error
    if task.due_date is not None and task.due_date.tzinfo is None:
        task.due_date = task.due_date.replace(tzinfo=zone).astimezone(UTC)
    elif task.due_date is not None:
        task.due_date = task.due_date.astimezone(UTC)
    if task.reminder_offset is not None:
        try:
            task.reminder_offset = task_fields.reminder_offset(task.reminder_offset)
        except ValueError as error:
            raise Invalid("reminder_offset", str(error)) from error
    try:
        task.tags = task_fields.tags(task.tags)
    except ValueError as error:
        raise Invalid("tags", str(error)) from error
    if task.recurrence == Recurrence.CUSTOM and not task.rrule:
        raise Invalid("rrule", task_fields.CUSTOM_NEEDS_RRULE)
    if not rule_changed:
        return
    anchor = (task.due_date or datetime.now(UTC)).astimezone(zone).replace(tzinfo=None)
    try:
        task.rrule = await asyncio.to_thread(series_rule, task.recurrence, task.rrule, anchor)
    except ValueError as error:
        raise Invalid("rrule", str(error)) from error


def _check_rule_input(fields: dict[str, Any]) -> None:
    recurrence = fields.get("recurrence")
    if fields.get("rrule") and recurrence not in (None, Recurrence.CUSTOM):
        raise Invalid("rrule", f"an rrule goes with recurrence 'custom', not {recurrence!r}")
