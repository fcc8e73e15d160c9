"""Each processor as its own ASGI service behind its own Dapr sidecar."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response, status

from app.adapters.dapr.bus import SidecarBus
from app.adapters.dapr.invoker import SidecarInvoker
from app.adapters.dapr.jobs import SchedulerJobs
from app.adapters.dapr.sidecar import Sidecar
from app.adapters.dapr.sql import BindingSql
from app.api.routes.dapr import callbacks_router
from app.config import Settings
from app.domain.events import REMINDERS, TASK_EVENTS, TOPICS
from app.ports import EventHandler, JobHandler
from app.services.audit import AuditService
from app.services.dead_letters import DeadLetterForwarder, DeadLetterService
from app.services.reconcile import ReminderJobsSweep, Sweep, run_sweeps
from app.services.reminders import ReminderService
from app.services.tasks import TaskService
from processors.audit.handler import AuditHandler
from processors.recurrence.handler import RecurrenceHandler
from processors.reminders.handler import RemindersHandler

NAMES = ("recurrence", "reminders", "audit")


def _no_outbox() -> None:
    """Processors never write events; a replayed dead letter is relayed by the app."""


def create_processor_app(name: str, settings: Settings) -> FastAPI:
    sidecar = Sidecar()
    sql = BindingSql(sidecar)
    on_job: JobHandler | None = None
    sweeps: list[Sweep] = []
    ready: Callable[[], Awaitable[None]] = sql.ping
    subscriptions: dict[str, list[EventHandler]]
    if name == "recurrence":
        subscriptions = {TASK_EVENTS: [RecurrenceHandler(SidecarInvoker(sidecar))]}
        ready = _opened(sidecar)
    elif name == "reminders":
        tasks = TaskService(sql, settings.timezone, _no_outbox)
        jobs = SchedulerJobs(sidecar)
        reminder_service = ReminderService(sql, tasks, _no_outbox)
        reminders = RemindersHandler(jobs, SidecarBus(sidecar), reminder_service)
        subscriptions = {REMINDERS: [reminders]}
        on_job = reminders.on_job
        # This processor owns the jobs, so it is the one that arms lost ones again.
        sweeps = [ReminderJobsSweep(reminder_service, jobs)]
    elif name == "audit":
        handler = AuditHandler(AuditService(sql))
        subscriptions = {topic: [handler] for topic in TOPICS}
    else:
        raise ValueError(f"no processor named {name!r}; choose one of {', '.join(NAMES)}")

    async def reconcile() -> None:
        await sidecar.connected()
        await run_sweeps(sweeps, settings.reconcile_seconds)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await sidecar.open()
        sweeping = asyncio.create_task(reconcile()) if sweeps else None
        try:
            yield
        finally:
            if sweeping is not None:
                sweeping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeping
            await sidecar.close()

    service = FastAPI(title=f"TaskFlow {name} processor", lifespan=lifespan)
    # An event a handler rejects as malformed waits in the app's dead-letter list for a replay;
    # the recurrence processor has no database, so it forwards such events to the app.
    dead_letters: DeadLetterService | DeadLetterForwarder = (
        DeadLetterForwarder(SidecarBus(sidecar))
        if name == "recurrence"
        else DeadLetterService(sql, _no_outbox)
    )
    service.include_router(callbacks_router(subscriptions, dead_letters, on_job))

    @service.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "alive", "processor": name}

    @service.get("/health/ready")
    async def is_ready(response: Response) -> dict[str, str]:
        try:
            await ready()
        except Exception as error:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
            return {"status": "unhealthy", "processor": name, "error": type(error).__name__}
        return {"status": "healthy", "processor": name}

    return service


def _opened(sidecar: Sidecar) -> Callable[[], Awaitable[None]]:
    async def check() -> None:
        _ = sidecar.client

    return check
