"""task.completed of a recurring task -> its next occurrence, created through the app for the
task's owner (the event's user)."""

import asyncio
import logging

from app.domain.enums import Recurrence
from app.domain.events import TaskCompleted
from app.domain.recurrence import successor_of
from app.ports import Invoker
from app.services.errors import MalformedEvent

log = logging.getLogger(__name__)


class RecurrenceHandler:
    def __init__(self, app: Invoker) -> None:
        self._app = app

    async def __call__(self, topic: str, event: TaskCompleted) -> None:
        task = event.task_data
        if task.recurrence == Recurrence.NONE or not task.rrule:
            return
        if event.user_id is None:
            raise MalformedEvent("task.completed without the task's owner")
        try:
            following = await asyncio.to_thread(successor_of, task)
        except ValueError as error:
            # Retrying cannot help an event whose series cannot be read.
            raise MalformedEvent(f"task.completed with an unusable series: {error!r}") from error
        if following is None:
            log.info("task %s: its series has ended", task.id)
            return
        await self._app.create_successor(event.user_id, task.id, following.due, following.rule)
