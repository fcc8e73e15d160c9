"""Contract of the single-task endpoints: create, get, update, delete, complete, priority, tags."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.contract.helpers import (
    MISSING_ID,
    SERVER_TIMEZONE,
    TASK_FIELDS,
    assert_invalid,
    assert_not_found,
    get_task,
    list_tasks,
    moment,
    offset_of,
    recent,
)
from tests.support.tasks import create_task, unique

# --- create -------------------------------------------------------------------------------------


def test_create_minimal_task_returns_201_with_every_field_and_defaults(
    client: httpx.Client,
) -> None:
    title = unique("minimal-")
    response = client.post("/api/tasks", json={"title": title})

    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    task = response.json()
    assert set(task) == TASK_FIELDS
    assert isinstance(task["id"], int) and task["id"] >= 1
    assert task["title"] == title
    assert task["description"] == ""
    assert task["due_date"] is None
    assert task["timezone"] == SERVER_TIMEZONE
    assert task["recurrence"] == "none"
    assert task["rrule"] is None
    assert task["repeat_from"] == "due"
    assert task["priority"] == "medium"
    assert task["tags"] == []
    assert task["status"] == "pending"
    assert task["completed_at"] is None
    assert task["parent_task_id"] is None
    assert task["reminder_offset"] is None
    assert recent(task["created_at"])
    assert moment(task["updated_at"]) == moment(task["created_at"])


def test_create_with_every_field_returns_them(client: httpx.Client) -> None:
    title = unique("full-")
    body = {
        "title": f"  {title}  ",
        "description": "milk, eggs\nand bread",
        "due_date": "2031-03-10T09:00:00",
        "timezone": "Europe/Berlin",
        "recurrence": "weekly",
        "repeat_from": "completion",
        "priority": "high",
        "tags": ["shopping", "home"],
        "reminder_offset": "1 hour",
    }
    task = create_task(client, **body)

    assert set(task) == TASK_FIELDS
    assert task["title"] == title  # trimmed
    assert task["description"] == "milk, eggs\nand bread"
    assert moment(task["due_date"]) == datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
    assert offset_of(task["due_date"]) == timedelta(hours=1)
    assert task["timezone"] == "Europe/Berlin"
    assert task["recurrence"] == "weekly"
    assert task["rrule"] == "FREQ=WEEKLY;BYDAY=MO"
    assert task["repeat_from"] == "completion"
    assert task["priority"] == "high"
    assert task["tags"] == ["shopping", "home"]
    assert task["status"] == "pending"
    assert task["reminder_offset"] == "1 hour"


def test_create_normalizes_tags_trimmed_lowercased_deduplicated(client: httpx.Client) -> None:
    tag = unique("t")
    task = create_task(
        client,
        tags=[f"  {tag.upper()} ", tag, "Work", "#work", " WORK", "a-b.c:d/e_f", "#Home"],
    )
    assert task["tags"] == [tag, "work", "a-b.c:d/e_f", "home"]
    assert get_task(client, task["id"])["tags"] == task["tags"]


def test_create_accepts_exactly_50_tags_and_500_char_title(client: httpx.Client) -> None:
    tags = [f"tag{i}" for i in range(50)]
    title = unique("long-").ljust(500, "x")
    task = create_task(client, title=title, tags=tags)
    assert task["tags"] == tags
    assert task["title"] == title


@pytest.mark.parametrize(
    ("timezone", "naive", "utc", "offset_hours"),
    [
        ("Europe/Berlin", "2031-07-01T09:00:00", datetime(2031, 7, 1, 7, tzinfo=UTC), 2),
        ("Europe/Berlin", "2031-01-15T09:00:00", datetime(2031, 1, 15, 8, tzinfo=UTC), 1),
        ("America/New_York", "2031-01-15T09:30:00", datetime(2031, 1, 15, 14, 30, tzinfo=UTC), -5),
        ("Asia/Kolkata", "2031-01-15T09:00:00", datetime(2031, 1, 15, 3, 30, tzinfo=UTC), 5.5),
    ],
)
def test_naive_due_date_is_read_in_the_tasks_zone_and_returned_with_its_offset(
    client: httpx.Client, timezone: str, naive: str, utc: datetime, offset_hours: float
) -> None:
    task = create_task(client, due_date=naive, timezone=timezone)

    assert moment(task["due_date"]) == utc
    assert offset_of(task["due_date"]) == timedelta(hours=offset_hours)
    assert task["due_date"].startswith(naive)  # the same wall-clock time comes back
    fetched = get_task(client, task["id"])
    assert fetched["due_date"] == task["due_date"]


def test_naive_due_date_without_timezone_uses_the_configured_zone(client: httpx.Client) -> None:
    task = create_task(client, due_date="2031-01-15T09:00:00")
    assert task["timezone"] == SERVER_TIMEZONE
    assert task["due_date"].startswith("2031-01-15T09:00:00")


def test_due_date_with_an_offset_is_kept_as_that_instant_shown_in_the_tasks_zone(
    client: httpx.Client,
) -> None:
    task = create_task(client, due_date="2031-01-15T10:00:00+05:00", timezone="Europe/Berlin")
    assert moment(task["due_date"]) == datetime(2031, 1, 15, 5, 0, tzinfo=UTC)
    assert task["due_date"].startswith("2031-01-15T06:00:00")
    assert offset_of(task["due_date"]) == timedelta(hours=1)


def test_custom_recurrence_normalizes_the_rrule(client: httpx.Client) -> None:
    task = create_task(
        client,
        due_date="2031-03-10T09:00:00",
        recurrence="custom",
        rrule="rrule: freq=weekly; byday=mo,we",
    )
    assert task["recurrence"] == "custom"
    assert task["rrule"] == "FREQ=WEEKLY;BYDAY=MO,WE"


def test_rrule_without_recurrence_means_custom(client: httpx.Client) -> None:
    task = create_task(client, due_date="2031-03-10T09:00:00", rrule="FREQ=DAILY;INTERVAL=2")
    assert task["recurrence"] == "custom"
    assert task["rrule"] == "FREQ=DAILY;INTERVAL=2"


# --- get ----------------------------------------------------------------------------------------


def test_get_returns_the_task_as_created(client: httpx.Client) -> None:
    created = create_task(client, description="d", tags=["x1"], priority="low")
    response = client.get(f"/api/tasks/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


def test_get_missing_task_is_404_naming_the_id(client: httpx.Client) -> None:
    assert_not_found(client.get(f"/api/tasks/{MISSING_ID}"), "task", MISSING_ID)


# --- update -------------------------------------------------------------------------------------


def test_put_changes_only_the_given_fields(client: httpx.Client) -> None:
    created = create_task(
        client,
        description="old",
        due_date="2031-03-10T09:00:00",
        timezone="Europe/Berlin",
        priority="high",
        tags=["keep"],
        reminder_offset="1 hour",
    )
    response = client.put(f"/api/tasks/{created['id']}", json={"description": "new"})

    assert response.status_code == 200, response.text
    updated = response.json()
    assert set(updated) == TASK_FIELDS
    assert updated["description"] == "new"
    unchanged = {name: created[name] for name in TASK_FIELDS - {"description", "updated_at"}}
    assert {name: updated[name] for name in unchanged} == unchanged
    assert moment(updated["updated_at"]) > moment(created["updated_at"])
    assert get_task(client, created["id"]) == updated


def test_put_several_fields(client: httpx.Client) -> None:
    created = create_task(client)
    title = unique("renamed-")
    changes = {"title": title, "priority": "low", "tags": [" B ", "a", "b"], "recurrence": "daily"}
    updated = client.put(f"/api/tasks/{created['id']}", json=changes).json()
    assert updated["title"] == title
    assert updated["priority"] == "low"
    assert updated["tags"] == ["b", "a"]
    assert updated["recurrence"] == "daily"
    assert updated["rrule"] == "FREQ=DAILY"


def test_put_null_due_date_clears_it(client: httpx.Client) -> None:
    created = create_task(client, due_date="2031-03-10T09:00:00")
    response = client.put(f"/api/tasks/{created['id']}", json={"due_date": None})
    assert response.status_code == 200, response.text
    assert response.json()["due_date"] is None
    assert get_task(client, created["id"])["due_date"] is None


def test_put_naive_due_date_is_read_in_the_tasks_zone(client: httpx.Client) -> None:
    created = create_task(client, timezone="America/New_York")
    response = client.put(f"/api/tasks/{created['id']}", json={"due_date": "2031-07-04T18:00:00"})
    assert response.status_code == 200, response.text
    due = response.json()["due_date"]
    assert due.startswith("2031-07-04T18:00:00")
    assert moment(due) == datetime(2031, 7, 4, 22, 0, tzinfo=UTC)


def test_put_null_title_is_422_naming_title_and_changes_nothing(client: httpx.Client) -> None:
    created = create_task(client)
    assert_invalid(client.put(f"/api/tasks/{created['id']}", json={"title": None}), "body", "title")
    assert get_task(client, created["id"]) == created


def test_put_empty_body_changes_nothing(client: httpx.Client) -> None:
    created = create_task(client, description="same")
    response = client.put(f"/api/tasks/{created['id']}", json={})
    assert response.status_code == 200
    assert response.json() == created


def test_put_status_completed_then_pending_reopens(client: httpx.Client) -> None:
    created = create_task(client)
    done = client.put(f"/api/tasks/{created['id']}", json={"status": "completed"}).json()
    assert done["status"] == "completed"
    assert done["completed_at"] is not None and recent(done["completed_at"])
    reopened = client.put(f"/api/tasks/{created['id']}", json={"status": "pending"}).json()
    assert reopened["status"] == "pending"
    assert reopened["completed_at"] is None


def test_put_missing_task_is_404(client: httpx.Client) -> None:
    response = client.put(f"/api/tasks/{MISSING_ID}", json={"title": "x"})
    assert_not_found(response, "task", MISSING_ID)


# --- delete -------------------------------------------------------------------------------------


def test_delete_is_204_then_the_task_is_gone(client: httpx.Client) -> None:
    title = unique("doomed-")
    created = create_task(client, title=title)

    response = client.delete(f"/api/tasks/{created['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert_not_found(client.get(f"/api/tasks/{created['id']}"), "task", created["id"])
    assert list_tasks(client, q=title) == ([], 0)
    assert_not_found(client.delete(f"/api/tasks/{created['id']}"), "task", created["id"])


# --- complete -----------------------------------------------------------------------------------


def test_complete_returns_the_completed_task(client: httpx.Client) -> None:
    created = create_task(client, priority="low", tags=["errand"])
    response = client.post(f"/api/tasks/{created['id']}/complete")

    assert response.status_code == 200, response.text
    done = response.json()
    assert set(done) == TASK_FIELDS
    assert done["status"] == "completed"
    assert done["completed_at"] is not None
    assert recent(done["completed_at"])
    assert moment(done["completed_at"]) >= moment(created["created_at"])
    assert done["title"] == created["title"]
    assert done["tags"] == ["errand"]
    assert get_task(client, created["id"]) == done


def test_completing_twice_is_harmless(client: httpx.Client) -> None:
    created = create_task(client)
    first = client.post(f"/api/tasks/{created['id']}/complete")
    second = client.post(f"/api/tasks/{created['id']}/complete")
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()


def test_complete_missing_task_is_404(client: httpx.Client) -> None:
    assert_not_found(client.post(f"/api/tasks/{MISSING_ID}/complete"), "task", MISSING_ID)


# --- priority -----------------------------------------------------------------------------------


@pytest.mark.parametrize("priority", ["low", "medium", "high"])
def test_put_priority_sets_it(client: httpx.Client, priority: str) -> None:
    created = create_task(client, priority="high" if priority != "high" else "low")
    response = client.put(f"/api/tasks/{created['id']}/priority", json={"priority": priority})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["priority"] == priority
    assert updated["title"] == created["title"]
    assert get_task(client, created["id"])["priority"] == priority


def test_put_priority_on_missing_task_is_404(client: httpx.Client) -> None:
    response = client.put(f"/api/tasks/{MISSING_ID}/priority", json={"priority": "high"})
    assert_not_found(response, "task", MISSING_ID)


# --- tags ---------------------------------------------------------------------------------------


def _tags_request(client: httpx.Client, method: str, task_id: int, tags: Any) -> httpx.Response:
    return client.request(method, f"/api/tasks/{task_id}/tags", json={"tags": tags})


def test_post_tags_adds_normalized_tags_without_duplicates(client: httpx.Client) -> None:
    created = create_task(client, tags=["home", "work"])
    response = _tags_request(client, "POST", created["id"], [" Garden ", "HOME", "#new", "garden"])
    assert response.status_code == 200, response.text
    assert response.json()["tags"] == ["home", "work", "garden", "new"]
    assert get_task(client, created["id"])["tags"] == ["home", "work", "garden", "new"]


def test_delete_tags_removes_them_case_insensitively(client: httpx.Client) -> None:
    created = create_task(client, tags=["home", "work", "garden"])
    response = _tags_request(client, "DELETE", created["id"], [" WORK", "absent"])
    assert response.status_code == 200, response.text
    assert response.json()["tags"] == ["home", "garden"]
    assert get_task(client, created["id"])["tags"] == ["home", "garden"]


def test_post_tags_beyond_50_in_all_is_422_and_changes_nothing(client: httpx.Client) -> None:
    created = create_task(client, tags=[f"t{i}" for i in range(49)])
    assert_invalid(_tags_request(client, "POST", created["id"], ["x1", "x2"]), "body", "tags")
    assert get_task(client, created["id"])["tags"] == created["tags"]


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_tags_on_missing_task_is_404(client: httpx.Client, method: str) -> None:
    assert_not_found(_tags_request(client, method, MISSING_ID, ["x"]), "task", MISSING_ID)
