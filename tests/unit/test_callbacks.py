"""The sidecar's calls on the app: only with the app token, and the successor request."""

import asyncio
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.adapters.dapr.jobs import job_data
from app.callbacks import callbacks_router
from app.config import ROOT, Settings
from app.domain.events import REMINDERS, ReminderCancelled, message
from app.domain.models import Task
from app.ports import BusUnavailable, StoreUnavailable
from app.routing import Handler, Route
from app.services.dispatch import Dispatcher

TOKEN = "sidecar-secret"
HEADERS = {"dapr-api-token": TOKEN}
SUCCESSOR = "/internal/tasks/7/successor"
# The parent's owner (3) asks for the successor too.
BODY = {"user_id": 3, "due_date": "2030-01-02T09:00:00+00:00", "rule": "FREQ=DAILY"}
Asked = tuple[int, int, datetime, str]


class NoDeadLetters:
    async def record(self, topic: str, payload: dict[str, object], error: str) -> None:
        raise AssertionError("nothing is set aside here")


def callbacks(app_token: str | None, asked: list[Asked]) -> FastAPI:
    async def create_successor(
        owner: int, parent_id: int, due_date: datetime, rule: str
    ) -> Task | None:
        asked.append((owner, parent_id, due_date, rule))
        return None  # it exists already

    async def on_job(name: str, armed_for: datetime) -> None:
        raise AssertionError("no job is due here")

    app = FastAPI()
    app.include_router(
        callbacks_router(
            app_token,
            Dispatcher([], {}, NoDeadLetters()),
            on_job,
            create_successor=create_successor,
        )
    )
    return app


def test_the_successor_request_creates_at_most_one() -> None:
    asked: list[Asked] = []
    with TestClient(callbacks(TOKEN, asked)) as client:
        done = client.post(SUCCESSOR, json=BODY, headers=HEADERS)
        assert done.status_code == 200 and done.json() == {"created_task_id": None}
        for bad_path, bad_body in (
            ("/internal/tasks/0/successor", BODY),
            (SUCCESSOR, {**BODY, "extra": 1}),
            (SUCCESSOR, {"rule": "FREQ=DAILY"}),
            (SUCCESSOR, {key: value for key, value in BODY.items() if key != "user_id"}),
            (SUCCESSOR, {**BODY, "user_id": 0}),
        ):
            assert client.post(bad_path, json=bad_body, headers=HEADERS).status_code == 422
    assert asked == [(3, 7, datetime(2030, 1, 2, 9, tzinfo=UTC), "FREQ=DAILY")]


@pytest.mark.parametrize(
    "token",
    [
        None,
        b"",
        b"wrong",
        TOKEN.upper().encode(),
        TOKEN.encode() + b" ",
        # Not ASCII: UTF-8 bytes, and Latin-1 bytes that are no UTF-8 at all.
        "sidecar-secrét".encode(),
        "sidecar-secrét".encode("latin-1"),
        b"\xff\xfe",
    ],
)
def test_without_the_app_token_every_callback_is_refused(token: bytes | None) -> None:
    asked: list[Asked] = []
    headers = {} if token is None else {b"dapr-api-token": token}
    with TestClient(callbacks(TOKEN, asked)) as client:
        for path, body in (
            (SUCCESSOR, BODY),
            ("/events/task-events", {"data": {}}),
            ("/events/task-events/bulk", {"entries": []}),
            ("/job/reminder-1", {}),
        ):
            refused = client.post(path, json=body, headers=headers)
            assert refused.status_code == 401, (path, token, refused.text)
    assert asked == []


def test_a_process_without_a_token_lets_no_call_through() -> None:
    asked: list[Asked] = []
    with TestClient(callbacks(None, asked)) as client:
        for headers in ({}, {"dapr-api-token": ""}, HEADERS):
            assert client.post(SUCCESSOR, json=BODY, headers=headers).status_code == 401
    assert asked == []


@pytest.mark.parametrize("token", [None, "", "not ascii é", "two words", "tab\there"])
def test_dapr_mode_needs_a_visible_ascii_app_token(
    monkeypatch: pytest.MonkeyPatch, token: str | None
) -> None:
    monkeypatch.setenv("TASKFLOW_RUNTIME", "dapr")
    if token is None:
        monkeypatch.delenv("APP_API_TOKEN", raising=False)
    else:
        monkeypatch.setenv("APP_API_TOKEN", token)
    with pytest.raises(ValueError, match="APP_API_TOKEN"):
        Settings.from_env()
    with pytest.raises(SystemExit, match="APP_API_TOKEN"):
        Settings.at_start_up()


def test_the_app_token_is_read_once_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKFLOW_RUNTIME", "dapr")
    monkeypatch.setenv("APP_API_TOKEN", TOKEN)
    settings = Settings.from_env()
    assert settings.app_api_token == TOKEN
    assert TOKEN not in repr(settings), "kept out of logs"
    monkeypatch.setenv("TASKFLOW_RUNTIME", "local")
    monkeypatch.delenv("APP_API_TOKEN")
    assert Settings.from_env().app_api_token is None, "embedded mode needs none"


def test_a_processor_refuses_to_start_without_its_app_token() -> None:
    env = {"PATH": "/usr/bin:/bin", "TASKFLOW_RUNTIME": "dapr", "HOME": str(ROOT)}
    started = subprocess.run(
        [sys.executable, "-m", "processors", "recurrence"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert started.returncode == 1
    assert "APP_API_TOKEN must be set" in started.stderr
    assert "Traceback" not in started.stderr


def test_a_database_or_broker_that_is_down_answers_503_to_be_delivered_again() -> None:
    async def store_down(topic: str, event: object) -> None:
        raise StoreUnavailable("the database failed: connection refused")

    async def broker_down(name: str, armed_for: datetime) -> None:
        raise BusUnavailable("publishing to reminders failed: circuit breaker is open")

    route = Route("audit", REMINDERS, Handler.AUDIT, frozenset({"reminder.cancelled"}))
    app = FastAPI()
    app.include_router(
        callbacks_router(
            TOKEN, Dispatcher([route], {Handler.AUDIT: store_down}, NoDeadLetters()), broker_down
        )
    )
    cancelled = _cancelled(2)
    due = datetime(2030, 1, 2, 9, tzinfo=UTC)
    with TestClient(app) as client:
        delivery = client.post(
            f"/events/{REMINDERS}", json={"data": message(cancelled)}, headers=HEADERS
        )
        job = client.post("/job/reminder-2", json=job_data("reminder-2", due), headers=HEADERS)
    assert (delivery.status_code, job.status_code) == (503, 503)
    assert "connection refused" in delivery.json()["detail"]
    assert "circuit breaker" in job.json()["detail"]


class SetAside:
    def __init__(self) -> None:
        self.payloads: list[object] = []

    async def record(self, topic: str, payload: dict[str, object], error: str) -> None:
        self.payloads.append(payload)


def test_a_bulk_delivery_handles_its_events_side_by_side_and_retries_only_the_failed() -> None:
    """Reminder 2's database is down and reminder 3's handler breaks: those two alone are
    delivered again. What is no event is set aside, and so done."""
    handled: list[int] = []
    both_in = asyncio.Event()

    async def audit(topic: str, event: ReminderCancelled) -> None:
        if event.reminder_id == 2:
            raise StoreUnavailable("the database failed: connection refused")
        if event.reminder_id == 3:
            raise RuntimeError("a bug")
        handled.append(event.reminder_id)
        if len(handled) == 2:
            both_in.set()
        # Reminders 1 and 4 wait for each other: handled one after the other, they would not.
        async with asyncio.timeout(5):
            await both_in.wait()

    route = Route("audit", REMINDERS, Handler.AUDIT, frozenset({"reminder.cancelled"}))
    set_aside = SetAside()
    app = FastAPI()
    app.include_router(
        callbacks_router(TOKEN, Dispatcher([route], {Handler.AUDIT: audit}, set_aside))
    )
    entries = [
        {"entryId": f"e{reminder}", "event": {"data": message(_cancelled(reminder))}}
        for reminder in (1, 2, 3, 4)
    ]
    entries.append({"entryId": "e5", "event": {"data": {"not": "an event"}}})
    with TestClient(app) as client:
        answer = client.post(
            f"/events/{REMINDERS}/bulk", json={"entries": entries}, headers=HEADERS
        )
        malformed = client.post(f"/events/{REMINDERS}/bulk", json={"id": "x"}, headers=HEADERS)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "statuses": [
            {"entryId": "e1", "status": "SUCCESS"},
            {"entryId": "e2", "status": "RETRY"},
            {"entryId": "e3", "status": "RETRY"},
            {"entryId": "e4", "status": "SUCCESS"},
            {"entryId": "e5", "status": "SUCCESS"},
        ]
    }
    assert sorted(handled) == [1, 4]
    assert set_aside.payloads == [{"not": "an event"}]
    assert malformed.status_code == 422 and "entries" in malformed.text


def _cancelled(reminder_id: int) -> ReminderCancelled:
    return ReminderCancelled(
        task_id=1,
        user_id=1,
        reminder_id=reminder_id,
        scheduled_at=datetime(2030, 1, 2, 9, tzinfo=UTC),
        reminder_offset="1 hour",
        status="cancelled",
    )
