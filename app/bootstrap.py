"""The one start-up: chooses the adapters for the mode, builds the services, and wires the
event table's handlers for the process's role. The app, each processor, the tests and the
bench all start here."""

import asyncio
import contextlib
import gc
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.adapters.local.bus import InProcessBus
from app.adapters.local.fanout import RedisFanout
from app.adapters.local.invoker import DirectInvoker
from app.adapters.local.jobs import AsyncioJobs
from app.adapters.local.kv import SqlKeyValue
from app.adapters.local.leader import FileLeadership, lock_path
from app.adapters.local.secrets import EnvSecrets
from app.adapters.local.sql import EngineSql, create_engine
from app.adapters.notify.mail import SmtpMailer
from app.adapters.notify.ntfy import NtfyPublisher
from app.adapters.notify.targets import HttpTargets
from app.adapters.notify.webhook import WebhookPoster
from app.adapters.notify.webpush import WebPushSender
from app.config import NotifySettings, Settings
from app.domain.channels import ChannelType
from app.live import LiveFeed
from app.ports import (
    Clock,
    EventBus,
    Invoker,
    JobHandler,
    Jobs,
    KeyValue,
    Secrets,
    Sender,
    ServerKeys,
    Sql,
    utc_now,
)
from app.routing import SHARED_PUBSUB, Handler, Role, routes_of
from app.services.action_links import ActionLinks
from app.services.audit import AuditService
from app.services.channels import ChannelService
from app.services.dead_letters import DeadLetterForwarder, DeadLetterService
from app.services.digests import DigestService
from app.services.dispatch import DeadLetterSink, Dispatcher, EventHandler
from app.services.health import HealthService
from app.services.history import HistoryService
from app.services.notifier import Courier
from app.services.outbox import OutboxRelay
from app.services.preferences import PreferenceService
from app.services.reconcile import ReminderJobsSweep, SuccessorSweep, Sweep, arm_pending, run_sweeps
from app.services.reminders import ReminderService
from app.services.stats import StatsService
from app.services.tasks import TaskService
from app.services.vapid_keys import VapidKeys
from processors.audit.handler import AuditHandler
from processors.notifier.handler import NotifierHandler
from processors.recurrence.handler import RecurrenceHandler
from processors.reminders.handler import RemindersHandler

if TYPE_CHECKING:
    from app.adapters.dapr.sidecar import Sidecar

log = logging.getLogger(__name__)

# The collector's thresholds: a young collection every 10,000 allocations, not CPython's 700.
# With a thousand tabs open the app holds some 400,000 objects. At 700, the short-lived objects
# of a change (each tab's listing and delta) outlived two young collections, and a full
# collection, stopping the process for 0.3 to 0.4 s, followed every 2 s; now they die young.
GC_THRESHOLDS = (10_000, 10, 10)


@dataclass
class Runtime:
    settings: Settings
    role: Role
    sql: Sql
    kv: KeyValue
    secrets: Secrets
    tasks: TaskService
    reminders: ReminderService
    audit: AuditService
    history: HistoryService
    stats: StatsService
    relay: OutboxRelay
    dead_letters: DeadLetterService
    health: HealthService
    channels: ChannelService
    # Each user's time zone, quiet hours and digest time.
    preferences: PreferenceService
    # The done and snooze links of the notifications.
    action_links: ActionLinks
    # The key pair that signs Web Push; browsers subscribe with its public key.
    vapid_keys: VapidKeys
    # The events this process consumes: in Dapr mode the sidecar delivers them to /events.
    dispatcher: Dispatcher
    # What the scheduler calls back (Dapr mode, reminders processor).
    on_job: JobHandler | None
    # Whether the process is ready to serve (what /health/ready of a processor checks).
    ready: Callable[[], Awaitable[None]]
    sidecar: "Sidecar | None" = None
    # Embedded reminder timers, re-armed from the reminders table at every start.
    jobs: AsyncioJobs | None = None
    # Every task-updates event, for the browser tabs this process serves.
    live: LiveFeed = field(default_factory=LiveFeed)
    sweeps: list[Sweep] = field(default_factory=list)
    # Sends fired reminders to their channels (embedded mode, and the notifier processor).
    courier: Courier | None = None
    # The daily digests, sent where the courier runs.
    digests: DigestService | None = None
    # Embedded mode with several workers: the one that holds it relays, keeps the reminder
    # timers and runs the sweeps and the courier; the others only serve.
    leadership: FileLeadership | None = None
    # Embedded mode with several workers: the live feed and the relay's wake-up among them.
    fanout: RedisFanout | None = None

    @property
    def embedded(self) -> bool:
        return self.settings.runtime == "local"

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Open the sidecar, re-arm pending reminders, and run the outbox relay (the app's
        role: only the app writes events), the reconciliation sweeps and the courier; with
        several workers, only in the one that leads, from when it takes the lead."""
        if self.sidecar is not None:
            await self.sidecar.open()
        background = []
        if self.fanout is not None:
            background.append(
                asyncio.create_task(self.fanout.run(self.live.publish, self.relay.notify))
            )
        if self.leadership is None:
            await self._arm_jobs()
            background.extend(asyncio.create_task(duty) for duty in self._duties())
        else:
            background.append(asyncio.create_task(self._lead(self.leadership)))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if self.jobs is not None:
                await self.jobs.close()
            if self.leadership is not None:
                self.leadership.release()
            if self.sidecar is not None:
                await self.sidecar.close()

    async def _lead(self, leadership: FileLeadership) -> None:
        await leadership.take()
        log.info("worker %d leads: it relays events and keeps the reminder timers", os.getpid())
        try:
            await self._arm_jobs()
        except Exception:
            log.exception("arming the pending reminders failed; the sweep arms them again")
        await asyncio.gather(*self._duties())

    async def _arm_jobs(self) -> None:
        if self.jobs is not None:
            await arm_pending(self.reminders, self.jobs)

    def _duties(self) -> list[Coroutine[Any, Any, None]]:
        duties = [self._reconcile()]
        if self.role == "app":
            duties.append(self._relay())
        if self.courier is not None:
            duties.append(self._send_notifications(self.courier))
        if self.digests is not None:
            duties.append(self._send_digests(self.digests))
        return duties

    async def _relay(self) -> None:
        if self.sidecar is not None:
            await self.sidecar.connected()
        await self.relay.run()

    async def _send_notifications(self, courier: Courier) -> None:
        if self.sidecar is not None:
            await self.sidecar.connected()
        await courier.run()

    async def _send_digests(self, digests: DigestService) -> None:
        if self.sidecar is not None:
            await self.sidecar.connected()
        await digests.run()

    async def _reconcile(self) -> None:
        if not self.sweeps:
            return
        if self.sidecar is not None:
            await self.sidecar.connected()
        await run_sweeps(self.sweeps, self.settings.reconcile_seconds)


@dataclass(frozen=True)
class Adapters:
    sql: Sql
    bus: EventBus
    kv: KeyValue
    secrets: Secrets
    # Embedded: the bus that calls this process's handlers. Dapr: the sidecar, which delivers
    # the process's topics to its /events callbacks.
    in_process: InProcessBus | None
    sidecar: "Sidecar | None"
    # Embedded mode with several workers (see Runtime).
    leadership: FileLeadership | None = None
    fanout: RedisFanout | None = None


def build_adapters(settings: Settings) -> Adapters:
    """Embedded: SQLAlchemy and in-process parts, and with several workers a lock file and
    Redis among them. Dapr: everything through the sidecar."""
    if settings.runtime == "local":
        sql = EngineSql(create_engine(settings.database_url))
        bus = InProcessBus()
        if settings.workers == 1 or settings.redis_url is None:
            return Adapters(sql, bus, SqlKeyValue(sql), EnvSecrets(), bus, None)
        install = "taskflow-" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
        return Adapters(
            sql,
            bus,
            SqlKeyValue(sql),
            EnvSecrets(),
            bus,
            None,
            FileLeadership(lock_path(settings.database_url, install)),
            RedisFanout(settings.redis_url, install),
        )
    if settings.runtime == "dapr":
        # Imported here, as below: gRPC and Dapr's SDK are not loaded in embedded mode.
        from app.adapters.dapr.bus import SidecarBus
        from app.adapters.dapr.secrets import SidecarSecrets
        from app.adapters.dapr.sidecar import Sidecar
        from app.adapters.dapr.sql import BindingSql
        from app.adapters.dapr.state import SidecarKeyValue

        sidecar = Sidecar()
        return Adapters(
            BindingSql(sidecar),
            SidecarBus(sidecar, SHARED_PUBSUB),
            SidecarKeyValue(sidecar),
            SidecarSecrets(sidecar),
            None,
            sidecar,
        )
    raise ValueError(f"TASKFLOW_RUNTIME must be 'local' or 'dapr', not {settings.runtime!r}")


def build_senders(
    settings: NotifySettings, clock: Clock, http_targets: HttpTargets, vapid_keys: ServerKeys
) -> dict[ChannelType, Sender]:
    """A sender per channel type this install can send on: mail only with an SMTP server."""
    senders: dict[ChannelType, Sender] = {
        ChannelType.NTFY: NtfyPublisher(http_targets),
        ChannelType.WEBHOOK: WebhookPoster(clock, http_targets),
        ChannelType.WEBPUSH: WebPushSender(vapid_keys, settings.push_subject, clock, http_targets),
    }
    if settings.mail is not None:
        senders[ChannelType.EMAIL] = SmtpMailer(settings.mail, settings.send_timeout_seconds)
    return senders


def bootstrap(settings: Settings, role: Role = "app", clock: Clock = utc_now) -> Runtime:
    """The process of `role`. Embedded mode is one process, the app, running every handler of
    the event table on the in-process bus; in Dapr mode each role is a process of its own
    that receives its routes' topics from its sidecar. `clock` is the notifications' now."""
    embedded = settings.runtime == "local"
    if embedded and role != "app":
        raise ValueError(f"the {role} processor runs inside the app in embedded mode")
    gc.set_threshold(*GC_THRESHOLDS)
    adapters = build_adapters(settings)
    sql = adapters.sql
    relay = OutboxRelay(sql, adapters.bus, settings.delivery)
    # Only the app relays events; a processor's writes store none. With several workers a
    # write wakes the leading worker's relay too.
    fanout = adapters.fanout
    events_written = (
        (relay.notify if fanout is None else _both(relay.notify, fanout.nudge))
        if role == "app"
        else _no_events
    )
    tasks = TaskService(sql, settings.timezone, events_written)
    reminders = ReminderService(sql, tasks, events_written)
    action_links = ActionLinks(
        sql, tasks, reminders, settings.notify.public_url, settings.timezone, clock
    )
    audit = AuditService(sql)
    dead_letters = DeadLetterService(sql, events_written)
    live = LiveFeed()
    http_targets = HttpTargets(
        settings.notify.allow_private_targets, settings.notify.send_timeout_seconds
    )
    vapid_keys = VapidKeys(sql, clock)
    senders = build_senders(settings.notify, clock, http_targets, vapid_keys)
    preferences = PreferenceService(sql, settings.timezone, clock)
    courier = Courier(
        sql,
        tasks,
        senders,
        dead_letters,
        events_written,
        settings.notify.retry_seconds,
        settings.notify.send_timeout_seconds,
        clock,
        links=action_links,
        preferences=preferences,
    )
    sends = embedded or role == "notifier"

    jobs: Jobs
    local_jobs: AsyncioJobs | None = None
    invoker: Invoker
    if adapters.sidecar is None:
        jobs = local_jobs = AsyncioJobs()
        invoker = DirectInvoker(tasks.create_successor)
    else:
        from app.adapters.dapr.invoker import SidecarInvoker
        from app.adapters.dapr.jobs import SchedulerJobs

        jobs = SchedulerJobs(adapters.sidecar)
        invoker = SidecarInvoker(adapters.sidecar)
    keep_jobs = RemindersHandler(jobs, adapters.bus, reminders)
    handlers: dict[Handler, EventHandler] = {
        Handler.NEXT_OCCURRENCE: RecurrenceHandler(invoker),
        Handler.KEEP_JOBS: keep_jobs,
        Handler.MARK_SENT: reminders.mark_sent,
        Handler.LIVE_FEED: live.publish if fanout is None else fanout.publish_change,
        Handler.AUDIT: AuditHandler(audit),
        Handler.NOTIFY: NotifierHandler(courier),
    }
    # The recurrence processor has no database: it forwards what it sets aside to the app.
    set_aside: DeadLetterSink = (
        DeadLetterForwarder(adapters.bus) if role == "recurrence" else dead_letters
    )
    dispatcher = Dispatcher(routes_of(None if embedded else role), handlers, set_aside)
    if adapters.in_process is not None:
        for topic in dispatcher.topics:
            adapters.in_process.subscribe(topic, dispatcher.deliver)

    sweeps: list[Sweep] = []
    if role == "app":
        sweeps.append(SuccessorSweep(sql, tasks))
    if embedded or role == "reminders":
        # The process that owns the jobs is the one that arms lost ones again.
        sweeps.append(ReminderJobsSweep(reminders, jobs))
    if local_jobs is not None:
        local_jobs.on_due(keep_jobs.on_job)

    health = HealthService(sql, relay, dead_letters, settings.delivery)
    return Runtime(
        settings=settings,
        role=role,
        sql=sql,
        kv=adapters.kv,
        secrets=adapters.secrets,
        tasks=tasks,
        reminders=reminders,
        audit=audit,
        history=HistoryService(sql, tasks, audit),
        stats=StatsService(sql, tasks),
        relay=relay,
        dead_letters=dead_letters,
        health=health,
        channels=ChannelService(sql, senders, settings.timezone, http_targets, clock),
        preferences=preferences,
        action_links=action_links,
        vapid_keys=vapid_keys,
        dispatcher=dispatcher,
        on_job=keep_jobs.on_job if role == "reminders" else None,
        ready=_readiness(role, sql, adapters.sidecar),
        sidecar=adapters.sidecar,
        jobs=local_jobs,
        live=live,
        sweeps=sweeps,
        courier=courier if sends else None,
        digests=DigestService(sql, tasks, preferences, courier, frozenset(senders), clock)
        if sends
        else None,
        leadership=adapters.leadership,
        fanout=fanout,
    )


def _both(first: Callable[[], None], second: Callable[[], None]) -> Callable[[], None]:
    def both() -> None:
        first()
        second()

    return both


def _no_events() -> None:
    """A processor writes no events; a dead letter it replays is relayed by the app."""


def _readiness(role: Role, sql: Sql, sidecar: "Sidecar | None") -> Callable[[], Awaitable[None]]:
    if role != "recurrence" or sidecar is None:
        return sql.ping

    async def connected() -> None:
        _ = sidecar.client

    return connected
