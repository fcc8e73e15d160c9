"""Chooses the adapters once, at start-up, and wires services and processors to them."""

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from app.adapters.local.bus import InProcessBus
from app.adapters.local.invoker import DirectInvoker
from app.adapters.local.jobs import AsyncioJobs
from app.adapters.local.sql import EngineSql, create_engine
from app.config import Settings
from app.domain.events import REMINDERS, TASK_EVENTS, TOPICS
from app.ports import Sql
from app.services.audit import AuditService
from app.services.outbox import OutboxRelay
from app.services.reminders import ReminderService
from app.services.tasks import TaskService
from processors.audit.handler import AuditHandler
from processors.recurrence.handler import RecurrenceHandler
from processors.reminders.handler import RemindersHandler, job_name, publish_triggered


@dataclass
class Runtime:
    settings: Settings
    sql: Sql
    tasks: TaskService
    reminders: ReminderService
    audit: AuditService
    relay: OutboxRelay
    jobs: AsyncioJobs
    _background: list[asyncio.Task[None]] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Start the outbox relay and re-arm the timers of pending reminders."""
        for reminder in await self.reminders.pending():
            await self.jobs.schedule(
                job_name(reminder.id),
                reminder.scheduled_at,
                {
                    "reminder_id": reminder.id,
                    "task_id": reminder.task_id,
                    "scheduled_at": reminder.scheduled_at.isoformat(),
                },
            )
        self._background.append(asyncio.create_task(self.relay.run()))
        try:
            yield
        finally:
            for task in self._background:
                task.cancel()
            await self.jobs.close()
            self._background.clear()


def build_runtime(settings: Settings) -> Runtime:
    if settings.runtime != "local":
        raise ValueError(f"TASKFLOW_RUNTIME={settings.runtime!r} is not available yet")
    sql = EngineSql(create_engine(settings.database_url))
    bus = InProcessBus()
    relay = OutboxRelay(sql, bus)
    tasks = TaskService(sql, settings.timezone, relay.notify)
    reminders = ReminderService(sql, tasks, relay.notify)
    audit = AuditService(sql)

    jobs = AsyncioJobs(functools.partial(publish_triggered, bus))

    bus.subscribe(TASK_EVENTS, RecurrenceHandler(DirectInvoker(tasks)))
    bus.subscribe(REMINDERS, RemindersHandler(jobs))
    bus.subscribe(REMINDERS, reminders.handle_event)
    for topic in TOPICS:
        bus.subscribe(topic, AuditHandler(audit))
    return Runtime(settings, sql, tasks, reminders, audit, relay, jobs)
