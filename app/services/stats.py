"""Figures for the stats view: open and completed tasks day by day, overdue, priorities, tags.

Days are whole days on the wall clock of the given zone. "Open on a day" counts the tasks that
exist now, were created by the end of that day and were not completed by then.
"""

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain.enums import Priority, TaskStatus
from app.domain.queries import TaskQuery
from app.ports import Sql
from app.repositories.tasks import TaskRepository
from app.services.tasks import TaskService

TOP_TAGS = 8


@dataclass(frozen=True)
class Day:
    day: date
    open: int
    completed: int


@dataclass(frozen=True)
class Stats:
    days: list[Day]
    open: int
    overdue: int
    by_priority: dict[Priority, int]
    # The most used tags of open tasks, most used first.
    by_tag: list[tuple[str, int]]


class StatsService:
    def __init__(self, sql: Sql, tasks: TaskService) -> None:
        self._repository = TaskRepository(sql)
        self._tasks = tasks

    async def snapshot(self, owner: int, now: datetime, zone: str, days: int = 30) -> Stats:
        """The owner's figures."""
        local_zone = ZoneInfo(zone)
        today = now.astimezone(local_zone).date()
        first = today - timedelta(days=days - 1)
        start = datetime.combine(first, time(), tzinfo=local_zone)
        open_now = await self._count(owner, TaskQuery(status=TaskStatus.PENDING))
        overdue = await self._count(owner, TaskQuery(status=TaskStatus.PENDING, due_before=now))
        by_priority = {
            priority: await self._count(
                owner, TaskQuery(status=TaskStatus.PENDING, priority=priority)
            )
            for priority in (Priority.HIGH, Priority.MEDIUM, Priority.LOW)
        }
        recent = await self._repository.activity_since(owner, start)
        series = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            day_start = datetime.combine(day, time(), tzinfo=local_zone)
            end = min(day_start + timedelta(days=1), now)
            completed = sum(1 for _, done in recent if done is not None and day_start <= done < end)
            created_later_open = sum(1 for made, done in recent if made >= end and done is None)
            open_then_done_later = sum(
                1 for made, done in recent if made < end and done is not None and done >= end
            )
            series.append(Day(day, open_now - created_later_open + open_then_done_later, completed))
        tags = Counter(
            tag for task_tags in await self._repository.pending_tags(owner) for tag in task_tags
        )
        return Stats(series, open_now, overdue, by_priority, tags.most_common(TOP_TAGS))

    async def _count(self, owner: int, query: TaskQuery) -> int:
        return (await self._tasks.query(owner, dataclasses.replace(query, limit=1))).total
