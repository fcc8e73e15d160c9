"""Faults on the real stack: a part killed by its PID (SIGKILL: no shutdown code runs) while
work goes on, then started again. Once it is back nothing is lost, nothing is doubled, and
what comes late says so.

Every test records its counts and timings (`figures`, shown in the run's summary whether it
passes or not) before it asserts, and asserts them all at once, so a failure names every
loss. The waits poll with deadlines; the fixed waits are the outages: the broker's five
minutes and the app sidecar's half minute.
"""

import itertools
import os
import shutil
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

import httpx
import pytest
import sqlalchemy as sa

from app.adapters.dapr.jobs import RETRY_SECONDS
from app.repositories.tables import OUTBOX
from app.services.reminders import LATE_AFTER_SECONDS, job_name
from tests.support.stack import Stack
from tests.support.tasks import create_task, eventually, poll

Record = Callable[[str], None]
T = TypeVar("T")

BROKER_OUTAGE_SECONDS = 300
# Once the broken part is back, how long the stack may take to catch up (relay backoff,
# the reconciliation sweep, redelivery).
RECOVERY_SECONDS = 240
# The app's sidecar stays gone this long: gRPC would by then wait some 10 s between attempts
# to reconnect, had the app's channel kept its default spacing.
SIDECAR_GONE_SECONDS = 30
# How soon after its sidecar is back the app must take writes again.
SIDECAR_CAUGHT_UP_SECONDS = 5
# A reminder's job, failing, is called back every RETRY_SECONDS, each time counted as a
# retry; one round of retries at a time allows this many more (the sweep's re-arming).
EXTRA_RETRIES = 5


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with stack.client() as client:
        yield client


@pytest.fixture(autouse=True)
def whole_stack_afterwards(stack: Stack) -> Iterator[None]:
    """What a test left stopped (it failed midway) runs again for the tests after it."""
    yield
    stack.restore()


def new_tag() -> str:
    return f"fault{uuid.uuid4().hex[:8]}"


def tagged(api: httpx.Client, tag: str) -> list[dict[str, Any]]:
    """Every task with the tag, page by page."""
    found: list[dict[str, Any]] = []
    while True:
        response = api.get("/api/tasks", params={"tags": tag, "limit": 500, "offset": len(found)})
        response.raise_for_status()
        page = response.json()
        found += page
        if len(page) < 500:
            return found


def audit_of(api: httpx.Client, task_id: int) -> list[dict[str, Any]]:
    response = api.get("/api/audit", params={"task_id": task_id, "limit": 500})
    response.raise_for_status()
    entries: list[dict[str, Any]] = response.json()
    return entries


def reminder_of(api: httpx.Client, task_id: int) -> dict[str, Any]:
    response = api.get("/api/reminders", params={"task_id": task_id})
    response.raise_for_status()
    reminders: list[dict[str, Any]] = response.json()
    assert len(reminders) == 1, reminders
    return reminders[0]


def job_armed(stack: Stack, reminder_id: int) -> bool:
    """Does the scheduler hold the reminder's job (asked through the reminders' sidecar)?"""
    response = httpx.get(
        f"{stack.sidecar('reminders')}/v1.0-alpha1/jobs/{job_name(reminder_id)}",
        headers=stack.dapr_headers("reminders"),
        timeout=10,
    )
    return response.status_code == 200


def app_ready(stack: Stack) -> bool:
    try:
        return httpx.get(f"{stack.app_url}/health/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def timed_poll(check: Callable[[], T], done: Callable[[T], bool], seconds: float) -> tuple[T, str]:
    """`poll` once a second; its last result and how long it took, in words."""
    started = time.monotonic()
    result = poll(check, done, seconds, every=1)
    elapsed = time.monotonic() - started
    return result, f"{elapsed:.0f} s" if done(result) else f"not within {seconds:.0f} s"


@dataclass(frozen=True)
class AuditTally:
    missing: int  # expected events with no audit entry
    doubled: int  # events audited more than once

    @property
    def complete(self) -> bool:
        return self.missing == 0


def tally_audit(api: httpx.Client, expected: dict[int, Counter[str]]) -> AuditTally:
    """Each task's audit against the events it must hold exactly once (by type); an event id
    seen twice is doubled whatever its type."""
    missing = doubled = 0
    for task_id, kinds in expected.items():
        entries = audit_of(api, task_id)
        ids = Counter(entry["event_id"] for entry in entries)
        doubled += sum(n - 1 for n in ids.values())
        seen = Counter({entry["event_id"]: entry["event_type"] for entry in entries}.values())
        for kind, count in kinds.items():
            missing += max(0, count - seen[kind])
            doubled += max(0, seen[kind] - count)
    return AuditTally(missing, doubled)


@dataclass(frozen=True)
class ReminderTally:
    sent: int
    late: int  # sent and flagged late
    misflagged: int  # `late` disagrees with how late it was sent
    lateness: list[float]  # seconds from scheduled_at to sent_at, of those sent
    sent_twice: int  # reminders whose reminder.sent was audited more than once


def tally_reminders(api: httpx.Client, task_ids: list[int]) -> ReminderTally:
    sent = late = misflagged = sent_twice = 0
    lateness = []
    for task_id in task_ids:
        reminder = reminder_of(api, task_id)
        kinds = Counter(entry["event_type"] for entry in audit_of(api, task_id))
        sent_twice += kinds["reminder.sent"] > 1
        if reminder["status"] != "sent":
            continue
        sent += 1
        late += reminder["late"]
        delay = (
            datetime.fromisoformat(reminder["sent_at"])
            - datetime.fromisoformat(reminder["scheduled_at"])
        ).total_seconds()
        lateness.append(delay)
        misflagged += reminder["late"] != (delay > LATE_AFTER_SECONDS)
    return ReminderTally(sent, late, misflagged, lateness, sent_twice)


def over_retried(api: httpx.Client, task_ids: list[int], at: datetime) -> int:
    """How many reminders were retried more often by `at` than one round of retries at a time
    allows (a failed trigger is tried again every RETRY_SECONDS, and each retry counted)."""
    over = 0
    for task_id in task_ids:
        reminder = reminder_of(api, task_id)
        overdue = (at - datetime.fromisoformat(reminder["scheduled_at"])).total_seconds()
        over += reminder["retry_count"] > max(0.0, overdue) / RETRY_SECONDS + EXTRA_RETRIES
    return over


def reminder_task(api: httpx.Client, tag: str, n: int, at: datetime) -> dict[str, Any]:
    """A task whose one reminder is due at `at`."""
    return create_task(
        api,
        title=f"Reminder {n}",
        due_date=(at + timedelta(minutes=1)).isoformat(),
        reminder_offset="1 minute",
        tags=[tag],
    )


def span(values: list[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f} s" if values else "-"


def test_broker_killed_for_five_minutes_loses_and_doubles_nothing(
    stack: Stack, api: httpx.Client, figures: Record
) -> None:
    tag = new_tag()
    parents = [
        create_task(
            api, title=f"Chore {n}", due_date="2026-04-01T18:00:00", recurrence="daily", tags=[tag]
        )
        for n in range(50)
    ]
    # Ten reminders armed before the outage, due during it: the broker is killed once their
    # jobs are armed, less than 15 s from now, and the first is due 20 s from now.
    arming = datetime.now(UTC)
    armed = [reminder_task(api, tag, n, arming + timedelta(seconds=20 + 15 * n)) for n in range(10)]
    reminder_ids = [reminder_of(api, task["id"])["id"] for task in armed]
    eventually(lambda: all(job_armed(stack, rid) for rid in reminder_ids), 15)
    assert datetime.now(UTC) < arming + timedelta(seconds=15), "set-up slower than planned"

    stack.kill("kafka")
    killed = time.monotonic()
    killed_wall = datetime.now(UTC)
    refused: Counter[int] = Counter()  # writes not answered 200/201 while the broker is down
    created_during: list[dict[str, Any]] = []

    def complete(tasks: list[dict[str, Any]]) -> None:
        for task in tasks:
            status = api.post(f"/api/tasks/{task['id']}/complete").status_code
            refused[status] += status != 200

    def create_reminders() -> None:
        # Ten more created during the outage, due during it.
        for n in range(10):
            at = killed_wall + timedelta(seconds=60 + 20 * n)
            response = api.post(
                "/api/tasks",
                json={
                    "title": f"Reminder {10 + n}",
                    "due_date": (at + timedelta(minutes=1)).isoformat(),
                    "reminder_offset": "1 minute",
                    "tags": [tag],
                },
            )
            refused[response.status_code] += response.status_code != 201
            if response.status_code == 201:
                created_during.append(response.json())

    steps: list[tuple[float, Callable[[], None]]] = [
        (0, lambda: complete(parents[:25])),
        (10, create_reminders),
        (150, lambda: complete(parents[25:])),
    ]
    health: list[tuple[float, str]] = []
    while (elapsed := time.monotonic() - killed) < BROKER_OUTAGE_SECONDS:
        while steps and steps[0][0] <= elapsed:
            steps.pop(0)[1]()
        try:
            health.append(
                (elapsed, httpx.get(f"{stack.app_url}/health", timeout=10).json()["status"])
            )
        except (httpx.HTTPError, ValueError, KeyError) as error:
            health.append((elapsed, type(error).__name__))
        time.sleep(3)

    reminder_tasks = armed + created_during
    retried_too_often = over_retried(
        api, [task["id"] for task in reminder_tasks], datetime.now(UTC)
    )
    stack.start("kafka")
    back = time.monotonic()
    parent_ids = {task["id"] for task in parents}

    def successors() -> Counter[int]:
        return Counter(
            task["parent_task_id"]
            for task in tagged(api, tag)
            if task["parent_task_id"] in parent_ids
        )

    def caught_up() -> tuple[Counter[int], int]:
        sent = sum(reminder_of(api, task["id"])["status"] == "sent" for task in reminder_tasks)
        return successors(), sent

    started = time.monotonic()
    _, caught_up_after = timed_poll(
        caught_up, lambda r: len(r[0]) == len(parents) and r[1] == 20, RECOVERY_SECONDS
    )
    expected: dict[int, Counter[str]] = {
        task["id"]: Counter({"task.created": 1, "task.completed": 1}) for task in parents
    }
    expected |= {
        task["id"]: Counter({"task.created": 1, "reminder.scheduled": 1, "reminder.sent": 1})
        for task in reminder_tasks
    }
    children_ids = [task["id"] for task in tagged(api, tag) if task["parent_task_id"] in parent_ids]
    expected |= {child: Counter({"task.created": 1}) for child in children_ids}
    audit, audited_after = timed_poll(
        lambda: tally_audit(api, expected),
        lambda tally: tally.complete,
        max(10.0, RECOVERY_SECONDS - (time.monotonic() - started)),
    )
    time.sleep(10)  # anything still on its way that would double a successor or a reminder
    children = successors()
    reminders = tally_reminders(api, [task["id"] for task in reminder_tasks])
    audit = tally_audit(api, expected)

    degraded = [at for at, status in health if status == "degraded"]
    doubled = sum(n - 1 for n in children.values())
    summary = (
        f"broker down {back - killed:.0f} s; successors {len(children)}/{len(parents)} "
        f"(doubled {doubled}), reminders sent {reminders.sent}/20 (late {reminders.late}, "
        f"late flag wrong {reminders.misflagged}, sent {span(reminders.lateness)} after their "
        f"time, sent twice {reminders.sent_twice}, retried more than one round at a time "
        f"allows while down {retried_too_often}): caught up {caught_up_after} after the "
        f"broker was back; audit missing {audit.missing}, doubled {audit.doubled} (complete "
        f"{audited_after} later); /health {dict(Counter(s for _, s in health))}, first "
        f"degraded {f'{degraded[0]:.0f} s' if degraded else 'never'} after the kill; writes "
        f"refused while down {sum(refused.values())} {dict(+refused) or ''}"
    )
    figures(summary)
    assert len(children) == len(parents) and doubled == 0, summary
    assert (reminders.sent, reminders.sent_twice, reminders.misflagged) == (20, 0, 0), summary
    assert retried_too_often == 0, summary
    assert (audit.missing, audit.doubled) == (0, 0), summary
    assert sum(refused.values()) == 0, summary
    assert degraded, summary


def test_scheduler_killed_and_its_data_deleted_still_fires_pending_reminders(
    stack: Stack, api: httpx.Client, figures: Record
) -> None:
    tag = new_tag()
    # Due after the restart, late enough for a sweep to find them missing in time (it leaves
    # alone reminders younger than half a minute: their jobs may still be on the way).
    first = datetime.now(UTC) + timedelta(seconds=60)
    tasks = [reminder_task(api, tag, n, first + timedelta(seconds=5 * n)) for n in range(5)]
    reminder_ids = [reminder_of(api, task["id"])["id"] for task in tasks]
    eventually(lambda: all(job_armed(stack, rid) for rid in reminder_ids), 15)

    stack.kill("scheduler")
    killed = time.monotonic()
    shutil.rmtree(stack.run_dir / "scheduler")
    stack.start("scheduler")
    back = time.monotonic()
    jobs_left = sum(job_armed(stack, rid) for rid in reminder_ids)

    last_due = (first + timedelta(seconds=20) - datetime.now(UTC)).total_seconds()
    reminders, sent_after = timed_poll(
        lambda: tally_reminders(api, [task["id"] for task in tasks]),
        lambda tally: tally.sent == len(tasks),
        last_due + 90,
    )
    time.sleep(5)  # a second firing would show now
    reminders = tally_reminders(api, [task["id"] for task in tasks])
    summary = (
        f"scheduler down {back - killed:.0f} s, jobs left right after its restart {jobs_left}/5; "
        f"reminders sent {reminders.sent}/5 (late {reminders.late}, late flag wrong "
        f"{reminders.misflagged}, sent {span(reminders.lateness)} after their time, "
        f"sent twice {reminders.sent_twice}; all sent: {sent_after} after the restart)"
    )
    figures(summary)
    assert (reminders.sent, reminders.sent_twice, reminders.misflagged) == (5, 0, 0), summary


@dataclass(frozen=True)
class Write:
    title: str
    started: float  # time.monotonic()
    status: int  # HTTP status; 0: no answer (refused, reset, timed out)
    task_id: int | None  # of the task it created, if acknowledged


class Burst:
    """Writers creating tagged tasks back to back, every write recorded."""

    def __init__(self, stack: Stack, tag: str, writers: int = 2) -> None:
        self.tag = tag
        self.writes: list[Write] = []
        self.started_at = datetime.now(UTC)
        self._stack = stack
        self._numbers = itertools.count()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write) for _ in range(writers)]

    def __enter__(self) -> "Burst":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def write(self, client: httpx.Client) -> int | None:
        """One write, recorded; the id of the task it created, if acknowledged."""
        title = f"{self.tag} write {next(self._numbers)}"
        started = time.monotonic()
        try:
            response = client.post("/api/tasks", json={"title": title, "tags": [self.tag]})
        except httpx.HTTPError:
            self.writes.append(Write(title, started, 0, None))
            return None
        task_id = int(response.json()["id"]) if response.status_code == 201 else None
        self.writes.append(Write(title, started, response.status_code, task_id))
        return task_id

    def _write(self) -> None:
        with self._stack.client() as client:
            while not self._stop.is_set():
                written = self.write(client)
                # Paced, and slower while the part is down.
                self._stop.wait(0.05 if written else 0.3)

    def acknowledged(self, since: float = 0) -> int:
        return sum(w.status == 201 and w.started >= since for w in self.writes)


def under_writes(
    stack: Stack, api: httpx.Client, figures: Record, part: str, strike: Callable[[Burst], None]
) -> float:
    """`strike` (which kills `part`) in the middle of a burst of writes; start the part again,
    keep writing, then count: every acknowledged write kept once and audited once, no answer
    but 503 while it is down, and no error once the part is back. Returns how long the app
    took to be ready once the part was started again."""
    tag = new_tag()
    with Burst(stack, tag) as burst:
        eventually(lambda: burst.acknowledged() >= 20, 60)
        killed = time.monotonic()
        strike(burst)
        stack.start(part)
        started_again = time.monotonic()
        eventually(lambda: app_ready(stack), 120)
        back = time.monotonic()
        # Forty writes after it is back (or a minute of them, if they fail).
        timed_poll(lambda: burst.acknowledged(since=back), lambda n: n >= 40, 60)
    acknowledged = {w.title for w in burst.writes if w.status == 201}
    stored = Counter(task["title"] for task in tagged(api, tag))
    lost = acknowledged - set(stored)
    doubled = sum(n - 1 for n in stored.values())
    after_back = Counter(w.status for w in burst.writes if w.started >= back)
    while_down = Counter(w.status for w in burst.writes if killed <= w.started < back)
    stored_ids = [task["id"] for task in tagged(api, tag)]
    audit, audited_after = timed_poll(
        lambda: tally_audit(api, {i: Counter({"task.created": 1}) for i in stored_ids}),
        lambda tally: tally.complete,
        RECOVERY_SECONDS,
    )
    summary = (
        f"{part} down {back - killed:.1f} s, the app ready {back - started_again:.1f} s after "
        f"its start; writes {len(burst.writes)}, acknowledged "
        f"{len(acknowledged)}, stored {len(stored)}, lost {len(lost)}, doubled {doubled}; "
        f"answers while down {dict(while_down)}, after it was back {dict(after_back)}; "
        f"audit missing {audit.missing}, doubled {audit.doubled} (complete {audited_after} "
        f"after the writes stopped)"
    )
    figures(summary)
    assert (len(lost), doubled, audit.missing, audit.doubled) == (0, 0, 0, 0), summary
    assert set(after_back) == {201}, summary
    # While it is down a write is stored (201), refused as unavailable (503) or not answered.
    assert set(while_down) <= {201, 503, 0}, summary
    return back - started_again


def test_the_apps_sidecar_killed_for_half_a_minute_in_a_burst_of_writes(
    stack: Stack, api: httpx.Client, figures: Record
) -> None:
    def strike(_: Burst) -> None:
        stack.kill("taskflow-dapr")
        time.sleep(SIDECAR_GONE_SECONDS)

    caught_up = under_writes(stack, api, figures, "taskflow-dapr", strike)
    assert caught_up < SIDECAR_CAUGHT_UP_SECONDS, f"the app was ready {caught_up:.1f} s later"


def test_postgres_restarted_under_writes(stack: Stack, api: httpx.Client, figures: Record) -> None:
    under_writes(stack, api, figures, "postgres", lambda _: stack.kill("postgres"))


def test_the_app_killed_between_a_write_and_its_relay(
    stack: Stack, api: httpx.Client, figures: Record
) -> None:
    unsent: list[int] = []

    def strike(burst: Burst) -> None:
        # Kafka paused, so the relay cannot publish what is written now; eight writes at once,
        # and the app killed as soon as one is acknowledged: the others are committed or on
        # their way, their events not yet relayed.
        kafka = stack.pid_of("kafka")
        os.kill(kafka, signal.SIGSTOP)
        try:
            acknowledged_one = threading.Event()

            def write() -> None:
                with stack.client() as client:
                    if burst.write(client) is not None:
                        acknowledged_one.set()

            writers = [threading.Thread(target=write) for _ in range(8)]
            for writer in writers:
                writer.start()
            assert acknowledged_one.wait(30), burst.writes[-8:]
            stack.kill("taskflow")
            for writer in writers:
                writer.join(60)
        finally:
            os.kill(kafka, signal.SIGCONT)
        engine = sa.create_engine(stack.database_url)
        try:
            with engine.connect() as connection:
                unsent.append(
                    connection.execute(
                        sa.select(sa.func.count()).where(
                            OUTBOX.c.sent_at.is_(None), OUTBOX.c.created_at >= burst.started_at
                        )
                    ).scalar_one()
                )
        finally:
            engine.dispose()
        figures(f"when the app died, {unsent[0]} outbox rows of the burst were not yet relayed")

    under_writes(stack, api, figures, "taskflow", strike)
    assert unsent[0] > 0, "every event was relayed before the kill: the window was missed"
