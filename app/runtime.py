"""Chooses the adapters once, at start-up, and wires services and processors to them."""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from app.adapters.dapr.bus import SidecarBus
from app.adapters.dapr.secrets import SidecarSecrets
from app.adapters.dapr.sidecar import Sidecar
from app.adapters.dapr.sql import BindingSql
from app.adapters.dapr.state import SidecarKeyValue
from app.adapters.local.bus import InProcessBus
from app.adapters.local.invoker import DirectInvoker
from app.adapters.local.jobs import AsyncioJobs
from app.adapters.local.kv import SqlKeyValue
from app.adapters.local.secrets import EnvSecrets
from app.adapters.local.sql import EngineSql, create_engine
from app.chat.conversation import ConversationStore, HistoryLimits
from app.chat.gemini import GeminiAgent, GeminiSettings
from app.chat.mcp_server import McpEndpoint
from app.chat.offline.assistant import OfflineAssistant
from app.chat.service import ChatService
from app.chat.tools import ToolSet
from app.config import Settings
from app.domain.events import REMINDERS, TASK_EVENTS, TASK_UPDATES, TOPICS
from app.live import LiveFeed
from app.ports import EventBus, EventHandler, KeyValue, Secrets, Sql, utc_now
from app.services.audit import AuditService
from app.services.dead_letters import DeadLetterService
from app.services.health import HealthService
from app.services.outbox import OutboxRelay
from app.services.reconcile import (
    ReminderJobsSweep,
    SuccessorSweep,
    Sweep,
    arm_pending,
    run_sweeps,
)
from app.services.reminders import ReminderService
from app.services.tasks import TaskService
from processors.audit.handler import AuditHandler
from processors.recurrence.handler import RecurrenceHandler
from processors.reminders.handler import RemindersHandler


@dataclass
class Runtime:
    settings: Settings
    sql: Sql
    tasks: TaskService
    reminders: ReminderService
    audit: AuditService
    relay: OutboxRelay
    dead_letters: DeadLetterService
    health: HealthService
    kv: KeyValue
    chat: ChatService
    mcp: McpEndpoint
    # What the app consumes; in Dapr mode the sidecar delivers it to /events/<topic>.
    subscriptions: dict[str, list[EventHandler]]
    sidecar: Sidecar | None = None
    # Embedded reminder timers, re-armed from the reminders table at every start.
    jobs: AsyncioJobs | None = None
    # Every task-updates event, for the browser tabs this process serves.
    live: LiveFeed = field(default_factory=LiveFeed)
    # The reconciliation this process runs (Dapr: the reminders processor re-arms jobs).
    sweeps: list[Sweep] = field(default_factory=list)
    _background: list[asyncio.Task[None]] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Open the sidecar, re-arm pending reminders, run the outbox relay and the
        reconciliation, serve MCP."""
        if self.sidecar is not None:
            await self.sidecar.open()
        if self.jobs is not None:
            await arm_pending(self.reminders, self.jobs)
        self._background.append(asyncio.create_task(self._relay()))
        self._background.append(asyncio.create_task(self._reconcile()))
        try:
            async with self.mcp.running():
                yield
        finally:
            for task in self._background:
                task.cancel()
            self._background.clear()
            if self.jobs is not None:
                await self.jobs.close()
            if self.sidecar is not None:
                await self.sidecar.close()

    async def _relay(self) -> None:
        if self.sidecar is not None:
            await self.sidecar.connected()
        await self.relay.run()

    async def _reconcile(self) -> None:
        if self.sidecar is not None:
            await self.sidecar.connected()
        await run_sweeps(self.sweeps, self.settings.reconcile_seconds)


@dataclass(frozen=True)
class Adapters:
    sql: Sql
    bus: EventBus
    kv: KeyValue
    secrets: Secrets
    sidecar: Sidecar | None


def build_adapters(settings: Settings) -> Adapters:
    """Embedded: SQLAlchemy and in-process parts. Dapr: everything through the sidecar."""
    if settings.runtime == "local":
        sql = EngineSql(create_engine(settings.database_url))
        return Adapters(sql, InProcessBus(), SqlKeyValue(sql), EnvSecrets(), None)
    if settings.runtime == "dapr":
        sidecar = Sidecar()
        return Adapters(
            BindingSql(sidecar),
            SidecarBus(sidecar),
            SidecarKeyValue(sidecar),
            SidecarSecrets(sidecar),
            sidecar,
        )
    raise ValueError(f"TASKFLOW_RUNTIME must be 'local' or 'dapr', not {settings.runtime!r}")


def build_runtime(settings: Settings) -> Runtime:
    adapters = build_adapters(settings)
    sql = adapters.sql
    relay = OutboxRelay(sql, adapters.bus, settings.delivery)
    dead_letters = DeadLetterService(sql, relay.notify)
    health = HealthService(sql, relay, dead_letters, settings.delivery)
    tasks = TaskService(sql, settings.timezone, relay.notify)
    reminders = ReminderService(sql, tasks, relay.notify)
    audit = AuditService(sql)
    subscriptions: dict[str, list[EventHandler]] = defaultdict(list)
    subscriptions[REMINDERS].append(reminders.handle_event)
    live = LiveFeed()
    subscriptions[TASK_UPDATES].append(live.publish)

    jobs = None
    sweeps: list[Sweep] = [SuccessorSweep(sql, tasks)]
    if isinstance(adapters.bus, InProcessBus):
        # Embedded: the processors' handlers run in this process, on the in-process bus.
        jobs = AsyncioJobs()
        reminders_processor = RemindersHandler(jobs, adapters.bus, reminders)
        jobs.on_due(reminders_processor.on_job)
        sweeps.append(ReminderJobsSweep(reminders, jobs))
        subscriptions[TASK_EVENTS].append(RecurrenceHandler(DirectInvoker(tasks)))
        subscriptions[REMINDERS].append(reminders_processor)
        for topic in TOPICS:
            subscriptions[topic].append(AuditHandler(audit))
        for topic, handlers in subscriptions.items():
            for handler in handlers:
                # A handler's malformed event becomes a dead letter; other failures retry.
                adapters.bus.subscribe(topic, dead_letters.guard(handler))

    tools = ToolSet(tasks, reminders, settings.timezone)
    chat = ChatService(
        ConversationStore(
            adapters.kv, HistoryLimits(settings.chat_history_turns, settings.chat_history_chars)
        ),
        OfflineAssistant(tools, settings.timezone, utc_now),
        GeminiAgent(tools, GeminiSettings.from_env(), settings.timezone, utc_now),
        adapters.secrets,
    )
    return Runtime(
        settings,
        sql,
        tasks,
        reminders,
        audit,
        relay,
        dead_letters,
        health,
        adapters.kv,
        chat,
        McpEndpoint(tools),
        dict(subscriptions),
        adapters.sidecar,
        jobs,
        live,
        sweeps,
    )


_current: Runtime | None = None


def current_runtime() -> Runtime:
    """The process's runtime, built from the environment on first use (the Reflex app and
    its UI state share it)."""
    global _current
    if _current is None:
        _current = build_runtime(Settings.from_env())
    return _current
