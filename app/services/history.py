"""A task's history: the recurrence chain it belongs to and the events recorded about it."""

from dataclasses import dataclass

from app.domain.models import AuditLogEntry, Task
from app.ports import Sql
from app.repositories.tasks import TaskRepository
from app.services.audit import AuditService
from app.services.errors import NotFound
from app.services.tasks import TaskService

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
        self._repository = TaskRepository(sql)
        self._tasks = tasks
        self._audit = audit

    async def of(self, owner: int, task_id: int) -> History:
        task = await self._tasks.get(owner, task_id)
        earlier: list[Task] = []
        parent_id = task.parent_task_id
        while parent_id is not None and len(earlier) < MAX_CHAIN:
            try:
                parent = await self._tasks.get(owner, parent_id)
            except NotFound:
                break
            earlier.insert(0, parent)
            parent_id = parent.parent_task_id
        later: list[Task] = []
        current = task.id
        while len(later) < MAX_CHAIN:
            successor = await self._repository.successor(owner, current)
            if successor is None:
                break
            later.append(successor)
            current = successor.id
        events, total = await self._audit.page(owner, task_id=task_id, limit=MAX_EVENTS)
        return History(task, earlier, later, events, total)
