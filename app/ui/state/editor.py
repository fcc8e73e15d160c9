"""The create/edit dialog: every field of a task, with the next dates of its series previewed."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec

from app.domain import task_fields
from app.domain.enums import Priority, Recurrence, RepeatFrom
from app.domain.models import Task
from app.domain.recurrence import preview, series_rule, timezone_or_error
from app.services.errors import Conflict, Invalid, NotFound
from app.ui.format import input_value, wall_clock
from app.ui.state.board import BoardState
from app.ui.state.event import event
from app.ui.state.session import owner_of
from app.web import current_app

PREVIEW_COUNT = 3
Choice = TypeVar("Choice", Priority, Recurrence, RepeatFrom)
Value = TypeVar("Value")


class EditorState(rx.State):
    open: rx.Field[bool] = rx.field(False)
    task_id: rx.Field[int] = rx.field(0)
    title: rx.Field[str] = rx.field("")
    description: rx.Field[str] = rx.field("")
    due: rx.Field[str] = rx.field("")
    timezone: rx.Field[str] = rx.field("")
    priority: rx.Field[str] = rx.field(Priority.MEDIUM.value)
    tags: rx.Field[str] = rx.field("")
    recurrence: rx.Field[str] = rx.field(Recurrence.NONE.value)
    rrule: rx.Field[str] = rx.field("")
    repeat_from: rx.Field[str] = rx.field(RepeatFrom.DUE.value)
    reminder_offset: rx.Field[str] = rx.field("")
    next_dates: rx.Field[list[str]] = rx.field(default_factory=list)
    rule_problem: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")

    @rx.var
    def heading(self) -> str:
        return "Edit task" if self.task_id else "New task"

    @event
    async def open_new(self) -> None:
        await self._fill(None)
        self.open = True

    @event
    async def open_edit(self, task_id: int) -> EventSpec | None:
        try:
            task = await current_app().runtime.tasks.get(await owner_of(self), task_id)
        except NotFound:
            return rx.toast.error("That task no longer exists.")
        await self._fill(task)
        self.open = True
        return None

    @event
    def set_open(self, value: bool) -> None:
        self.open = value

    @event
    async def set_due(self, value: str) -> None:
        self.due = value
        await self._preview()

    @event
    async def set_timezone(self, value: str) -> None:
        self.timezone = value.strip()
        await self._preview()

    @event
    async def set_recurrence(self, value: str) -> None:
        if value in {kind.value for kind in Recurrence}:
            self.recurrence = value
            await self._preview()

    @event
    async def set_rrule(self, value: str) -> None:
        self.rrule = value
        await self._preview()

    @event
    def set_priority(self, value: str) -> None:
        self.priority = value

    @event
    def set_repeat_from(self, value: str) -> None:
        self.repeat_from = value

    @event
    async def save(self, form: dict[str, Any]) -> Any:
        try:
            runtime = current_app().runtime
            fields = form_fields(form, runtime.settings.timezone)
            tasks = runtime.tasks
            owner = await owner_of(self)
            if self.task_id:
                saved = await tasks.update(owner, self.task_id, fields)
            else:
                saved = await tasks.create(owner, fields)
        except Invalid as error:
            self.error = f"{error.field.replace('_', ' ').capitalize()}: {error}"
            return None
        except NotFound:
            self.error = "This task was deleted meanwhile."
            return None
        except Conflict as error:
            self.error = f"{error}"
            return None
        self.open = False
        board = await self.get_state(BoardState)
        await board._reload()
        return rx.toast.success(f"Saved “{saved.title}”")

    async def _fill(self, task: Task | None) -> None:
        settings = current_app().runtime.settings
        self.task_id = task.id if task else 0
        self.title = task.title if task else ""
        self.description = task.description if task else ""
        self.timezone = task.timezone if task else settings.timezone
        self.due = input_value(task.due_date, self.timezone) if task else ""
        self.priority = task.priority.value if task else Priority.MEDIUM.value
        self.tags = ", ".join(task.tags) if task else ""
        self.recurrence = task.recurrence.value if task else Recurrence.NONE.value
        self.rrule = (task.rrule or "") if task else ""
        self.repeat_from = task.repeat_from.value if task else RepeatFrom.DUE.value
        self.reminder_offset = (task.reminder_offset or "") if task else ""
        self.error = ""
        await self._preview()

    async def _preview(self) -> None:
        """The first dates of the series as the form stands, or what is wrong with it; worked
        out off the event loop, since a rule is expanded for them."""
        self.next_dates, self.rule_problem = await asyncio.to_thread(
            describe_series,
            Recurrence(self.recurrence),
            self.rrule,
            self.due,
            self.timezone or current_app().runtime.settings.timezone,
            datetime.now(UTC),
        )


def form_fields(form: dict[str, Any], default_timezone: str) -> dict[str, Any]:
    """The task's fields from the submitted form, as the task service takes them, each checked
    as the API and the chat tools check it."""
    zone_name = str(form.get("timezone", "")).strip() or default_timezone
    zone = ZoneInfo(_checked("timezone", task_fields.timezone, zone_name))
    try:
        due = _local(str(form.get("due", "")), zone)
    except ValueError as error:
        raise Invalid("due_date", str(error)) from error
    recurrence = _choice(form.get("recurrence"), Recurrence, Recurrence.NONE)
    tags = [tag for tag in str(form.get("tags", "")).split(",") if tag.strip()]
    offset = str(form.get("reminder_offset", "")).strip()
    fields: dict[str, Any] = {
        "title": _checked("title", task_fields.title, str(form.get("title", ""))),
        "description": _checked(
            "description", task_fields.description, str(form.get("description", ""))
        ),
        "due_date": due,
        "timezone": zone_name,
        "priority": _choice(form.get("priority"), Priority, Priority.MEDIUM),
        "tags": _checked("tags", task_fields.tags, tags),
        "recurrence": recurrence,
        "repeat_from": _choice(form.get("repeat_from"), RepeatFrom, RepeatFrom.DUE),
        "reminder_offset": (
            _checked("reminder_offset", task_fields.reminder_offset, offset) if offset else None
        ),
    }
    if recurrence == Recurrence.CUSTOM:
        rule = str(form.get("rrule", "")).strip()
        if not rule:
            raise Invalid("rrule", task_fields.CUSTOM_NEEDS_RRULE)
        fields["rrule"] = _checked("rrule", task_fields.rrule, rule)
    if fields["reminder_offset"] and due is None:
        raise Invalid("reminder_offset", "a reminder needs a due date")
    return fields


def describe_series(
    recurrence: Recurrence, rrule: str, due: str, timezone: str, now: datetime
) -> tuple[list[str], str]:
    """The first dates (on the wall clock of `timezone`) of a series due at `due`, a
    datetime-local value (empty: from `now`), or what is wrong with it."""
    if recurrence == Recurrence.NONE:
        return [], ""
    try:
        zone = timezone_or_error(timezone)
        start = _local(due, zone) or now.astimezone(zone)
        rule = series_rule(recurrence, rrule, start.replace(tzinfo=None))
        if rule is None:
            return [], ""
        dates = preview(rule, start, zone.key, PREVIEW_COUNT)
    except ValueError as error:
        return [], str(error)
    if not dates:
        return [], "This rule has no dates from the due date on."
    return [wall_clock(moment, zone.key) for moment in dates], ""


def _local(text: str, zone: ZoneInfo) -> datetime | None:
    """A datetime-local input's value on the wall clock of `zone`."""
    if not text.strip():
        return None
    moment = datetime.fromisoformat(task_fields.moment_text(text.strip()))
    return task_fields.due_date(moment).replace(tzinfo=zone)


def _checked(field: str, check: Callable[[Value], Value], value: Value) -> Value:
    try:
        return check(value)
    except ValueError as error:
        raise Invalid(field, str(error)) from error


def _choice(value: Any, kind: type[Choice], default: Choice) -> Choice:
    try:
        return kind(str(value))
    except ValueError:
        return default
