"""Recurring tasks through HTTP: completing one yields exactly one successor, due when it should."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.contract.helpers import assert_invalid, get_task, list_tasks, moment, reminders_of
from tests.support.tasks import Json, create_task, poll, unique

# How long to wait before concluding that a successor that should not exist did not appear.
QUIET_SECONDS = 1.5
# Accepted once, it made dateutil look for a date until the year 9999: seconds of a frozen server.
RULE_WITHOUT_DATES = "FREQ=DAILY;BYMONTHDAY=1;BYYEARDAY=2"
# Feb 29 on a Monday: 2072, then 2112 (2100 is no leap year); the weekly rule is walked a week
# at a time, the daily one a year at a time.
SPARSE_RULES = (
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",
    "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;BYSETPOS=1",
)
SPARSE_COMPLETIONS = 20


def _series(client: httpx.Client, marker: str) -> list[Json]:
    """Every task whose title holds `marker`, oldest first."""
    found, _ = list_tasks(client, q=marker, sort_by="created_at", order="asc", limit=500)
    return found


def _complete_and_await_successor(client: httpx.Client, task: Json, marker: str) -> Json:
    response = client.post(f"/api/tasks/{task['id']}/complete")
    assert response.status_code == 200, response.text
    series = poll(
        lambda: _series(client, marker),
        lambda found: any(t["parent_task_id"] == task["id"] for t in found),
    )
    successors = [t for t in series if t["parent_task_id"] == task["id"]]
    assert len(successors) == 1, series
    return successors[0]


def _recurring(client: httpx.Client, **fields: Any) -> tuple[Json, str]:
    marker = unique("series-")
    fields.setdefault("timezone", "Europe/Berlin")
    task = create_task(client, title=f"Water plants {marker}", **fields)
    return task, marker


@pytest.mark.parametrize(
    ("fields", "next_due", "rule"),
    [
        (
            {"recurrence": "daily", "due_date": "2031-03-10T09:00:00"},
            "2031-03-11T09:00:00+01:00",
            "FREQ=DAILY",
        ),
        (
            {"recurrence": "weekly", "due_date": "2031-03-10T09:00:00"},
            "2031-03-17T09:00:00+01:00",
            "FREQ=WEEKLY;BYDAY=MO",
        ),
        (  # across the spring-forward change of 2031-03-30: still 09:00 on the wall clock
            {"recurrence": "weekly", "due_date": "2031-03-24T09:00:00"},
            "2031-03-31T09:00:00+02:00",
            "FREQ=WEEKLY;BYDAY=MO",
        ),
        (  # the 31st becomes the last day of a shorter month
            {"recurrence": "monthly", "due_date": "2031-01-31T09:00:00"},
            "2031-02-28T09:00:00+01:00",
            "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1",
        ),
        (
            {"recurrence": "monthly", "due_date": "2031-03-10T09:00:00"},
            "2031-04-10T09:00:00+02:00",
            "FREQ=MONTHLY;BYMONTHDAY=10",
        ),
        (
            {
                "recurrence": "custom",
                "rrule": "FREQ=WEEKLY;BYDAY=MO,WE",
                "due_date": "2031-03-10T09:00:00",
            },
            "2031-03-12T09:00:00+01:00",
            "FREQ=WEEKLY;BYDAY=MO,WE",
        ),
        (
            {"rrule": "FREQ=DAILY;INTERVAL=3", "due_date": "2031-03-10T09:00:00"},
            "2031-03-13T09:00:00+01:00",
            "FREQ=DAILY;INTERVAL=3",
        ),
    ],
    ids=["daily", "weekly", "weekly-over-dst", "monthly-31st", "monthly", "custom", "interval"],
)
def test_completing_a_recurring_task_creates_its_successor(
    client: httpx.Client, fields: dict[str, str], next_due: str, rule: str
) -> None:
    task, marker = _recurring(
        client, description="both", priority="high", tags=["garden"], **fields
    )
    successor = _complete_and_await_successor(client, task, marker)

    assert successor["parent_task_id"] == task["id"]
    assert successor["id"] != task["id"]
    assert successor["due_date"] == next_due
    assert successor["rrule"] == rule
    assert successor["status"] == "pending"
    assert successor["completed_at"] is None
    for name in ("title", "description", "priority", "tags", "timezone", "recurrence"):
        assert successor[name] == task[name], name
    assert successor["repeat_from"] == "due"


def test_successor_keeps_the_reminder_offset_and_gets_its_own_reminder(
    client: httpx.Client,
) -> None:
    task, marker = _recurring(
        client, recurrence="daily", due_date="2031-03-10T09:00:00", reminder_offset="15 minutes"
    )
    successor = _complete_and_await_successor(client, task, marker)

    assert successor["reminder_offset"] == "15 minutes"
    reminders = poll(lambda: reminders_of(client, successor["id"]), bool)
    assert [(r["status"], moment(r["scheduled_at"])) for r in reminders] == [
        ("pending", datetime(2031, 3, 11, 7, 45, tzinfo=UTC))
    ]


def test_completing_twice_or_reopening_never_makes_a_second_successor(
    client: httpx.Client,
) -> None:
    task, marker = _recurring(client, recurrence="daily", due_date="2031-03-10T09:00:00")
    successor = _complete_and_await_successor(client, task, marker)

    again = client.post(f"/api/tasks/{task['id']}/complete")
    assert again.status_code == 200
    client.put(f"/api/tasks/{task['id']}", json={"status": "pending"}).raise_for_status()
    client.post(f"/api/tasks/{task['id']}/complete").raise_for_status()
    time.sleep(QUIET_SECONDS)

    series = _series(client, marker)
    assert [t["id"] for t in series] == [task["id"], successor["id"]]


def test_a_non_recurring_task_has_no_successor(client: httpx.Client) -> None:
    task, marker = _recurring(client, due_date="2031-03-10T09:00:00")
    client.post(f"/api/tasks/{task['id']}/complete").raise_for_status()
    time.sleep(QUIET_SECONDS)
    assert [t["id"] for t in _series(client, marker)] == [task["id"]]


def test_count_limits_the_series(client: httpx.Client) -> None:
    task, marker = _recurring(client, rrule="FREQ=DAILY;COUNT=2", due_date="2031-03-10T09:00:00")
    successor = _complete_and_await_successor(client, task, marker)
    assert successor["rrule"] == "FREQ=DAILY;COUNT=1"
    assert successor["due_date"] == "2031-03-11T09:00:00+01:00"

    client.post(f"/api/tasks/{successor['id']}/complete").raise_for_status()
    time.sleep(QUIET_SECONDS)
    assert [t["id"] for t in _series(client, marker)] == [task["id"], successor["id"]]


def test_successor_of_a_successor_continues_the_chain(client: httpx.Client) -> None:
    task, marker = _recurring(client, recurrence="weekly", due_date="2031-03-10T09:00:00")
    second = _complete_and_await_successor(client, task, marker)
    third = _complete_and_await_successor(client, second, marker)
    assert third["parent_task_id"] == second["id"]
    assert third["due_date"] == "2031-03-24T09:00:00+01:00"


def test_late_completion_repeating_from_due_skips_missed_slots(client: httpx.Client) -> None:
    task, marker = _recurring(
        client, recurrence="daily", due_date="2020-01-01T09:00:00", timezone="UTC"
    )
    successor = _complete_and_await_successor(client, task, marker)

    completed = moment(client.get(f"/api/tasks/{task['id']}").json()["completed_at"])
    nine = datetime.combine(completed.date(), datetime.min.time(), UTC).replace(hour=9)
    expected = nine if completed < nine else nine + timedelta(days=1)
    assert moment(successor["due_date"]) == expected


def test_repeat_from_completion_counts_from_the_completion_day(client: httpx.Client) -> None:
    task, marker = _recurring(
        client,
        recurrence="daily",
        repeat_from="completion",
        due_date="2020-01-01T09:00:00",
        timezone="UTC",
    )
    successor = _complete_and_await_successor(client, task, marker)

    completed_day: date = moment(
        client.get(f"/api/tasks/{task['id']}").json()["completed_at"]
    ).date()
    expected = datetime.combine(completed_day + timedelta(days=1), datetime.min.time(), UTC)
    assert moment(successor["due_date"]) == expected.replace(hour=9)
    assert successor["repeat_from"] == "completion"


def test_redating_a_weekly_task_moves_its_weekday(client: httpx.Client) -> None:
    task, marker = _recurring(client, recurrence="weekly", due_date="2031-03-10T09:00:00")
    response = client.put(f"/api/tasks/{task['id']}", json={"due_date": "2031-03-12T09:00:00"})
    assert response.status_code == 200, response.text
    assert response.json()["rrule"] == "FREQ=WEEKLY;BYDAY=WE"
    successor = _complete_and_await_successor(client, task, marker)
    assert successor["due_date"] == "2031-03-19T09:00:00+01:00"


def test_moving_a_weekly_task_to_another_zone_keeps_it_weekly(client: httpx.Client) -> None:
    """Due Monday 23:30 UTC; moved to Berlin it is due Tuesday 00:30, so it repeats on Tuesdays:
    the next one is a week later, not the following Monday."""
    task, marker = _recurring(
        client, recurrence="weekly", due_date="2031-03-10T23:30:00", timezone="UTC"
    )
    response = client.put(f"/api/tasks/{task['id']}", json={"timezone": "Europe/Berlin"})
    assert response.status_code == 200, response.text
    assert response.json()["due_date"] == "2031-03-11T00:30:00+01:00"
    successor = _complete_and_await_successor(client, task, marker)
    assert successor["due_date"] == "2031-03-18T00:30:00+01:00"


def test_deleting_the_parent_keeps_the_successor(client: httpx.Client) -> None:
    task, marker = _recurring(client, recurrence="daily", due_date="2031-03-10T09:00:00")
    successor = _complete_and_await_successor(client, task, marker)
    assert client.delete(f"/api/tasks/{task['id']}").status_code == 204
    response = client.get(f"/api/tasks/{successor['id']}")
    assert response.status_code == 200
    assert response.json()["parent_task_id"] is None
    assert response.json()["due_date"] == successor["due_date"]


@pytest.mark.parametrize(
    "fields", [{"due_date": "2031-03-10T09:00:00"}, {}], ids=["with-due-date", "without"]
)
def test_a_rule_without_dates_is_refused_at_creation(
    client: httpx.Client, fields: dict[str, str]
) -> None:
    response = client.post(
        "/api/tasks", json={"title": unique(), "rrule": RULE_WITHOUT_DATES, **fields}
    )
    assert_invalid(response, "body", "rrule")
    assert "gives no date within 100 years" in response.json()["detail"][0]["msg"]


def test_a_rule_without_dates_is_refused_at_update(client: httpx.Client) -> None:
    task = create_task(client, rrule="FREQ=MONTHLY;BYMONTH=2", due_date="2031-02-10T09:00:00")

    response = client.put(f"/api/tasks/{task['id']}", json={"rrule": RULE_WITHOUT_DATES})
    assert_invalid(response, "body", "rrule")
    # From the 30th, a rule for February never has a date.
    response = client.put(f"/api/tasks/{task['id']}", json={"due_date": "2031-01-30T09:00:00"})
    assert_invalid(response, "body", "rrule")
    assert "gives no date within 100 years of 2031-01-30" in response.json()["detail"][0]["msg"]

    assert get_task(client, task["id"]) == task


def test_a_leap_day_series_skips_the_century_year(client: httpx.Client) -> None:
    task, marker = _recurring(
        client, rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", due_date="2096-02-29T09:00:00"
    )
    successor = _complete_and_await_successor(client, task, marker)
    assert successor["due_date"] == "2104-02-29T09:00:00+01:00"


def test_sparse_series_completed_at_once_while_the_board_is_read(client: httpx.Client) -> None:
    """20 series whose next date is 40 years on are completed at once while the board is read:
    every one gets its successor, and every listing answers. (That the dates are found off the
    event loop is shown in tests/unit/test_recurrence_handler.py.)"""
    marker = unique("sparse-")
    tasks = [
        create_task(
            client,
            title=f"Leap Monday {marker}",
            rrule=SPARSE_RULES[number % len(SPARSE_RULES)],
            due_date="2072-02-29T09:00:00",
            timezone="UTC",
        )
        for number in range(SPARSE_COMPLETIONS)
    ]
    series: list[Json] = []
    with ThreadPoolExecutor(max_workers=SPARSE_COMPLETIONS) as pool:
        done = [pool.submit(client.post, f"/api/tasks/{task['id']}/complete") for task in tasks]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(series) < 2 * SPARSE_COMPLETIONS:
            list_tasks(client)
            series = _series(client, marker)
        assert all(future.result().status_code == 200 for future in done)

    successors = [task for task in series if task["parent_task_id"] is not None]
    assert len(successors) == SPARSE_COMPLETIONS, series
    assert {moment(task["due_date"]) for task in successors} == {
        datetime(2112, 2, 29, 9, tzinfo=UTC)
    }
