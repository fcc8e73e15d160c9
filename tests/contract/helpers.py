"""Helpers of the contract tests: the fields of each resource, readers, error checks."""

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.tasks import Json

TASK_FIELDS = frozenset(
    {
        "id",
        "title",
        "description",
        "due_date",
        "recurrence",
        "rrule",
        "repeat_from",
        "priority",
        "tags",
        "status",
        "created_at",
        "updated_at",
        "completed_at",
        "parent_task_id",
        "reminder_offset",
        "timezone",
    }
)
REMINDER_FIELDS = frozenset(
    {
        "id",
        "task_id",
        "reminder_offset",
        "scheduled_at",
        "reminder_type",
        "status",
        "retry_count",
        "late",
        "created_at",
        "sent_at",
    }
)
AUDIT_FIELDS = frozenset(
    {"id", "event_id", "event_type", "topic", "task_id", "data", "occurred_at", "recorded_at"}
)

# The server under test inherits this environment; without it the configured zone is UTC.
SERVER_TIMEZONE = os.environ.get("TASKFLOW_TIMEZONE", "UTC")

# A task id no test creates (ids are handed out from 1 upwards).
MISSING_ID = 2_000_000_000


def get_task(client: httpx.Client, task_id: int) -> Json:
    response = client.get(f"/api/tasks/{task_id}")
    assert response.status_code == 200, response.text
    task: Json = response.json()
    return task


def list_tasks(client: httpx.Client, **params: Any) -> tuple[list[Json], int]:
    """One page of GET /api/tasks and its X-Total-Count."""
    response = client.get("/api/tasks", params=params)
    assert response.status_code == 200, response.text
    return response.json(), int(response.headers["X-Total-Count"])


def titles(tasks: Sequence[Json]) -> list[str]:
    return [task["title"] for task in tasks]


def ids(items: Sequence[Json]) -> list[int]:
    return [item["id"] for item in items]


def reminders_of(client: httpx.Client, task_id: int, status: str | None = None) -> list[Json]:
    params: dict[str, Any] = {"task_id": task_id}
    if status is not None:
        params["status"] = status
    response = client.get("/api/reminders", params=params)
    assert response.status_code == 200, response.text
    reminders: list[Json] = response.json()
    return reminders


def audit_of(client: httpx.Client, task_id: int, **params: Any) -> tuple[list[Json], int]:
    response = client.get("/api/audit", params={"task_id": task_id, **params})
    assert response.status_code == 200, response.text
    return response.json(), int(response.headers["X-Total-Count"])


def moment(text: str) -> datetime:
    """An ISO 8601 time from the API, which must carry an offset."""
    parsed = datetime.fromisoformat(text)
    assert parsed.tzinfo is not None and parsed.utcoffset() is not None, text
    return parsed


def offset_of(text: str) -> timedelta:
    offset = moment(text).utcoffset()
    assert offset is not None
    return offset


def recent(text: str, within: timedelta = timedelta(minutes=2)) -> bool:
    return abs(datetime.now(UTC) - moment(text)) < within


def assert_invalid(response: httpx.Response, *loc: str | int) -> None:
    """422 whose detail names `loc` (e.g. "body", "title") as an error location or its prefix."""
    assert response.status_code == 422, (response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    locations = [tuple(error["loc"]) for error in detail]
    assert all(isinstance(error["msg"], str) and error["msg"] for error in detail), detail
    assert any(location[: len(loc)] == loc for location in locations), (loc, locations)


def assert_not_found(response: httpx.Response, what: str, ident: int) -> None:
    assert response.status_code == 404, (response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, str), detail
    assert what in detail and str(ident) in detail, detail
