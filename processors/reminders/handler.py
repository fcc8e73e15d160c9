"""Reminder events -> one-shot jobs; a job coming due -> reminder.triggered."""

from datetime import UTC, datetime

from app.domain.enums import ReminderStatus
from app.domain.events import REMINDERS, new_event
from app.ports import Event, EventBus, Jobs
from app.services.errors import NotFound
from app.services.reminders import ReminderService

JOB_PREFIX = "reminder-"


def job_name(reminder_id: int) -> str:
    return f"{JOB_PREFIX}{reminder_id}"


class RemindersHandler:
    def __init__(self, jobs: Jobs, bus: EventBus, reminders: ReminderService) -> None:
        self._jobs = jobs
        self._bus = bus
        self._reminders = reminders

    async def __call__(self, topic: str, event: Event) -> None:
        """Subscribed to `reminders`: keep one job per pending reminder."""
        event_type = event.get("event_type")
        if event_type == "reminder.scheduled":
            await self._jobs.schedule(
                job_name(int(event["reminder_id"])), datetime.fromisoformat(event["scheduled_at"])
            )
        elif event_type == "reminder.cancelled":
            await self._jobs.cancel(job_name(int(event["reminder_id"])))

    async def on_job(self, name: str) -> None:
        """The scheduler calls back when a reminder is due (or overdue after an outage)."""
        if not name.startswith(JOB_PREFIX) or not name.removeprefix(JOB_PREFIX).isdigit():
            return
        try:
            reminder = await self._reminders.get(int(name.removeprefix(JOB_PREFIX)))
        except NotFound:
            return
        if reminder.status != ReminderStatus.PENDING:
            return
        await self._bus.publish(
            REMINDERS,
            new_event(
                "reminder.triggered",
                task_id=reminder.task_id,
                reminder_id=reminder.id,
                scheduled_at=reminder.scheduled_at.isoformat(),
                fired_at=datetime.now(UTC).isoformat(),
            ),
        )
