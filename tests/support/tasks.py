"""Creating tasks through the API and waiting for what follows, for every tier and the bench."""

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

Json = dict[str, Any]
T = TypeVar("T")


def unique(prefix: str = "c") -> str:
    """A short marker no other test uses: valid as a tag and searchable in a title."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def create_task(client: httpx.Client, **fields: Any) -> Json:
    """POST /api/tasks (a title of its own unless given); the created task."""
    fields.setdefault("title", unique("task-"))
    response = client.post("/api/tasks", json=fields)
    assert response.status_code == 201, (response.status_code, response.text)
    task: Json = response.json()
    return task


def poll(
    probe: Callable[[], T],
    done: Callable[[T], object] = bool,
    timeout: float = 5.0,
    every: float = 0.1,
) -> T:
    """Call `probe` until `done` holds of its result or `timeout` seconds have passed; the last
    result either way, for the caller to judge (waiting out a quiet period ends this way)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if done(result) or time.monotonic() >= deadline:
            return result
        time.sleep(every)


def eventually(check: Callable[[], T | None], timeout: float, every: float = 0.1) -> T:
    """`poll` for a truthy result, which must come within `timeout` seconds; that result."""
    result = poll(check, bool, timeout, every)
    assert result, f"not within {timeout} s (last: {result!r})"
    return result
