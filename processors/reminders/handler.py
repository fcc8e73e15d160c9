"""Reminder events -> one-shot jobs; a job coming due -> reminder.triggered."""

from datetime import datetime

from app.domain.enums import ReminderStatus
from app.domain.events import (
    REMINDERS,
    ReminderCancelled,
    ReminderScheduled,
    ReminderTriggered,
    message,
)
from app.ports import Clock, EventBus, Jobs, utc_now
from app.services.reminders import ReminderService, job_name, reminder_of_job


class RemindersHandler:
    def __init__(
        self,
        jobs: Jobs,
        bus: EventBus,
        reminders: ReminderService,
        clock: Clock = utc_now,
    ) -> None:
        self._jobs = jobs
        self._bus = bus
        self._reminders = reminders
        self._clock = clock

    async def __call__(self, topic: str, event: ReminderScheduled | ReminderCancelled) -> None:
        """Subscribed to `reminders`: keep one job per pending reminder."""
        name = job_name(event.reminder_id)
        if isinstance(event, ReminderScheduled):
            await self._jobs.schedule(name, event.scheduled_at)
        else:
            await self._jobs.cancel(name)

    async def on_job(self, name: str, armed_for: datetime) -> None:
        """The scheduler calls back when a reminder is due (or overdue after an outage). Only
        a job armed for the reminder's current time, while it is pending, triggers it, for the
        reminder's owner."""
        reminder_id = reminder_of_job(name)
        if reminder_id is None:
            return
        reminder = await self._reminders.of_job(reminder_id)
        if reminder is None:
            return
        if reminder.status != ReminderStatus.PENDING or reminder.scheduled_at != armed_for:
            return
        triggered = ReminderTriggered(
            task_id=reminder.task_id,
            user_id=reminder.owner_id,
            reminder_id=reminder.id,
            scheduled_at=armed_for,
            fired_at=self._clock(),
        )
        try:
            await self._bus.publish(REMINDERS, message(triggered))
        except Exception:
            # The scheduler (or the embedded timers) will try again: count it.
            await self._reminders.count_retry(reminder.id, armed_for)
            raise
