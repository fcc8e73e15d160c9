"""The notifications part of `make bench`: fired reminders sent by the courier to real servers
on loopback (an SMTP server, a webhook receiver, an ntfy server).

Two measures: how late mail of reminders due one by one is accepted by the SMTP server, and
whether a thousand reminders due in one minute all reach every channel of their owner once.
Embedded: the API served by uvicorn (embedded runtime, SQLite) as the embedded part serves it,
with the test servers' URLs in its settings. Dapr: the local stack, whose notifier processor
sends, started (or its app and notifier restarted) with those settings.
"""

import contextlib
import os
import re
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from app.adapters.local.sql import create_engine
from app.repositories.tables import NOTIFICATION_DELIVERY, REMINDER, TASK
from bench import machine
from bench.measure import percentile
from bench.stack import REMINDER_OFFSET, REMINDER_OFFSET_DELTA
from tests.support.accounts import admin_token, bearer, log_in, make_token, make_user
from tests.support.mail import MailServer, mail_server
from tests.support.ntfy import NtfyServer, ntfy_server
from tests.support.servers import migrate, serve_api
from tests.support.stack import running_stack
from tests.support.tasks import create_task, poll, unique
from tests.support.webhooks import WebhookReceiver, webhook_receiver

MAIL_WINDOW_SECONDS = (15.0, 55.0)  # the mail measure's reminders fall due this far ahead
MAIL_TARGET_MS = 2_000.0  # p95, due -> accepted by the SMTP server
BURST_TARGET_SECONDS = 60.0  # every reminder on every channel within this of its due moment
BURST_SPREAD_SECONDS = 60.0  # the burst's reminders fall due evenly over one minute
BURST_SETUP_SECONDS_PER_TASK = 0.1  # lead for creating the burst's tasks through the API
GRACE_SECONDS = 120.0  # how long after the last due moment the bench waits for deliveries
TWICE_WAIT_SECONDS = 10.0  # and then, for a delivery that comes twice
CHANNELS = ("email", "webhook", "ntfy")
MAIL_ADDRESS = "bench@example.org"
HOOK_PATH = "/bench"
TOPIC = "bench"


@dataclass(frozen=True)
class NotifyOptions:
    reminders: int  # the mail measure's reminders
    burst: int  # the reminders due in one minute


@dataclass(frozen=True)
class Latencies:
    samples_ms: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)

    @property
    def slowest(self) -> float:
        return max(self.samples_ms)


@dataclass(frozen=True)
class Arrivals:
    """What one channel received of the reminders of a measure."""

    asked: int
    times: dict[int, list[datetime]]  # reminder (its task's number in the run) -> arrivals

    @property
    def delivered(self) -> int:
        return len(self.times)

    @property
    def missing(self) -> int:
        return self.asked - len(self.times)

    @property
    def doubled(self) -> int:
        return sum(len(arrived) > 1 for arrived in self.times.values())

    def latencies(self, due: dict[int, datetime]) -> Latencies:
        """Every arrival (a second one too) after its reminder's due moment."""
        return Latencies([_ms(at - due[n]) for n, arrived in self.times.items() for at in arrived])


@dataclass(frozen=True)
class Breakdown:
    """Where the time went, from the server's database: per delivery, its reminder's
    firing after its due moment, and the delivery's row stored after the firing."""

    fired: Latencies  # reminder.sent_at - scheduled_at
    enqueued: Latencies  # delivery.created_at - reminder.sent_at
    sent: Latencies  # delivery.delivered_at - created_at
    statuses: dict[str, int]
    retried: int  # deliveries that took more than one attempt


@dataclass(frozen=True)
class Measure:
    due: dict[int, datetime]  # reminder (its task's number in the run) -> its due moment
    arrivals: dict[str, Arrivals]  # per channel
    breakdown: Breakdown
    setup_seconds: float  # creating the tasks through the API

    @property
    def last_due(self) -> datetime:
        return max(self.due.values())

    def latencies(self, channel: str | None = None) -> Latencies:
        chosen = [channel] if channel else list(self.arrivals)
        return Latencies(
            [ms for name in chosen for ms in self.arrivals[name].latencies(self.due).samples_ms]
        )

    def last_arrival(self) -> datetime | None:
        times = [at for one in self.arrivals.values() for t in one.times.values() for at in t]
        return max(times) if times else None

    def slowest_reminder_seconds(self) -> float | None:
        """The longest any reminder took, from its due moment, to reach its last channel."""
        if any(one.missing for one in self.arrivals.values()):
            return None
        return max(
            max(at for one in self.arrivals.values() for at in one.times[n]) - due
            for n, due in self.due.items()
        ).total_seconds()

    @property
    def lost(self) -> int:
        return sum(one.missing for one in self.arrivals.values())

    @property
    def doubled(self) -> int:
        return sum(one.doubled for one in self.arrivals.values())


@dataclass
class NotifyResult:
    mode: str  # "embedded" or "dapr"
    date: str
    machine: dict[str, str]
    options: NotifyOptions
    mail: Measure
    burst: Measure
    total_seconds: float

    def mail_met(self) -> bool:
        figures = self.mail.latencies("email")
        return not self.mail.lost and bool(figures.samples_ms) and figures.p95 < MAIL_TARGET_MS

    def burst_met(self) -> bool:
        slowest = self.burst.slowest_reminder_seconds()
        return slowest is not None and slowest < BURST_TARGET_SECONDS and not self.burst.doubled

    def missed(self) -> list[str]:
        out = []
        if not self.mail_met():
            out.append("notifications: due -> mail accepted, p95 < 2 s")
        if not self.burst_met():
            out.append("notifications: a minute's reminders on every channel within 60 s, once")
        return out


class Servers:
    """The servers the reminders are sent to, and what each received, by reminder."""

    def __init__(self, smtp: MailServer, receiver: WebhookReceiver, ntfy: NtfyServer) -> None:
        self.smtp, self.receiver, self.ntfy = smtp, receiver, ntfy

    def settings(self) -> dict[str, str]:
        return {"TASKFLOW_SMTP_URL": self.smtp.url, "TASKFLOW_NOTIFY_ALLOW_PRIVATE": "1"}

    def arrivals(self, run: str, asked: int) -> dict[str, Arrivals]:
        """Per channel, when each of run `run`'s reminders arrived (titles end "<run> <n>")."""
        mails = [(str(mail["Subject"]), at) for mail, at in self.smtp.timed()]
        hooks = [(hook.body["task"]["title"], hook.at) for hook in self.receiver.received]
        topics = [(message["title"], at) for message, at in self.ntfy.timed(TOPIC)]
        return {
            channel: Arrivals(asked, _by_reminder(run, titles))
            for channel, titles in zip(CHANNELS, (mails, hooks, topics), strict=True)
        }

    def count(self, run: str) -> int:
        """Everything of run `run` received so far, on all channels."""
        return sum(
            len(times) for one in self.arrivals(run, 0).values() for times in one.times.values()
        )


def _info(**more: str) -> dict[str, str]:
    return {
        **machine.describe(),
        **more,
        "Load average (1/5/15 min) at start": machine.load(),
    }


def embedded(options: NotifyOptions, log: Callable[[str], None]) -> NotifyResult:
    """Both measures against the API in the embedded runtime on a fresh SQLite file."""
    started = time.perf_counter()
    info = _info(SQLite=machine.sqlite())
    with (
        tempfile.TemporaryDirectory(prefix="taskflow-bench-notify-") as scratch,
        _servers() as servers,
    ):
        url = f"sqlite:///{Path(scratch) / 'taskflow.db'}"
        migrate(url)
        log("notify: starting the API (embedded runtime, SQLite)")
        with (
            serve_api(url, Path(scratch) / "api.log", **servers.settings()) as base_url,
            httpx.Client(
                base_url=base_url, headers=bearer(admin_token(base_url)), timeout=60
            ) as client,
        ):
            mail, burst = _measures(client, servers, url, options, log)
            info["Load average (1/5/15 min) at end"] = machine.load()
    return _result("embedded", info, options, mail, burst, started)


def dapr(options: NotifyOptions, log: Callable[[str], None]) -> NotifyResult:
    """Both measures on the local stack (brought up unless it runs), for a user of their
    own; the stack's app and notifier are restarted if they run without the servers' URLs."""
    started = time.perf_counter()
    info = _info()
    with (
        tempfile.TemporaryDirectory(prefix="taskflow-bench-notify-stack-") as scratch,
        _servers() as servers,
        _environment(servers.settings()),
        running_stack(Path(scratch) / "stack.log") as stack,
    ):
        for part in ("taskflow", "notifier"):
            if stack.environment_of(part).get("TASKFLOW_SMTP_URL") != servers.smtp.url:
                log(f"notify: restarting the stack's {part} with the test servers' settings")
                stack.kill(part)
                stack.start(part)
        with stack.client(timeout=60) as admin:
            credentials = make_user(admin, unique("bench"))
        with httpx.Client(base_url=stack.app_url, timeout=60) as client:
            log_in(client, credentials).raise_for_status()
            client.headers.update(bearer(make_token(client)))
            client.cookies.clear()
            try:
                mail, burst = _measures(client, servers, stack.database_url, options, log)
            finally:
                _delete_tasks(client, log)
        info["Load average (1/5/15 min) at end"] = machine.load()
    return _result("dapr", info, options, mail, burst, started)


def _measures(
    client: httpx.Client,
    servers: Servers,
    url: str,
    options: NotifyOptions,
    log: Callable[[str], None],
) -> tuple[Measure, Measure]:
    """The mail measure (an email channel only), then the burst (email, webhook, ntfy)."""
    _add_channel(client, servers, "email", MAIL_ADDRESS)
    mail = _mail(client, servers, url, options.reminders, log)
    _add_channel(client, servers, "webhook", servers.receiver.url(HOOK_PATH))
    _add_channel(client, servers, "ntfy", servers.ntfy.topic_url(TOPIC))
    burst = _burst(client, servers, url, options.burst, log)
    return mail, burst


def _result(
    mode: str,
    info: dict[str, str],
    options: NotifyOptions,
    mail: Measure,
    burst: Measure,
    started: float,
) -> NotifyResult:
    return NotifyResult(
        mode=mode,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=info,
        options=options,
        mail=mail,
        burst=burst,
        total_seconds=time.perf_counter() - started,
    )


@contextlib.contextmanager
def _servers() -> Iterator[Servers]:
    with mail_server() as smtp, webhook_receiver() as receiver, ntfy_server() as ntfy:
        yield Servers(smtp, receiver, ntfy)


@contextlib.contextmanager
def _environment(settings: dict[str, str]) -> Iterator[None]:
    """`settings` in this process's environment, which the stack's parts start with."""
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _delete_tasks(client: httpx.Client, log: Callable[[str], None]) -> None:
    """Delete the bench user's tasks from the stack again."""
    deleted = 0
    while tasks := client.get("/api/tasks", params={"limit": 500}).raise_for_status().json():
        for task in tasks:
            response = client.delete(f"/api/tasks/{task['id']}")
            if response.status_code not in (204, 404):
                response.raise_for_status()
            deleted += 1
    log(f"notify: {deleted} tasks removed from the stack")


def _mail(
    client: httpx.Client, servers: Servers, url: str, count: int, log: Callable[[str], None]
) -> Measure:
    first, last = MAIL_WINDOW_SECONDS
    log(f"notify: mail, {count} reminders due {first:.0f}-{last:.0f} s ahead")
    start = datetime.now(UTC)
    moments = [start + timedelta(seconds=first + (last - first) * n / max(1, count - 1))
               for n in range(count)]  # fmt: skip
    measure = _measure(client, servers, url, moments, ("email",), log)
    log(_summary("mail", measure))
    return measure


def _burst(
    client: httpx.Client, servers: Servers, url: str, count: int, log: Callable[[str], None]
) -> Measure:
    """`count` reminders due evenly over the first whole minute that leaves time enough to
    create their tasks."""
    lead = 20 + count * BURST_SETUP_SECONDS_PER_TASK
    ready = datetime.now(UTC) + timedelta(seconds=lead)
    minute = ready.replace(second=0, microsecond=0) + timedelta(minutes=1)
    log(f"notify: burst, {count} reminders due in the minute from {minute:%H:%M:%S} UTC")
    moments = [minute + timedelta(seconds=BURST_SPREAD_SECONDS * n / count) for n in range(count)]
    measure = _measure(client, servers, url, moments, CHANNELS, log)
    log(_summary("burst", measure))
    return measure


def _measure(
    client: httpx.Client,
    servers: Servers,
    url: str,
    moments: list[datetime],
    channels: tuple[str, ...],
    log: Callable[[str], None],
) -> Measure:
    """A task per moment whose reminder falls due then; wait for every channel to have them
    all (or for the grace to end), and a while longer for any that comes twice."""
    run = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    due: dict[int, datetime] = {}
    for n, moment in enumerate(moments):
        task = create_task(
            client,
            title=f"Bench {run} {n}",
            due_date=(moment + REMINDER_OFFSET_DELTA).isoformat(),
            reminder_offset=REMINDER_OFFSET,
        )
        due[n] = datetime.fromisoformat(task["due_date"]) - REMINDER_OFFSET_DELTA
    setup = time.perf_counter() - started
    if datetime.now(UTC) >= min(due.values()):
        raise RuntimeError(f"creating {len(moments)} tasks took {setup:.0f} s: past the first due")
    log(f"notify: {len(moments)} tasks created in {setup:.1f} s; waiting for the deliveries")
    expected = len(moments) * len(channels)
    last_due = max(due.values())
    wait = (last_due - datetime.now(UTC)).total_seconds() + GRACE_SECONDS
    poll(lambda: servers.count(run), lambda got: got >= expected, wait, 0.5)
    time.sleep(TWICE_WAIT_SECONDS)
    arrivals = servers.arrivals(run, len(moments))
    return Measure(
        due=due,
        arrivals={name: arrivals[name] for name in channels},
        breakdown=_breakdown(url, run),
        setup_seconds=setup,
    )


def _add_channel(client: httpx.Client, servers: Servers, kind: str, target: str) -> None:
    response = client.post("/api/channels", json={"type": kind, "target": target})
    if response.status_code != 201:
        raise RuntimeError(f"adding the {kind} channel: {response.status_code} {response.text}")
    if kind == "webhook":
        servers.receiver.secrets[HOOK_PATH] = response.json()["secret"]


def _by_reminder(run: str, titles: list[tuple[str, datetime]]) -> dict[int, list[datetime]]:
    """Arrivals by the number at the end of their title, those of run `run` only."""
    pattern = re.compile(rf"Bench {run} (\d+)$")
    out: dict[int, list[datetime]] = {}
    for title, at in titles:
        found = pattern.search(title)
        if found:
            out.setdefault(int(found.group(1)), []).append(at)
    return out


def _breakdown(url: str, run: str) -> Breakdown:
    """The run's deliveries as the server's database holds them."""
    d, r = NOTIFICATION_DELIVERY, REMINDER
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(
                    r.c.scheduled_at, r.c.sent_at, d.c.created_at, d.c.delivered_at,
                    d.c.status, d.c.attempts,
                )
                .join(r, r.c.id == d.c.reminder_id)
                .join(TASK, TASK.c.id == r.c.task_id)
                .where(TASK.c.title.like(f"Bench {run} %"))
            ).all()  # fmt: skip
    finally:
        engine.dispose()
    done = [row for row in rows if row.delivered_at is not None]
    return Breakdown(
        fired=Latencies([_ms(row.sent_at - row.scheduled_at) for row in done]),
        enqueued=Latencies([_ms(row.created_at - row.sent_at) for row in done]),
        sent=Latencies([_ms(row.delivered_at - row.created_at) for row in done]),
        statuses=dict(Counter(row.status for row in rows)),
        retried=sum(row.attempts > 1 for row in rows),
    )


def _summary(name: str, measure: Measure) -> str:
    parts = []
    for channel, one in measure.arrivals.items():
        figures = measure.latencies(channel)
        timing = (
            f"p50 {figures.p50:,.0f} p95 {figures.p95:,.0f} max {figures.slowest:,.0f} ms"
            if figures.samples_ms
            else "none"
        )
        parts.append(
            f"{channel}: {one.delivered}/{one.asked}, {one.missing} missing, "
            f"{one.doubled} twice, {timing}"
        )
    return f"notify: {name}: " + "; ".join(parts)


def _ms(delta: timedelta) -> float:
    return delta.total_seconds() * 1000
