"""End to end through `make run`: the page, browser safety on the one port, a recurring task's
successor, reminders firing on time and, after a crash, late."""

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import Product
from tests.support.tasks import create_task, eventually


def test_one_port_serves_the_page_and_the_api(product: Product) -> None:
    with product.client() as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "<html" in page.text.lower()
        assert client.get("/api/openapi.json").json()["info"]["title"] == "TaskFlow"
        assert client.get("/health/ready").json()["status"] == "healthy"


EVIL = "https://evil.example"


def test_other_sites_get_no_cors_and_no_cookie_writes_on_the_one_port(product: Product) -> None:
    """Reflex adds CORS layers and a WebSocket of its own: the safety layer covers them too."""
    with httpx.Client(base_url=product.base_url, timeout=10) as client:
        preflight = client.options(
            "/api/tasks/1", headers={"Origin": EVIL, "Access-Control-Request-Method": "DELETE"}
        )
        assert preflight.status_code == 403
        for path in ("/", "/api/tasks", "/ping"):
            answer = client.get(path, headers={"Origin": EVIL})
            assert not [h for h in answer.headers if h.startswith("access-control-")], path
        write = client.post(
            "/api/tasks",
            json={"title": "planted"},
            headers={"Origin": EVIL, "Cookie": "taskflow_session=opaque"},
        )
        assert write.status_code == 403
        handshake = client.get(
            "/_event/",
            params={"EIO": "4", "transport": "websocket"},
            headers={
                "Origin": EVIL,
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
        assert handshake.status_code == 403


def test_the_pages_carry_the_security_headers(product: Product) -> None:
    with httpx.Client(base_url=product.base_url, timeout=10) as client:
        page = client.get("/")
        missing = client.get("/no-such-page")
        docs = client.get("/api/docs")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src "))
    assert "'unsafe-inline'" not in script_src
    assert "'sha256-" in script_src  # the compiled page's inline scripts, by their hashes
    for answer in (page, missing, docs):
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert missing.headers["content-security-policy"] == policy
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]


def test_completing_a_daily_task_creates_its_successor_within_5_s(product: Product) -> None:
    with product.client() as client:
        tag = f"e2e{uuid.uuid4().hex[:8]}"
        task = create_task(
            client,
            title="Water the plants",
            due_date="2026-03-07T09:00:00",
            timezone="America/New_York",
            recurrence="daily",
            tags=[tag],
        )
        completed_at = time.monotonic()
        assert client.post(f"/api/tasks/{task['id']}/complete").json()["status"] == "completed"

        def successors() -> list[dict[str, Any]]:
            listed = client.get("/api/tasks", params={"tags": tag, "status": "pending"}).json()
            return [t for t in listed if t["parent_task_id"] == task["id"]]

        found = eventually(successors, 5)
        assert time.monotonic() - completed_at < 5
        assert len(found) == 1
        # Completed long after its due date: the next slot after now, still 09:00 New York.
        successor_due = datetime.fromisoformat(found[0]["due_date"])
        assert successor_due > datetime.now(UTC)
        assert (successor_due.hour, successor_due.minute) == (9, 0)
        assert found[0]["title"] == "Water the plants"
        assert found[0]["recurrence"] == "daily"


def test_a_reminder_fires_at_due_minus_offset_once(product: Product) -> None:
    with product.client() as client:
        due = datetime.now(UTC) + timedelta(minutes=1, seconds=3)
        task = create_task(
            client, title="Call the bank", due_date=due.isoformat(), reminder_offset="1 minute"
        )
        [reminder] = client.get("/api/reminders", params={"task_id": task["id"]}).json()
        assert reminder["status"] == "pending"
        assert datetime.fromisoformat(reminder["scheduled_at"]) == due - timedelta(minutes=1)

        def sent() -> dict[str, Any] | None:
            [current] = client.get("/api/reminders", params={"task_id": task["id"]}).json()
            return current if current["status"] == "sent" else None

        fired = eventually(sent, 15)
        sent_at = datetime.fromisoformat(fired["sent_at"])
        assert timedelta(0) <= sent_at - (due - timedelta(minutes=1)) < timedelta(seconds=10)
        assert fired["late"] is False

        def triggered() -> list[Any]:
            audit = client.get("/api/audit", params={"task_id": task["id"]}).json()
            kinds = [entry["event_type"] for entry in audit]
            return kinds if "reminder.sent" in kinds else []

        kinds = eventually(triggered, 5)
        assert kinds.count("reminder.triggered") == 1
        assert kinds.count("reminder.sent") == 1


def test_a_reminder_missed_while_down_fires_late_after_restart(product: Product) -> None:
    with product.client() as client:
        due = datetime.now(UTC) + timedelta(hours=1, seconds=2)
        task = create_task(
            client, title="Renew passport", due_date=due.isoformat(), reminder_offset="1 hour"
        )
    product.kill()
    time.sleep(14)  # past its time by more than the 10 s after which a reminder counts as late
    product.start()
    with product.client() as client:

        def sent() -> dict[str, Any] | None:
            [current] = client.get("/api/reminders", params={"task_id": task["id"]}).json()
            return current if current["status"] == "sent" else None

        fired = eventually(sent, 10)
        assert fired["late"] is True
