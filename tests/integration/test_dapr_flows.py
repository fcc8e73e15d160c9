"""Dapr mode end to end on the real stack: PostgreSQL, Kafka, the scheduler, and a sidecar
next to the app and each processor."""

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from dapr.conf import settings

from app.adapters.dapr.sidecar import RuntimeCalls
from tests.support.stack import SCRIPT as STACK_SCRIPT
from tests.support.stack import Stack
from tests.support.tasks import create_task, eventually


@pytest.fixture
def api(stack: Stack) -> httpx.Client:
    return stack.client()


def successors(api: httpx.Client, tag: str, parent_id: int) -> list[dict[str, Any]]:
    listed = api.get("/api/tasks", params={"tags": tag, "limit": 500}).json()
    return [task for task in listed if task["parent_task_id"] == parent_id]


def audit_of(api: httpx.Client, task_id: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = api.get(
        "/api/audit", params={"task_id": task_id, "limit": 500}
    ).json()
    return entries


def test_the_app_holds_no_database_url_and_no_kafka_address(stack: Stack) -> None:
    for app_id in ("taskflow", "recurrence", "reminders", "audit"):
        environment = stack.environment_of(app_id)
        assert environment.get("TASKFLOW_RUNTIME") == "dapr"
        assert "TASKFLOW_DATABASE_URL" not in environment
        leaked = [
            name
            for name, value in environment.items()
            if stack.kafka_bootstrap in value or "postgresql://" in value or "dbname=" in value
        ]
        assert leaked == [], f"{app_id} can see {leaked}"


async def test_a_statement_longer_than_grpcs_metadata_limit_gets_its_answer(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The binding echoes the statement in its answer's metadata: a batch of a bulk delivery
    (100 reminders' deliveries) is far over gRPC's default 8 KiB."""
    environment = stack.environment_of("notifier")
    monkeypatch.setattr(settings, "DAPR_GRPC_PORT", int(environment["DAPR_GRPC_PORT"]))
    monkeypatch.setattr(settings, "DAPR_API_TOKEN", environment.get("DAPR_API_TOKEN"))
    calls = RuntimeCalls()
    try:
        statement = "SELECT 1 AS one /* " + "x" * 60_000 + " */"
        answer = await calls.invoke_binding("taskdb", "query", {"sql": statement, "params": "[]"})
    finally:
        await calls.close()
    assert json.loads(answer.data) == [[1]]


def test_callbacks_refuse_callers_without_the_app_token(stack: Stack) -> None:
    event = {"data": {"event_id": str(uuid.uuid4()), "event_type": "task.created"}}
    response = httpx.post(f"{stack.app_url}/events/reminders", json=event, timeout=10)
    assert response.status_code == 401
    for app_id in ("recurrence", "reminders", "audit"):
        response = httpx.post(f"{stack.apps[app_id]}/events/task-events", json=event, timeout=10)
        assert response.status_code == 401


def test_completing_a_recurring_task_creates_one_successor_within_5_s(
    api: httpx.Client,
) -> None:
    tag = f"it{uuid.uuid4().hex[:8]}"
    task = create_task(
        api,
        title="Take out the bins",
        due_date="2026-03-02T07:30:00",
        timezone="Europe/Berlin",
        recurrence="weekly",
        tags=[tag],
    )
    completed_at = time.monotonic()
    assert api.post(f"/api/tasks/{task['id']}/complete").json()["status"] == "completed"
    [successor] = eventually(lambda: successors(api, tag, task["id"]), 5)
    assert time.monotonic() - completed_at < 5
    due = datetime.fromisoformat(successor["due_date"])
    assert (due.weekday(), due.hour, due.minute) == (0, 7, 30)
    time.sleep(2)
    assert len(successors(api, tag, task["id"])) == 1


def test_a_reminder_fires_through_the_scheduler_once_and_on_time(api: httpx.Client) -> None:
    due = datetime.now(UTC) + timedelta(minutes=1, seconds=4)
    task = create_task(api, title="Stand-up", due_date=due.isoformat(), reminder_offset="1 minute")
    scheduled_at = due - timedelta(minutes=1)

    def sent() -> dict[str, Any] | None:
        [reminder] = api.get("/api/reminders", params={"task_id": task["id"]}).json()
        return reminder if reminder["status"] == "sent" else None

    reminder = eventually(sent, 20)
    lateness = datetime.fromisoformat(reminder["sent_at"]) - scheduled_at
    assert timedelta(0) <= lateness < timedelta(seconds=10)
    assert reminder["late"] is False
    kinds = [entry["event_type"] for entry in eventually(lambda: audit_of(api, task["id"]), 5)]
    time.sleep(2)
    kinds = [entry["event_type"] for entry in audit_of(api, task["id"])]
    assert kinds.count("reminder.triggered") == 1
    assert kinds.count("reminder.sent") == 1


def test_every_event_is_audited_once_and_a_redelivery_changes_nothing(
    stack: Stack, api: httpx.Client
) -> None:
    tag = f"it{uuid.uuid4().hex[:8]}"
    task = create_task(
        api, title="Water plants", due_date="2026-05-01T08:00:00", recurrence="daily"
    )
    api.post(f"/api/tasks/{task['id']}/tags", json={"tags": [tag]})
    api.post(f"/api/tasks/{task['id']}/complete")
    eventually(lambda: successors(api, tag, task["id"]), 5)

    def lifecycle() -> list[dict[str, Any]]:
        entries = audit_of(api, task["id"])
        kinds = {entry["event_type"] for entry in entries}
        return entries if {"task.created", "task.updated", "task.completed"} <= kinds else []

    entries = eventually(lifecycle, 10)
    event_ids = [entry["event_id"] for entry in entries]
    assert len(event_ids) == len(set(event_ids))

    completed = next(e for e in entries if e["event_type"] == "task.completed")["data"]
    published = httpx.post(
        f"{stack.sidecar('taskflow')}/v1.0/publish/pubsub/task-events",
        content=json.dumps(completed),
        headers={**stack.dapr_headers("taskflow"), "content-type": "application/json"},
        timeout=10,
    )
    assert published.status_code == 204, published.text
    time.sleep(4)
    assert len(successors(api, tag, task["id"])) == 1
    assert len(audit_of(api, task["id"])) == len(entries)


def test_a_malformed_event_is_set_aside_in_the_dead_letter_list_and_work_goes_on(
    stack: Stack, api: httpx.Client
) -> None:
    marker = f"poison-{uuid.uuid4().hex}"
    published = httpx.post(
        f"{stack.sidecar('taskflow')}/v1.0/publish/pubsub/task-events",
        content=json.dumps({"not": "an event", "marker": marker}),
        headers={**stack.dapr_headers("taskflow"), "content-type": "application/json"},
        timeout=10,
    )
    assert published.status_code == 204, published.text

    def dead_lettered() -> bool:
        letters = api.get("/api/dead-letters", params={"replayed": False, "limit": 500})
        return any(marker in json.dumps(letter["payload"]) for letter in letters.json())

    assert eventually(dead_lettered, 90)
    test_completing_a_recurring_task_creates_one_successor_within_5_s(api)


def kill_and_restart(stack: Stack, name: str, while_down: Callable[[], None]) -> None:
    """SIGKILL a process of the stack (no shutdown code runs), act, then bring it back."""
    os.killpg(stack.pid_of(name), signal.SIGKILL)
    while_down()
    subprocess.run([str(STACK_SCRIPT), "up"], check=True, capture_output=True, timeout=300)

    def ready() -> bool:
        try:
            return httpx.get(f"{stack.apps[name]}/health/ready", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    eventually(ready, 120)


def test_recurrence_killed_midway_misses_no_successor_and_doubles_none(
    stack: Stack, api: httpx.Client
) -> None:
    tag = f"it{uuid.uuid4().hex[:8]}"
    tasks = [
        create_task(
            api, title=f"Chore {n}", due_date="2026-04-01T18:00:00", recurrence="daily", tags=[tag]
        )
        for n in range(10)
    ]
    for task in tasks[:5]:
        api.post(f"/api/tasks/{task['id']}/complete")

    def complete_the_rest() -> None:
        for task in tasks[5:]:
            assert api.post(f"/api/tasks/{task['id']}/complete").status_code == 200

    kill_and_restart(stack, "recurrence", complete_the_rest)

    def every_successor() -> list[dict[str, Any]]:
        listed = api.get("/api/tasks", params={"tags": tag, "limit": 500}).json()
        children = [task for task in listed if task["parent_task_id"] is not None]
        return children if len(children) >= len(tasks) else []

    children = eventually(every_successor, 60)
    time.sleep(3)
    children = every_successor()
    assert sorted(child["parent_task_id"] for child in children) == sorted(t["id"] for t in tasks)


def test_reminders_pending_while_the_app_restarts_still_fire(
    stack: Stack, api: httpx.Client
) -> None:
    due = datetime.now(UTC) + timedelta(minutes=1, seconds=8)
    task = create_task(
        api, title="Renew insurance", due_date=due.isoformat(), reminder_offset="1 minute"
    )

    def scheduled() -> bool:
        return any(e["event_type"] == "reminder.scheduled" for e in audit_of(api, task["id"]))

    eventually(scheduled, 10)  # its job is in the scheduler: the app is not needed to fire it
    kill_and_restart(stack, "taskflow", lambda: time.sleep(10))

    def sent() -> dict[str, Any] | None:
        [reminder] = api.get("/api/reminders", params={"task_id": task["id"]}).json()
        return reminder if reminder["status"] == "sent" else None

    reminder = eventually(sent, 60)
    fired = datetime.fromisoformat(reminder["sent_at"]) - (due - timedelta(minutes=1))
    assert timedelta(0) <= fired < timedelta(seconds=10)
