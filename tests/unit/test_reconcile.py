"""The reconciliation sweep and the embedded timers, on a real database and the real
in-process jobs (a lost job is one the timers no longer hold)."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import app.services.reconcile as reconcile
from app.adapters.local.bus import InProcessBus
from app.adapters.local.jobs import AsyncioJobs
from app.adapters.local.sql import EngineSql
from app.config import Settings
from app.domain.enums import Recurrence, TaskStatus
from app.domain.events import TASK_EVENTS, parse_event
from app.domain.models import Reminder, Task
from app.repositories.tables import TASK
from app.services.audit import AuditService
from app.services.outbox import OutboxRelay
from app.services.reconcile import STILL_RETRIED, ReminderJobsSweep, SuccessorSweep, arm_pending
from app.services.reminders import ReminderService, job_name
from app.services.tasks import TaskService
from processors.audit.handler import AuditHandler
from tests.support.owners import OWNER

NOW = datetime(2030, 5, 6, 7, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)  # past the time a new reminder is left to its event
DUE = NOW + timedelta(days=2)


def _written() -> None:
    """These tests run no outbox relay."""


async def _never_due(name: str, armed_for: datetime) -> None:
    raise AssertionError(f"{name} fired")


class Setup:
    def __init__(self, sql: EngineSql) -> None:
        self.sql = sql
        self.tasks = TaskService(sql, "UTC", _written)
        self.reminders = ReminderService(sql, self.tasks, _written, clock=lambda: NOW)
        self.jobs = AsyncioJobs(clock=lambda: NOW)
        self.jobs.on_due(_never_due)

    async def reminders_due(self, *hours: int) -> list[Reminder]:
        task = await self.tasks.create(OWNER, {"title": "water the plants", "due_date": DUE})
        return [await self.reminders.create(OWNER, task.id, f"{hour} hours") for hour in hours]


@pytest.fixture
async def setup(sql: EngineSql) -> Setup:
    return Setup(sql)


async def test_start_up_arms_every_pending_reminder_page_by_page(setup: Setup) -> None:
    reminders = await setup.reminders_due(1, 2, 3, 4, 5)
    assert await arm_pending(setup.reminders, setup.jobs, page=2) == 5
    for reminder in reminders:
        assert await setup.jobs.armed_for(job_name(reminder.id)) == reminder.scheduled_at
    await setup.jobs.close()


async def test_the_sweep_rearms_a_lost_job_once_and_counts_the_retry(setup: Setup) -> None:
    kept, lost = await setup.reminders_due(1, 2)
    await arm_pending(setup.reminders, setup.jobs)
    await setup.jobs.cancel(job_name(lost.id))  # the scheduler lost it
    sweep = ReminderJobsSweep(setup.reminders, setup.jobs, clock=lambda: LATER)

    assert await sweep() == 1
    assert await setup.jobs.armed_for(job_name(lost.id)) == lost.scheduled_at
    assert (await setup.reminders.get(OWNER, lost.id)).retry_count == 1
    assert (await setup.reminders.get(OWNER, kept.id)).retry_count == 0
    assert await sweep() == 0  # nothing left to repair
    assert (await setup.reminders.get(OWNER, lost.id)).retry_count == 1
    await setup.jobs.close()


async def test_the_sweep_moves_a_job_armed_for_another_time(setup: Setup) -> None:
    [reminder] = await setup.reminders_due(1)
    await setup.jobs.schedule(job_name(reminder.id), reminder.scheduled_at - timedelta(days=1))
    assert await ReminderJobsSweep(setup.reminders, setup.jobs, clock=lambda: LATER)() == 1
    assert await setup.jobs.armed_for(job_name(reminder.id)) == reminder.scheduled_at
    assert (await setup.reminders.get(OWNER, reminder.id)).retry_count == 0
    await setup.jobs.close()


async def test_a_brand_new_reminder_is_left_to_its_own_event(setup: Setup) -> None:
    [reminder] = await setup.reminders_due(1)
    assert await ReminderJobsSweep(setup.reminders, setup.jobs, clock=lambda: NOW)() == 0
    assert await setup.jobs.armed_for(job_name(reminder.id)) is None


async def test_a_reminder_that_just_came_due_is_left_to_its_trigger(setup: Setup) -> None:
    [reminder] = await setup.reminders_due(1)
    just_after = reminder.scheduled_at + timedelta(seconds=5)
    assert await ReminderJobsSweep(setup.reminders, setup.jobs, clock=lambda: just_after)() == 0
    long_after = reminder.scheduled_at + timedelta(minutes=5)
    assert await ReminderJobsSweep(setup.reminders, setup.jobs, clock=lambda: long_after)() == 1
    assert (await setup.reminders.get(OWNER, reminder.id)).retry_count == 1
    await setup.jobs.close()


async def test_a_job_still_retried_is_left_alone_though_the_scheduler_says_it_holds_none(
    setup: Setup,
) -> None:
    """Dapr's scheduler says so of a job that came due, while it still calls it back after
    each failure: arming it again at every pass started one more round of retries each time
    (in a 5-minute Kafka outage, 676 callbacks of one reminder instead of about 100)."""
    [reminder] = await setup.reminders_due(1)
    failed_at = reminder.scheduled_at + timedelta(minutes=4)
    retried = ReminderService(setup.sql, setup.tasks, _written, clock=lambda: failed_at)
    await retried.count_retry(reminder.id, reminder.scheduled_at)  # a callback that failed
    assert await setup.jobs.armed_for(job_name(reminder.id)) is None

    def sweep_at(moment: datetime) -> ReminderJobsSweep:
        return ReminderJobsSweep(setup.reminders, setup.jobs, clock=lambda: moment)

    assert await sweep_at(failed_at + STILL_RETRIED - timedelta(seconds=1))() == 0
    assert await setup.jobs.armed_for(job_name(reminder.id)) is None
    # Its retries have stopped: the job is lost, and armed again.
    assert await sweep_at(failed_at + STILL_RETRIED + timedelta(seconds=1))() == 1
    assert await setup.jobs.armed_for(job_name(reminder.id)) == reminder.scheduled_at
    assert (await setup.reminders.get(OWNER, reminder.id)).retry_count == 2
    await setup.jobs.close()


async def test_each_pass_sweeps_one_page_and_carries_on_where_the_last_stopped(
    setup: Setup,
) -> None:
    reminders = await setup.reminders_due(5, 4, 3, 2, 1)  # soonest last
    sweep = ReminderJobsSweep(setup.reminders, setup.jobs, page=2, clock=lambda: LATER)
    soonest_first = sorted(reminders, key=lambda r: r.scheduled_at)

    armed: list[list[int]] = []
    for _ in range(4):
        before = {r.id for r in reminders if await setup.jobs.armed_for(job_name(r.id))}
        await sweep()
        after = {r.id for r in reminders if await setup.jobs.armed_for(job_name(r.id))}
        armed.append(sorted(after - before))
    ids = [r.id for r in soonest_first]
    assert armed == [sorted(ids[:2]), sorted(ids[2:4]), ids[4:], []]
    await setup.jobs.close()


async def _complete(setup: Setup, **fields: object) -> Task:
    """A task completed at NOW, whatever day the tests run."""
    task = await setup.tasks.create(OWNER, {"title": "stand-up", "due_date": DUE, **fields})
    await setup.tasks.complete(OWNER, task.id)
    await setup.sql.write(sa.update(TASK).where(TASK.c.id == task.id).values(completed_at=NOW))
    return await setup.tasks.get(OWNER, task.id)


async def _successors(setup: Setup, parent: Task) -> list[int]:
    rows = await setup.sql.fetch(sa.select(TASK.c.id).where(TASK.c.parent_task_id == parent.id))
    return [row[0] for row in rows]


async def test_a_completed_recurring_task_without_successor_gets_one(setup: Setup) -> None:
    parent = await _complete(setup, recurrence=Recurrence.DAILY)
    one_off = await _complete(setup)
    sweep = SuccessorSweep(setup.sql, setup.tasks)

    assert await sweep() == 1
    [child_id] = await _successors(setup, parent)
    child = await setup.tasks.get(OWNER, child_id)
    assert child.status == TaskStatus.PENDING
    assert child.due_date == DUE + timedelta(days=1)
    assert await _successors(setup, one_off) == []
    assert await sweep() == 0
    assert await _successors(setup, parent) == [child_id]


async def test_a_successor_the_user_deleted_is_not_brought_back(setup: Setup) -> None:
    parent = await _complete(setup, recurrence=Recurrence.DAILY)
    sweep = SuccessorSweep(setup.sql, setup.tasks)
    assert await sweep() == 1
    [child_id] = await _successors(setup, parent)

    await setup.tasks.delete(OWNER, child_id)
    bus = InProcessBus()
    audit = AuditHandler(AuditService(setup.sql))
    bus.subscribe(TASK_EVENTS, lambda topic, data: audit(topic, parse_event(data)))
    relay = OutboxRelay(setup.sql, bus)
    while (await relay.drain()).claimed:  # the audit trail records the deletion
        pass
    assert [await sweep() for _ in range(2)] == [0, 0]
    assert await _successors(setup, parent) == []


async def test_a_series_that_has_ended_is_expanded_once_then_skipped(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    ended = await _complete(setup, rrule="FREQ=DAILY;COUNT=1")
    expanded: list[int] = []
    real = reconcile.successor_of

    def counting(task: Task) -> object:
        expanded.append(1)
        return real(task)

    monkeypatch.setattr(reconcile, "successor_of", counting)
    sweep = SuccessorSweep(setup.sql, setup.tasks)
    assert [await sweep() for _ in range(3)] == [0, 0, 0]
    assert len(expanded) == 1
    assert await _successors(setup, ended) == []


async def test_a_rule_that_cannot_be_expanded_is_tried_once_and_the_sweep_goes_on(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = await _complete(setup, recurrence=Recurrence.DAILY)
    healthy = await _complete(setup, recurrence=Recurrence.DAILY)
    attempts: list[int] = []
    real = reconcile.successor_of

    def over_budget(task: Task) -> object:
        if not attempts:  # the oldest completion, broken, comes first
            attempts.append(1)
            raise TimeoutError("expansion over its budget")
        return real(task)

    monkeypatch.setattr(reconcile, "successor_of", over_budget)
    sweep = SuccessorSweep(setup.sql, setup.tasks, page=1)
    assert [await sweep() for _ in range(4)] == [0, 1, 0, 0]
    assert await _successors(setup, broken) == []
    assert len(await _successors(setup, healthy)) == 1


async def test_successors_are_repaired_a_page_at_a_time_oldest_completion_first(
    setup: Setup,
) -> None:
    first = await _complete(setup, recurrence=Recurrence.WEEKLY)
    second = await _complete(setup, recurrence=Recurrence.WEEKLY)
    sweep = SuccessorSweep(setup.sql, setup.tasks, page=1)
    assert await sweep() == 1
    assert (len(await _successors(setup, first)), len(await _successors(setup, second))) == (1, 0)
    assert await sweep() == 1
    assert len(await _successors(setup, second)) == 1


async def test_an_overdue_backlog_runs_a_few_jobs_at_a_time() -> None:
    running = 0
    most = 0
    done: list[str] = []

    async def handler(name: str, armed_for: datetime) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0)
        running -= 1
        done.append(name)

    jobs = AsyncioJobs(workers=3, clock=lambda: NOW)
    jobs.on_due(handler)
    names = [f"reminder-{n}" for n in range(300)]
    for name in names:
        await jobs.schedule(name, NOW - timedelta(hours=1))
    for _ in range(1000):
        if len(done) == len(names):
            break
        await asyncio.sleep(0)
    await jobs.close()
    assert sorted(done) == sorted(names)
    assert most == 3


async def test_a_due_job_waiting_in_the_backlog_still_counts_as_armed() -> None:
    release = asyncio.Event()

    async def handler(name: str, armed_for: datetime) -> None:
        await release.wait()

    jobs = AsyncioJobs(workers=1, clock=lambda: NOW)
    jobs.on_due(handler)
    await jobs.schedule("reminder-1", NOW)
    await jobs.schedule("reminder-2", NOW)
    for _ in range(5):
        await asyncio.sleep(0)
    assert await jobs.armed_for("reminder-1") == NOW  # running
    assert await jobs.armed_for("reminder-2") == NOW  # queued
    release.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert await jobs.armed_for("reminder-1") is None
    assert await jobs.armed_for("reminder-2") is None
    await jobs.close()


@pytest.mark.parametrize(("text", "seconds"), [("5", 5.0), ("0.5", 0.5)])
def test_the_sweep_interval_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, text: str, seconds: float
) -> None:
    monkeypatch.setenv("TASKFLOW_RECONCILE_SECONDS", text)
    assert Settings.from_env().reconcile_seconds == seconds


@pytest.mark.parametrize("text", ["0", "-1", "soon", "nan"])
def test_a_sweep_interval_that_is_not_a_positive_number_is_refused(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv("TASKFLOW_RECONCILE_SECONDS", text)
    with pytest.raises(ValueError, match="TASKFLOW_RECONCILE_SECONDS"):
        Settings.from_env()
