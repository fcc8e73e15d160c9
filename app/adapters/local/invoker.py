"""Service invocation in one process: the recurrence handler calls the app's use case."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

# (owner, parent_id, due_date, rule)
CreateSuccessor = Callable[[int, int, datetime, str], Awaitable[Any]]


class DirectInvoker:
    def __init__(self, create_successor: CreateSuccessor) -> None:
        self._create_successor = create_successor

    async def create_successor(
        self, owner: int, parent_id: int, due_date: datetime, rule: str
    ) -> None:
        await self._create_successor(owner, parent_id, due_date, rule)
