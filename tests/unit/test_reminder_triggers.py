"""A reminder's trigger acts only while it is current: the job's armed-for time must be the
reminder's scheduled time, and the reminder still pending. On a real database."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.adapters.dapr.jobs import RETRIES, RETRY_SECONDS, armed_for_answer, job_data
from app.adapters.local.bus import InProcessBus
from app.adapters.local.jobs import AsyncioJobs
from app.adapters.local.sql import EngineSql
from app.callbacks import callbacks_router
from app.domain.enums import ReminderStatus
from app.domain.events import REMINDERS, TASK_UPDATES, ReminderTriggered
from app.domain.models import Reminder
from app.repositories.tables import OUTBOX, REMINDER
from app.services.dead_letters import DeadLetterService
from app.services.dispatch import Dispatcher
from app.services.reconcile import IN_FLIGHT
from app.services.reminders import ReminderService, job_name
from app.services.tasks import TaskService
from processors.reminders.handler import RemindersHandler
from tests.support.owners import OWNER, STRANGER

NOW = datetime(2030, 5, 6, 7, 0, tzinfo=UTC)
DUE = NOW + timedelta(days=2)


def _written() -> None:
    """These tests run no outbox relay."""


class Setup:
    def __init__(self, sql: EngineSql) -> None:
        self.tasks = TaskService(sql, "UTC", _written)
        self.reminders = ReminderService(sql, self.tasks, _written, clock=lambda: NOW)
        self.bus = InProcessBus()
        self.triggered: list[dict[str, Any]] = []
        self.bus.subscribe(REMINDERS, self._record)
        self.jobs = AsyncioJobs(clock=lambda: NOW)
        self.handler = RemindersHandler(self.jobs, self.bus, self.reminders, clock=lambda: NOW)
        self.jobs.on_due(self.handler.on_job)

    async def _record(self, topic: str, event: dict[str, Any]) -> None:
        self.triggered.append(event)

    async def reminder(self) -> Reminder:
        task = await self.tasks.create(OWNER, {"title": "call the bank", "due_date": DUE})
        return await self.reminders.create(OWNER, task.id, "1 hour")


@pytest.fixture
async def setup(sql: EngineSql) -> Setup:
    return Setup(sql)


async def test_a_trigger_for_the_current_time_publishes_reminder_triggered(setup: Setup) -> None:
    reminder = await setup.reminder()
    await setup.handler.on_job(job_name(reminder.id), reminder.scheduled_at)
    [event] = setup.triggered
    assert event["event_type"] == "reminder.triggered"
    assert event["reminder_id"] == reminder.id
    assert datetime.fromisoformat(event["scheduled_at"]) == DUE - timedelta(hours=1)
    assert datetime.fromisoformat(event["fired_at"]) == NOW
    assert event["user_id"] == OWNER


async def test_a_reminder_nobody_owns_yet_waits_for_the_first_admin(
    setup: Setup, sql: EngineSql
) -> None:
    reminder = await setup.reminder()
    await sql.write(sa.update(REMINDER).values(owner_id=None))
    await setup.handler.on_job(job_name(reminder.id), reminder.scheduled_at)
    assert setup.triggered == []
    assert await setup.reminders.pending_after(None, 10) == []


async def test_a_trigger_is_marked_sent_only_for_the_reminder_s_owner(setup: Setup) -> None:
    reminder = await setup.reminder()
    fired_at = reminder.scheduled_at + timedelta(seconds=1)
    await setup.reminders.mark_sent(
        REMINDERS, _triggered(reminder, reminder.scheduled_at, fired_at, owner=STRANGER)
    )
    assert (await setup.reminders.get(OWNER, reminder.id)).status == ReminderStatus.PENDING
    await setup.reminders.mark_sent(
        REMINDERS, _triggered(reminder, reminder.scheduled_at, fired_at)
    )
    assert (await setup.reminders.get(OWNER, reminder.id)).status == ReminderStatus.SENT


async def test_a_trigger_for_an_older_time_does_nothing(setup: Setup) -> None:
    reminder = await setup.reminder()
    first = await setup.tasks.update(OWNER, reminder.task_id, {"due_date": DUE + timedelta(days=1)})
    await setup.tasks.update(OWNER, first.id, {"due_date": DUE + timedelta(days=2)})

    for stale in (reminder.scheduled_at, reminder.scheduled_at + timedelta(days=1)):
        await setup.handler.on_job(job_name(reminder.id), stale)
    assert setup.triggered == []

    current = await setup.reminders.get(OWNER, reminder.id)
    assert current.scheduled_at == DUE + timedelta(days=2) - timedelta(hours=1)
    await setup.handler.on_job(job_name(reminder.id), current.scheduled_at)
    assert [datetime.fromisoformat(e["scheduled_at"]) for e in setup.triggered] == [
        current.scheduled_at
    ]


async def test_a_trigger_for_a_reminder_no_longer_pending_does_nothing(setup: Setup) -> None:
    reminder = await setup.reminder()
    await setup.tasks.complete(OWNER, reminder.task_id)
    assert (await setup.reminders.get(OWNER, reminder.id)).status == ReminderStatus.CANCELLED
    await setup.handler.on_job(job_name(reminder.id), reminder.scheduled_at)
    await setup.handler.on_job("reminder-2000000000", reminder.scheduled_at)
    await setup.handler.on_job("not-a-reminder", reminder.scheduled_at)
    assert setup.triggered == []


def _triggered(
    reminder: Reminder, armed_for: datetime, fired_at: datetime, owner: int = OWNER
) -> ReminderTriggered:
    return ReminderTriggered(
        task_id=reminder.task_id,
        user_id=owner,
        reminder_id=reminder.id,
        scheduled_at=armed_for,
        fired_at=fired_at,
    )


async def test_marking_sent_ignores_a_trigger_for_another_time(setup: Setup) -> None:
    reminder = await setup.reminder()
    await setup.tasks.update(OWNER, reminder.task_id, {"due_date": DUE + timedelta(hours=3)})

    await setup.reminders.mark_sent(REMINDERS, _triggered(reminder, reminder.scheduled_at, NOW))
    assert (await setup.reminders.get(OWNER, reminder.id)).status == ReminderStatus.PENDING

    moved = await setup.reminders.get(OWNER, reminder.id)
    fired_at = moved.scheduled_at + timedelta(seconds=1)
    await setup.reminders.mark_sent(REMINDERS, _triggered(moved, moved.scheduled_at, fired_at))
    sent = await setup.reminders.get(OWNER, reminder.id)
    assert (sent.status, sent.sent_at, sent.late) == (ReminderStatus.SENT, fired_at, False)


async def test_the_sent_event_tells_the_tabs_everything_their_toast_shows(
    setup: Setup, sql: EngineSql
) -> None:
    task = await setup.tasks.create(
        OWNER, {"title": "call the bank", "due_date": DUE, "timezone": "Asia/Tokyo"}
    )
    reminder = await setup.reminders.create(OWNER, task.id, "1 hour")
    fired_at = reminder.scheduled_at + timedelta(minutes=5)
    await setup.reminders.mark_sent(
        REMINDERS, _triggered(reminder, reminder.scheduled_at, fired_at)
    )

    payloads = await sql.fetch(sa.select(OUTBOX.c.payload).where(OUTBOX.c.topic == TASK_UPDATES))
    [sent] = [row[0] for row in payloads if row[0]["event_type"] == "reminder.sent"]
    assert sent["title"] == "call the bank"
    assert sent["timezone"] == "Asia/Tokyo"
    assert datetime.fromisoformat(sent["due_date"]) == DUE
    assert sent["late"] is True


async def test_a_trigger_the_bus_refuses_counts_a_retry_and_fails(setup: Setup) -> None:
    reminder = await setup.reminder()

    async def unreachable(topic: str, event: dict[str, Any]) -> None:
        raise ConnectionError("broker unavailable")

    setup.bus.subscribe(REMINDERS, unreachable)
    for attempt in (1, 2):
        with pytest.raises(ConnectionError):
            await setup.handler.on_job(job_name(reminder.id), reminder.scheduled_at)
        assert (await setup.reminders.get(OWNER, reminder.id)).retry_count == attempt


async def test_a_new_reminder_goes_out_at_the_first_attempt(setup: Setup) -> None:
    reminder = await setup.reminder()
    assert (reminder.reminder_type, reminder.retry_count) == ("websocket", 0)


def test_the_job_callback_passes_on_the_time_the_job_was_armed_for(sql: EngineSql) -> None:
    calls: list[tuple[str, datetime]] = []

    async def on_job(name: str, armed_for: datetime) -> None:
        calls.append((name, armed_for))

    app = FastAPI()
    dispatcher = Dispatcher([], {}, DeadLetterService(sql, lambda: None))
    app.include_router(callbacks_router("sidecar-secret", dispatcher, on_job))
    headers = {"dapr-api-token": "sidecar-secret"}
    armed_for = datetime(2030, 5, 6, 6, 0, 0, 123456, tzinfo=UTC)
    with TestClient(app) as client:
        data = job_data("reminder-7", armed_for)
        done = client.post("/job/reminder-7", json=data, headers=headers)
        assert done.status_code == 200 and done.json() == {"status": "SUCCESS"}
        for body in (b'{"job": "reminder-7"}', b"not json", b'"text"'):
            dropped = client.post("/job/reminder-7", content=body, headers=headers)
            assert dropped.status_code == 200 and dropped.json() == {"status": "DROPPED"}
        assert client.post("/job/reminder-7", json={}).status_code == 401
    assert calls == [("reminder-7", armed_for)]


ARMED = datetime(2030, 5, 6, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"name": "reminder-7", "data": {"@type": "x", "value": job_data("r", ARMED)}}, ARMED),
        (200, {"name": "reminder-7", "data": job_data("r", ARMED)}, ARMED),
        (200, {"name": "reminder-7", "data": {"job": "reminder-7"}}, None),
        (404, {}, None),
        (
            500,
            {
                "errorCode": "DAPR_SCHEDULER_GET_JOB",
                "message": "failed to get job due to: rpc error: code = NotFound desc = job "
                "not found: reminder-7",
            },
            None,
        ),
    ],
    ids=["any-wrapped", "plain", "without-due-time", "404", "500-not-found"],
)
def test_the_sidecar_answer_says_what_a_job_is_armed_for(
    status: int, body: dict[str, Any], expected: datetime | None
) -> None:
    request = httpx.Request("GET", "http://sidecar/v1.0-alpha1/jobs/reminder-7")
    assert armed_for_answer(httpx.Response(status, json=body, request=request)) == expected


def test_a_sidecar_failure_is_not_taken_for_a_missing_job() -> None:
    request = httpx.Request("GET", "http://sidecar/v1.0-alpha1/jobs/reminder-7")
    failing = httpx.Response(500, json={"message": "scheduler unavailable"}, request=request)
    with pytest.raises(httpx.HTTPStatusError):
        armed_for_answer(failing)


def test_a_job_retries_for_longer_than_the_sweep_leaves_a_due_reminder_alone() -> None:
    """Else a reminder due shortly before an outage ends waits for the sweep, not its job."""
    retrying = timedelta(seconds=RETRIES * RETRY_SECONDS)
    assert retrying > IN_FLIGHT
