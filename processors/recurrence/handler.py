"""task.completed of a recurring task -> its next occurrence, created through the app."""

import asyncio
import logging
from datetime import datetime

from app.domain.enums import Recurrence, RepeatFrom
from app.domain.recurrence import successor
from app.ports import Event, Invoker
from app.services.errors import MalformedEvent

log = logging.getLogger(__name__)


class RecurrenceHandler:
    def __init__(self, app: Invoker) -> None:
        self._app = app

    async def __call__(self, topic: str, event: Event) -> None:
        try:
            task = event["task_data"]
            if task.get("recurrence", Recurrence.NONE) == Recurrence.NONE or not task.get("rrule"):
                return
            task_id = int(task["id"])
            due = datetime.fromisoformat(task["due_date"]) if task.get("due_date") else None
            following = await asyncio.to_thread(
                successor,
                rule=task["rrule"],
                due=due,
                timezone=task["timezone"],
                repeat_from=RepeatFrom(task["repeat_from"]),
                completed_at=datetime.fromisoformat(task["completed_at"]),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            # Retrying cannot help an event that does not say what it must.
            raise MalformedEvent(f"task.completed without a usable task_data: {error!r}") from error
        if following is None:
            log.info("task %s: its series has ended", task_id)
            return
        await self._app.create_successor(task_id, following.due, following.rule)
