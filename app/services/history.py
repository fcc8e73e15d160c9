"""A task's history: the recurrence chain it belongs to and the events recorded about it."""

from dataclasses import dataclass

import sqlalchemy as sa

from app.domain.models import AuditLogEntry, Task
from app.ports import Sql
from app.services.audit import AuditService
from app.services.errors import NotFound
from app.services.rows import from_rows
from app.services.tasks import TASK, TASK_COLUMNS, TaskService

MAX_CHAIN = 50
MAX_EVENTS = 100


@dataclass(frozen=True)
class History:
    task: Task
    # The tasks this one was created after, oldest first, and the ones created after it.
    earlier: list[Task]
    later: list[Task]
    events: list[AuditLogEntry]
    event_total: int


class HistoryService:
    def __init__(self, sql: Sql, tasks: TaskService, audit: AuditService) -> None:
        self._sql = sql
        self._tasks = tasks
        self._audit = audit

    async def of(self, task_id: int) -> History:
        task = await self._tasks.get(task_id)
        earlier: list[Task] = []
        parent_id = task.parent_task_id
        while parent_id is not None and len(earlier) < MAX_CHAIN:
            try:
                parent = await self._tasks.get(parent_id)
            except NotFound:
                break
            earlier.insert(0, parent)
            parent_id = parent.parent_task_id
        later: list[Task] = []
        current = task.id
        while len(later) < MAX_CHAIN:
            successor = await self._successor(current)
            if successor is None:
                break
            later.append(successor)
            current = successor.id
        events, total = await self._audit.page(task_id=task_id, limit=MAX_EVENTS)
        return History(task, earlier, later, events, total)

    async def _successor(self, task_id: int) -> Task | None:
        rows = await self._sql.fetch(
            sa.select(*TASK_COLUMNS).where(TASK.c.parent_task_id == task_id)
        )
        found = from_rows(Task, rows)
        return found[0] if found else None
