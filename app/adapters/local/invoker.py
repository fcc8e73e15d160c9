"""Service invocation in one process: the recurrence processor calls the task service."""

from datetime import datetime

from app.services.tasks import TaskService


class DirectInvoker:
    def __init__(self, tasks: TaskService) -> None:
        self._tasks = tasks

    async def create_successor(self, parent_id: int, due_date: datetime, rule: str) -> None:
        await self._tasks.create_successor(parent_id, due_date, rule)
