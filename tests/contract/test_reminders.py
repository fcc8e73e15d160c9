"""Contract of /api/reminders and of the reminders a task's due date and offset give it."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.adapters.local.sql import EngineSql, create_engine
from app.services.tasks import TaskService
from tests.contract.helpers import (
    MISSING_ID,
    REMINDER_FIELDS,
    assert_invalid,
    assert_not_found,
    moment,
    recent,
    reminders_of,
)
from tests.support.api import api_client
from tests.support.databases import migrated_sqlite_url
from tests.support.tasks import Json, create_task, poll

# Far enough ahead that no reminder of these tests fires while they run.
DUE = "2031-03-10T09:00:00"
DUE_UTC = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)  # DUE read in Europe/Berlin


def _dated_task(client: httpx.Client, **fields: object) -> Json:
    return create_task(client, due_date=DUE, timezone="Europe/Berlin", **fields)


def test_task_with_due_date_and_offset_gets_one_pending_reminder(client: httpx.Client) -> None:
    task = _dated_task(client, reminder_offset="1 hour")
    reminders = reminders_of(client, task["id"])

    assert len(reminders) == 1
    reminder = reminders[0]
    assert set(reminder) == REMINDER_FIELDS
    assert isinstance(reminder["id"], int)
    assert reminder["task_id"] == task["id"]
    assert reminder["reminder_offset"] == "1 hour"
    assert moment(reminder["scheduled_at"]) == DUE_UTC - timedelta(hours=1)
    assert reminder["status"] == "pending"
    assert reminder["late"] is False
    assert reminder["sent_at"] is None
    assert recent(reminder["created_at"])
    assert reminder["reminder_type"] == "websocket"
    assert reminder["retry_count"] == 0


@pytest.mark.parametrize(
    "fields",
    [{"reminder_offset": "1 hour"}, {"due_date": DUE}],
    ids=["offset-without-due-date", "due-date-without-offset"],
)
def test_task_without_due_date_or_offset_gets_no_reminder(
    client: httpx.Client, fields: dict[str, str]
) -> None:
    task = create_task(client, timezone="Europe/Berlin", **fields)
    assert reminders_of(client, task["id"]) == []


@pytest.mark.parametrize(
    ("offset", "canonical", "minutes"),
    [
        ("30 minutes", "30 minutes", 30),
        ("1 hour", "1 hour", 60),
        ("2 days", "2 days", 2 * 24 * 60),
        ("PT30M", "30 minutes", 30),
        ("P1DT2H", "1 day 2 hours", 26 * 60),
        ("1 day 2 hours", "1 day 2 hours", 26 * 60),
        ("90 min", "1 hour 30 minutes", 90),
        ("1w", "1 week", 7 * 24 * 60),
        ("at due time", "0 minutes", 0),
        ("PT0S", "0 minutes", 0),
    ],
)
def test_post_reminder_with_offset(
    client: httpx.Client, offset: str, canonical: str, minutes: int
) -> None:
    task = _dated_task(client)
    response = client.post(
        "/api/reminders", json={"task_id": task["id"], "reminder_offset": offset}
    )

    assert response.status_code == 201, response.text
    reminder = response.json()
    assert set(reminder) == REMINDER_FIELDS
    assert reminder["task_id"] == task["id"]
    assert reminder["reminder_offset"] == canonical
    assert moment(reminder["scheduled_at"]) == DUE_UTC - timedelta(minutes=minutes)
    assert reminder["status"] == "pending"
    assert reminders_of(client, task["id"]) == [reminder]


@pytest.mark.parametrize(
    ("offset", "canonical"),
    [("PT30M", "30 minutes"), ("2 Days", "2 days"), ("PT90S", "1 minute 30 seconds")],
)
def test_task_offset_is_stored_in_canonical_form(
    client: httpx.Client, offset: str, canonical: str
) -> None:
    task = _dated_task(client, reminder_offset=offset)
    assert task["reminder_offset"] == canonical
    assert [r["reminder_offset"] for r in reminders_of(client, task["id"])] == [canonical]


def test_post_reminder_on_task_without_due_date_is_422(client: httpx.Client) -> None:
    task = create_task(client)
    response = client.post("/api/reminders", json={"task_id": task["id"], "reminder_offset": "1h"})
    assert_invalid(response, "body", "task_id")
    assert reminders_of(client, task["id"]) == []


def test_post_reminder_on_completed_task_is_422(client: httpx.Client) -> None:
    task = _dated_task(client)
    client.post(f"/api/tasks/{task['id']}/complete").raise_for_status()
    response = client.post("/api/reminders", json={"task_id": task["id"], "reminder_offset": "1h"})
    assert_invalid(response, "body", "task_id")
    assert reminders_of(client, task["id"]) == []


def test_post_reminder_on_missing_task_is_404(client: httpx.Client) -> None:
    response = client.post("/api/reminders", json={"task_id": MISSING_ID, "reminder_offset": "1h"})
    assert_not_found(response, "task", MISSING_ID)


def test_delete_reminder_is_204_then_it_is_gone(client: httpx.Client) -> None:
    task = _dated_task(client, reminder_offset="1 hour")
    extra = client.post("/api/reminders", json={"task_id": task["id"], "reminder_offset": "1 day"})
    extra_id = extra.json()["id"]

    response = client.delete(f"/api/reminders/{extra_id}")
    assert response.status_code == 204
    assert response.content == b""
    remaining = reminders_of(client, task["id"])
    assert [r["reminder_offset"] for r in remaining] == ["1 hour"]
    assert_not_found(client.delete(f"/api/reminders/{extra_id}"), "reminder", extra_id)


def test_delete_missing_reminder_is_404(client: httpx.Client) -> None:
    assert_not_found(client.delete(f"/api/reminders/{MISSING_ID}"), "reminder", MISSING_ID)


def test_list_filters_by_task_and_status(client: httpx.Client) -> None:
    kept = _dated_task(client, reminder_offset="1 hour")
    done = _dated_task(client, reminder_offset="1 hour")
    client.post(f"/api/tasks/{done['id']}/complete").raise_for_status()

    assert [r["status"] for r in reminders_of(client, kept["id"], "pending")] == ["pending"]
    assert reminders_of(client, kept["id"], "cancelled") == []
    assert reminders_of(client, done["id"], "pending") == []
    assert [r["status"] for r in reminders_of(client, done["id"], "cancelled")] == ["cancelled"]

    everything = client.get("/api/reminders", params={"status": "pending"})
    assert everything.status_code == 200
    pending_tasks = {r["task_id"] for r in everything.json()}
    assert kept["id"] in pending_tasks and done["id"] not in pending_tasks
    assert all(r["status"] == "pending" for r in everything.json())


def test_redating_a_task_moves_its_pending_reminder(client: httpx.Client) -> None:
    task = _dated_task(client, reminder_offset="30 minutes")
    [before] = reminders_of(client, task["id"])

    response = client.put(f"/api/tasks/{task['id']}", json={"due_date": "2031-04-01T18:00:00"})
    assert response.status_code == 200, response.text
    [after] = reminders_of(client, task["id"])
    assert after["id"] == before["id"]
    assert after["status"] == "pending"
    new_due = datetime(2031, 4, 1, 16, 0, tzinfo=UTC)  # 18:00 in Berlin, summer time
    assert moment(after["scheduled_at"]) == new_due - timedelta(minutes=30)


def test_changing_the_offset_replaces_the_pending_reminder(client: httpx.Client) -> None:
    task = _dated_task(client, reminder_offset="30 minutes")
    client.put(f"/api/tasks/{task['id']}", json={"reminder_offset": "2 hours"}).raise_for_status()
    pending = reminders_of(client, task["id"], "pending")
    assert [(r["reminder_offset"], moment(r["scheduled_at"])) for r in pending] == [
        ("2 hours", DUE_UTC - timedelta(hours=2))
    ]


def test_dating_an_undated_task_with_offset_schedules_its_reminder(client: httpx.Client) -> None:
    task = create_task(client, timezone="Europe/Berlin", reminder_offset="1 hour")
    client.put(f"/api/tasks/{task['id']}", json={"due_date": DUE}).raise_for_status()
    pending = reminders_of(client, task["id"], "pending")
    assert [moment(r["scheduled_at"]) for r in pending] == [DUE_UTC - timedelta(hours=1)]


def test_completing_a_task_cancels_its_reminders(client: httpx.Client) -> None:
    task = _dated_task(client, reminder_offset="1 hour")
    client.post("/api/reminders", json={"task_id": task["id"], "reminder_offset": "1 day"})
    client.post(f"/api/tasks/{task['id']}/complete").raise_for_status()

    reminders = reminders_of(client, task["id"])
    assert len(reminders) == 2
    assert {r["status"] for r in reminders} == {"cancelled"}


def test_clearing_the_due_date_cancels_its_reminders(client: httpx.Client) -> None:
    task = _dated_task(client, reminder_offset="1 hour")
    client.put(f"/api/tasks/{task['id']}", json={"due_date": None}).raise_for_status()
    assert reminders_of(client, task["id"], "pending") == []


def test_clearing_the_offset_cancels_its_reminder(client: httpx.Client) -> None:
    task = _dated_task(client, reminder_offset="1 hour")
    response = client.put(f"/api/tasks/{task['id']}", json={"reminder_offset": None})
    assert response.status_code == 200, response.text
    assert response.json()["reminder_offset"] is None
    assert [r["status"] for r in reminders_of(client, task["id"])] == ["cancelled"]


def test_reopening_a_task_schedules_its_reminder_again(client: httpx.Client) -> None:
    task = _dated_task(client, reminder_offset="1 hour")
    client.post(f"/api/tasks/{task['id']}/complete").raise_for_status()
    client.put(f"/api/tasks/{task['id']}", json={"status": "pending"}).raise_for_status()
    pending = reminders_of(client, task["id"], "pending")
    assert [moment(r["scheduled_at"]) for r in pending] == [DUE_UTC - timedelta(hours=1)]


def test_deleting_a_task_leaves_no_pending_reminder(client: httpx.Client) -> None:
    task = _dated_task(client, reminder_offset="1 hour")
    [reminder] = reminders_of(client, task["id"])
    client.delete(f"/api/tasks/{task['id']}").raise_for_status()

    assert reminders_of(client, task["id"], "pending") == []
    pending = client.get("/api/reminders", params={"status": "pending"}).json()
    assert reminder["id"] not in {r["id"] for r in pending}


def test_reminder_of_a_past_due_date_fires_at_once_and_says_it_is_late(
    client: httpx.Client,
) -> None:
    task = create_task(client, due_date="2020-01-01T09:00:00Z", reminder_offset="1 hour")
    reminders = poll(
        lambda: reminders_of(client, task["id"]),
        lambda found: [r["status"] for r in found] == ["sent"],
    )
    assert [r["status"] for r in reminders] == ["sent"]
    assert reminders[0]["late"] is True
    assert reminders[0]["sent_at"] is not None and recent(reminders[0]["sent_at"])


def test_reminder_fires_on_time(client: httpx.Client) -> None:
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1, seconds=3)
    task = create_task(client, due_date=due.isoformat(), reminder_offset="1 minute")
    [reminder] = reminders_of(client, task["id"])
    assert reminder["status"] == "pending"
    assert moment(reminder["scheduled_at"]) == due - timedelta(minutes=1)

    fired = poll(
        lambda: reminders_of(client, task["id"]),
        lambda found: found[0]["status"] != "pending",
        timeout=20,
    )
    assert fired[0]["status"] == "sent"
    assert fired[0]["late"] is False
    sent_at = moment(fired[0]["sent_at"])
    assert (
        due - timedelta(minutes=1) <= sent_at < due - timedelta(minutes=1) + timedelta(seconds=30)
    )


def _page(client: httpx.Client, **params: int | str) -> tuple[list[Json], int]:
    response = client.get("/api/reminders", params=params)
    assert response.status_code == 200, response.text
    return response.json(), int(response.headers["X-Total-Count"])


def test_list_pages_soonest_first_with_the_total_in_a_header(client: httpx.Client) -> None:
    task = _dated_task(client, reminder_offset="1 hour")
    for offset in ("1 day", "2 hours", "30 minutes"):
        client.post(
            "/api/reminders", json={"task_id": task["id"], "reminder_offset": offset}
        ).raise_for_status()
    everything, total = _page(client, task_id=task["id"])
    assert total == 4
    assert [r["reminder_offset"] for r in everything] == [
        "1 day",
        "2 hours",
        "1 hour",
        "30 minutes",
    ]

    page, total = _page(client, task_id=task["id"], limit=2, offset=1)
    assert total == 4
    assert page == everything[1:3]
    assert _page(client, task_id=task["id"], offset=4) == ([], 4)
    assert _page(client, task_id=task["id"], status="sent") == ([], 0)


def test_list_without_filters_pages_by_default(client: httpx.Client) -> None:
    _dated_task(client, reminder_offset="1 hour")
    page, total = _page(client)
    assert 1 <= len(page) <= 50
    assert total >= len(page)


@pytest.mark.parametrize(
    ("name", "value"),
    [("limit", 0), ("limit", 501), ("limit", "many"), ("offset", -1)],
)
def test_list_refuses_a_bad_page(client: httpx.Client, name: str, value: int | str) -> None:
    response = client.get("/api/reminders", params={name: value})
    assert_invalid(response, "query", name)


def _soon(seconds: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)


def test_redating_twice_quickly_never_fires_at_an_old_time(client: httpx.Client) -> None:
    # The reminder comes 1 minute before the due date: first in 2 s, then in 4 s, then in an hour.
    first, second = _soon(62), _soon(64)
    task = create_task(client, due_date=first.isoformat(), reminder_offset="1 minute")
    for due in (second, _soon(3600)):
        response = client.put(f"/api/tasks/{task['id']}", json={"due_date": due.isoformat()})
        assert response.status_code == 200, response.text

    old_times_passed = second - timedelta(minutes=1) + timedelta(seconds=3)
    while datetime.now(UTC) < old_times_passed:
        time.sleep(0.2)
    [reminder] = reminders_of(client, task["id"])
    assert reminder["status"] == "pending"
    assert reminder["sent_at"] is None
    assert moment(reminder["scheduled_at"]) > old_times_passed + timedelta(minutes=50)


def test_a_reminder_moved_near_fires_at_its_new_time(client: httpx.Client) -> None:
    task = _dated_task(client, reminder_offset="1 minute")
    due = _soon(63)
    response = client.put(f"/api/tasks/{task['id']}", json={"due_date": due.isoformat()})
    assert response.status_code == 200, response.text

    fired = poll(
        lambda: reminders_of(client, task["id"]),
        lambda found: found[0]["status"] != "pending",
        timeout=20,
    )
    assert fired[0]["status"] == "sent"
    assert moment(fired[0]["scheduled_at"]) == due - timedelta(minutes=1)
    assert moment(fired[0]["sent_at"]) >= due - timedelta(minutes=1)
    assert fired[0]["late"] is False
    assert fired[0]["retry_count"] == 0


BACKLOG = 2000  # overdue at start-up: they fire through a bounded queue while the API answers


async def _overdue_reminders(database_url: str, owner: int, count: int) -> None:
    """`count` tasks of `owner` whose reminders fell due while no server ran (none has a job
    yet)."""
    engine = create_engine(database_url)
    tasks = TaskService(EngineSql(engine), "UTC", lambda: None)
    for number in range(count):
        await tasks.create(
            owner,
            {
                "title": f"overdue {number}",
                "due_date": datetime(2020, 1, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=number),
                "reminder_offset": "1 hour",
            },
        )
    engine.dispose()


@pytest.mark.slow
def test_a_backlog_of_overdue_reminders_fires_while_the_api_keeps_answering(
    tmp_path: Path,
) -> None:
    database_url = migrated_sqlite_url(tmp_path, "backlog.db")
    with api_client(database_url) as first_run:  # makes the admin, whose tasks they are
        admin = first_run.get("/api/auth/me").json()["user"]["id"]
    asyncio.run(_overdue_reminders(database_url, admin, BACKLOG))

    with api_client(database_url) as api:
        answered = 0

        def pending() -> int:
            nonlocal answered
            listing = api.get("/api/tasks", params={"limit": 5})
            assert listing.status_code == 200, listing.text
            answered += 1
            page = api.get("/api/reminders", params={"status": "pending", "limit": 1})
            return int(page.headers["X-Total-Count"])

        assert poll(pending, lambda left: left == 0, timeout=120, every=0.2) == 0
        sent, total = _page(api, status="sent", limit=500)
    assert answered >= 1
    assert total == BACKLOG
    assert all(r["late"] and r["retry_count"] == 0 for r in sent)
