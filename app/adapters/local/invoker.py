"""Service invocation in one process: the recurrence handler calls the app's use case."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

CreateSuccessor = Callable[[int, datetime, str], Awaitable[Any]]


class DirectInvoker:
    def __init__(self, create_successor: CreateSuccessor) -> None:
        self._create_successor = create_successor

    async def create_successor(self, parent_id: int, due_date: datetime, rule: str) -> None:
        await self._create_successor(parent_id, due_date, rule)
