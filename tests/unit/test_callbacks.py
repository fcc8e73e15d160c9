"""The sidecar's calls on the app: only with the app token, and the successor request."""

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.callbacks import callbacks_router
from app.domain.models import Task
from app.services.dispatch import Dispatcher

TOKEN = "sidecar-secret"
HEADERS = {"dapr-api-token": TOKEN}


class NoDeadLetters:
    async def record(self, topic: str, payload: dict[str, object], error: str) -> None:
        raise AssertionError("nothing is set aside here")


def test_the_successor_request_creates_at_most_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_API_TOKEN", TOKEN)
    asked: list[tuple[int, int, datetime, str]] = []

    async def create_successor(
        owner: int, parent_id: int, due_date: datetime, rule: str
    ) -> Task | None:
        asked.append((owner, parent_id, due_date, rule))
        return None  # it exists already

    app = FastAPI()
    app.include_router(
        callbacks_router(Dispatcher([], {}, NoDeadLetters()), create_successor=create_successor)
    )
    path = "/internal/tasks/7/successor"
    body = {"user_id": 3, "due_date": "2030-01-02T09:00:00+00:00", "rule": "FREQ=DAILY"}
    with TestClient(app) as client:
        assert client.post(path, json=body).status_code == 401
        assert client.post(path, json=body, headers={"dapr-api-token": "wrong"}).status_code == 401
        done = client.post(path, json=body, headers=HEADERS)
        assert done.status_code == 200 and done.json() == {"created_task_id": None}
        for bad_path, bad_body in (
            ("/internal/tasks/0/successor", body),
            (path, {**body, "extra": 1}),
            (path, {"rule": "FREQ=DAILY"}),
            (path, {key: value for key, value in body.items() if key != "user_id"}),
            (path, {**body, "user_id": 0}),
        ):
            assert client.post(bad_path, json=bad_body, headers=HEADERS).status_code == 422
    assert asked == [(3, 7, datetime(2030, 1, 2, 9, tzinfo=UTC), "FREQ=DAILY")]
