"""Reminder events -> one-shot jobs; a job firing -> reminder.triggered."""

from datetime import UTC, datetime
from typing import Any

from app.domain.events import REMINDERS, new_event
from app.ports import Event, EventBus, Jobs


def job_name(reminder_id: int) -> str:
    return f"reminder-{reminder_id}"


class RemindersHandler:
    def __init__(self, jobs: Jobs) -> None:
        self._jobs = jobs

    async def __call__(self, topic: str, event: Event) -> None:
        """Subscribed to `reminders`: keep one job per pending reminder."""
        event_type = event.get("event_type")
        if event_type == "reminder.scheduled":
            await self._jobs.schedule(
                job_name(int(event["reminder_id"])),
                datetime.fromisoformat(event["scheduled_at"]),
                {
                    "reminder_id": event["reminder_id"],
                    "task_id": event["task_id"],
                    "scheduled_at": event["scheduled_at"],
                    "correlation_id": event.get("correlation_id"),
                },
            )
        elif event_type == "reminder.cancelled":
            await self._jobs.cancel(job_name(int(event["reminder_id"])))


async def publish_triggered(bus: EventBus, name: str, data: dict[str, Any]) -> None:
    """The scheduler calls back when a reminder is due (or overdue after an outage)."""
    await bus.publish(
        REMINDERS,
        new_event(
            "reminder.triggered",
            task_id=data["task_id"],
            correlation_id=data.get("correlation_id"),
            reminder_id=data["reminder_id"],
            scheduled_at=data["scheduled_at"],
            fired_at=datetime.now(UTC).isoformat(),
        ),
    )
