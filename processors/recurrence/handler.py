"""task.completed of a recurring task -> its next occurrence, created through the app."""

import asyncio
import logging
from datetime import datetime

from app.domain.enums import Recurrence, RepeatFrom
from app.domain.recurrence import successor
from app.ports import Event, Invoker

log = logging.getLogger(__name__)


class RecurrenceHandler:
    def __init__(self, app: Invoker) -> None:
        self._app = app

    async def __call__(self, topic: str, event: Event) -> None:
        if event.get("event_type") != "task.completed":
            return
        task = event["task_data"]
        if task.get("recurrence", Recurrence.NONE) == Recurrence.NONE or not task.get("rrule"):
            return
        due = datetime.fromisoformat(task["due_date"]) if task.get("due_date") else None
        following = await asyncio.to_thread(
            successor,
            rule=task["rrule"],
            due=due,
            timezone=task["timezone"],
            repeat_from=RepeatFrom(task["repeat_from"]),
            completed_at=datetime.fromisoformat(task["completed_at"]),
        )
        if following is None:
            log.info("task %s: its series has ended", task["id"])
            return
        await self._app.create_successor(int(task["id"]), following.due, following.rule)
