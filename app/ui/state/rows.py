"""What one board row shows of a task, worded on the server: the browser only lays it out."""

import dataclasses
from datetime import datetime

from app.chat.offline.replies import repetition
from app.domain.enums import Recurrence, TaskStatus
from app.domain.models import Task
from app.domain.offsets import timing
from app.ui.format import relative_due, wall_clock


@dataclasses.dataclass
class TaskRow:
    id: int = 0
    title: str = ""
    description: str = ""
    priority: str = "medium"
    completed: bool = False
    due: str = ""
    due_exact: str = ""
    overdue: bool = False
    tags: list[str] = dataclasses.field(default_factory=list)
    repeats: str = ""
    reminder: str = ""
    # "Next reminder Wed 2 Dec 2026, 10:47" while a reminder snoozed (or added apart from the
    # task's own offset) waits.
    next_reminder: str = ""


def row_of(task: Task, now: datetime, reminder_at: datetime | None = None) -> TaskRow:
    completed = task.status == TaskStatus.COMPLETED
    due = due_exact = ""
    overdue = False
    if task.due_date is not None:
        due_exact = wall_clock(task.due_date, task.timezone)
        due = due_exact if completed else relative_due(task.due_date, now)
        overdue = not completed and task.due_date < now
    repeats = ""
    if task.recurrence != Recurrence.NONE:
        repeats = "Repeats " + (
            repetition({"recurrence": task.recurrence.value, "rrule": task.rrule})
            or task.rrule
            or task.recurrence.value
        )
    reminder = f"Reminder {timing(task.reminder_offset)}" if task.reminder_offset else ""
    return TaskRow(
        id=task.id,
        title=task.title,
        description=task.description,
        priority=task.priority.value,
        completed=completed,
        due=due,
        due_exact=due_exact,
        overdue=overdue,
        tags=list(task.tags),
        repeats=repeats,
        reminder=reminder,
        next_reminder=(
            "" if reminder_at is None else f"Next reminder {wall_clock(reminder_at, task.timezone)}"
        ),
    )
