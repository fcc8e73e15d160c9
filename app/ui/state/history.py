"""A task's history dialog: its recurrence chain and its audit trail."""

import dataclasses
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from app.domain.enums import TaskStatus
from app.domain.models import AuditLogEntry, Task
from app.services.errors import NotFound
from app.ui.format import ago, wall_clock
from app.ui.state.event import event
from app.ui.state.session import owner_of
from app.web import current_app

_WHAT = {
    "task.created": "Created",
    "task.updated": "Changed",
    "task.completed": "Completed",
    "task.deleted": "Deleted",
    "reminder.scheduled": "Reminder scheduled",
    "reminder.cancelled": "Reminder cancelled",
    "reminder.triggered": "Reminder fired",
    "reminder.sent": "Reminder shown",
    "notification.delivered": "Reminder delivered",
    "notification.failed": "Reminder not delivered",
}


@dataclasses.dataclass
class ChainLink:
    id: int = 0
    title: str = ""
    due: str = ""
    completed: bool = False
    current: bool = False


@dataclasses.dataclass
class AuditLine:
    when: str = ""
    exact: str = ""
    what: str = ""
    detail: str = ""


class HistoryState(rx.State):
    open: rx.Field[bool] = rx.field(False)
    task_id: rx.Field[int] = rx.field(0)
    title: rx.Field[str] = rx.field("")
    chain: rx.Field[list[ChainLink]] = rx.field(default_factory=list)
    events: rx.Field[list[AuditLine]] = rx.field(default_factory=list)
    event_total: rx.Field[int] = rx.field(0)
    error: rx.Field[str] = rx.field("")

    @event
    async def open_for(self, task_id: int) -> None:
        self.task_id = task_id
        self.open = True
        await self._load()

    @event
    def set_open(self, value: bool) -> None:
        self.open = value

    async def _load(self) -> None:
        try:
            history = await current_app().runtime.history.of(await owner_of(self), self.task_id)
        except NotFound:
            self.error = "This task no longer exists."
            self.chain, self.events, self.event_total = [], [], 0
            return
        zone = history.task.timezone
        now = datetime.now(UTC)
        self.error = ""
        self.title = history.task.title
        self.chain = [
            _link(task, zone, current=task.id == history.task.id)
            for task in [*history.earlier, history.task, *history.later]
        ]
        self.events = [_line(entry, zone, now) for entry in history.events]
        self.event_total = history.event_total

    async def _refresh(self) -> None:
        """The live feed saw changes: show them if the dialog is open."""
        if self.open and self.task_id:
            await self._load()


def _link(task: Task, zone: str, current: bool) -> ChainLink:
    return ChainLink(
        id=task.id,
        title=task.title,
        due=wall_clock(task.due_date, zone) if task.due_date else "no due date",
        completed=task.status == TaskStatus.COMPLETED,
        current=current,
    )


def _line(entry: AuditLogEntry, zone: str, now: datetime) -> AuditLine:
    return AuditLine(
        when=ago(entry.occurred_at, now),
        exact=wall_clock(entry.occurred_at, zone),
        what=_WHAT.get(entry.event_type, entry.event_type),
        detail=_detail(entry.event_type, entry.data, zone),
    )


def _detail(event_type: str, data: dict[str, Any], zone: str) -> str:
    if event_type == "task.updated":
        changed = data.get("update_data") or {}
        names = [name.replace("_", " ") for name in changed if name != "updated_at"]
        return ", ".join(names)
    if event_type == "task.created":
        parent = (data.get("task_data") or {}).get("parent_task_id")
        return f"next in the series after task {parent}" if parent else ""
    if event_type.startswith("reminder.") and data.get("scheduled_at"):
        at = wall_clock(datetime.fromisoformat(data["scheduled_at"]), zone)
        late = " (late)" if data.get("late") else ""
        return f"for {at}{late}"
    if event_type.startswith("notification."):
        tries = data.get("attempts", 1)
        detail = f"by {data.get('channel_type')} after {tries} attempt{'s' * (tries != 1)}"
        return f"{detail}: {data['error']}" if data.get("error") else detail
    return ""
