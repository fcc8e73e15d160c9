"""Contract of GET /api/audit: every event of a task once, filterable, paged, newest first."""

from collections import Counter

import httpx

from tests.contract.helpers import AUDIT_FIELDS, audit_of, moment
from tests.support.tasks import Json, create_task, poll, unique

TOPICS = {"task-events", "reminders", "task-updates"}


def _await_events(client: httpx.Client, task_id: int, *expected: str) -> list[Json]:
    """The task's audit entries once every event type of `expected` is there (events are relayed
    asynchronously)."""

    def probe() -> list[Json]:
        return audit_of(client, task_id, limit=500)[0]

    return poll(probe, lambda found: set(expected) <= {e["event_type"] for e in found})


def test_task_lifecycle_is_audited_once_per_event_newest_first(client: httpx.Client) -> None:
    task = create_task(client, title=unique("audited-"))
    client.put(f"/api/tasks/{task['id']}", json={"description": "changed"}).raise_for_status()
    client.post(f"/api/tasks/{task['id']}/complete").raise_for_status()
    client.delete(f"/api/tasks/{task['id']}").raise_for_status()

    lifecycle = ("task.created", "task.updated", "task.completed", "task.deleted")
    entries = _await_events(client, task["id"], *lifecycle)
    counts = Counter(entry["event_type"] for entry in entries)
    assert {name: counts[name] for name in lifecycle} == dict.fromkeys(lifecycle, 1)
    assert [e["event_type"] for e in entries] == list(reversed(lifecycle))

    for entry in entries:
        assert set(entry) == AUDIT_FIELDS
        assert entry["task_id"] == task["id"]
        assert entry["topic"] in TOPICS
        data = entry["data"]
        assert data["event_id"] == entry["event_id"]
        assert data["event_type"] == entry["event_type"]
        assert data["task_id"] == task["id"]
        assert {"user_id", "timestamp", "correlation_id"} <= set(data)
        assert data["task_data"]["title"] == task["title"]
        assert moment(entry["recorded_at"]) >= moment(entry["occurred_at"])
    assert len({entry["event_id"] for entry in entries}) == len(entries)
    occurred = [moment(entry["occurred_at"]) for entry in entries]
    assert occurred == sorted(occurred, reverse=True)
    completed = next(e for e in entries if e["event_type"] == "task.completed")
    assert completed["data"]["task_data"]["status"] == "completed"


def test_reminder_events_are_audited(client: httpx.Client) -> None:
    task = create_task(client, due_date="2031-03-10T09:00:00Z", reminder_offset="1 hour")
    client.post(f"/api/tasks/{task['id']}/complete").raise_for_status()
    entries = _await_events(client, task["id"], "reminder.scheduled", "reminder.cancelled")
    counts = Counter(entry["event_type"] for entry in entries)
    assert counts["reminder.scheduled"] == counts["reminder.cancelled"] == 1
    scheduled = next(e for e in entries if e["event_type"] == "reminder.scheduled")
    assert scheduled["topic"] == "reminders"
    assert scheduled["data"]["reminder_offset"] == "1 hour"


def test_event_type_filter(client: httpx.Client) -> None:
    task = create_task(client)
    for text in ("one", "two"):
        client.put(f"/api/tasks/{task['id']}", json={"description": text}).raise_for_status()
    _await_events(client, task["id"], "task.created", "task.updated")
    poll(
        lambda: audit_of(client, task["id"], event_type="task.updated"),
        lambda page: page[1] == 2,
    )

    updated, total = audit_of(client, task["id"], event_type="task.updated")
    assert total == 2
    assert [e["event_type"] for e in updated] == ["task.updated", "task.updated"]
    assert [e["data"]["update_data"]["description"] for e in updated] == ["two", "one"]
    created, total = audit_of(client, task["id"], event_type="task.created")
    assert (len(created), total) == (1, 1)
    assert audit_of(client, task["id"], event_type="task.nothing") == ([], 0)


def test_limit_and_offset_with_total_count(client: httpx.Client) -> None:
    task = create_task(client)
    for text in ("a", "b", "c", "d"):
        client.put(f"/api/tasks/{task['id']}", json={"description": text}).raise_for_status()
    everything = poll(
        lambda: audit_of(client, task["id"]), lambda page: page[1] == 5 and len(page[0]) == 5
    )[0]
    assert len(everything) == 5

    pages = [audit_of(client, task["id"], limit=2, offset=offset) for offset in (0, 2, 4, 6)]
    assert [[e["id"] for e in page] for page, _ in pages] == [
        [e["id"] for e in everything[0:2]],
        [e["id"] for e in everything[2:4]],
        [e["id"] for e in everything[4:5]],
        [],
    ]
    assert [total for _, total in pages] == [5, 5, 5, 5]


def test_audit_without_filter_lists_recent_events(client: httpx.Client) -> None:
    task = create_task(client)
    _await_events(client, task["id"], "task.created")
    response = client.get("/api/audit", params={"limit": 5})
    assert response.status_code == 200
    assert len(response.json()) <= 5
    assert int(response.headers["X-Total-Count"]) >= 1


def test_audit_of_unknown_task_is_empty(client: httpx.Client) -> None:
    assert audit_of(client, 2_000_000_000) == ([], 0)
