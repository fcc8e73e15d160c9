"""`WORKERS=2 make run`: two worker processes on the one port, Reflex's state in the project's
Redis. Both serve; a change reaches the open tabs of both, whichever wrote it; what the
leading worker does alone (the relay, the recurrence, the reminder timers) happens once."""

import asyncio
import importlib.metadata
import os
import resource
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from bench.sessions import Tab, cookies
from tests.e2e.conftest import Product, kept
from tests.support.tasks import create_task, eventually

TABS_AT_MOST = 24
REACH_SECONDS = 10.0
# More than Granian's whole listen backlog (1,024): by default a worker took half of it.
KEPT_CONNECTIONS = 1_100
ANSWER_SECONDS = 15.0


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workers") / "taskflow.db"


@pytest.fixture(scope="module")
def two_workers(database: Path) -> Iterator[Product]:
    port, web = kept("workers")
    running = Product(
        f"sqlite:///{database}", database.with_name("run.log"), port=port, web=web, WORKERS="2"
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def connections_of(worker: psutil.Process, port: int) -> int:
    return sum(
        1
        for c in worker.net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port
    )


def leader(database: Path) -> int:
    """The PID holding the leadership lock beside the database (from /proc/locks)."""
    inode = os.stat(database.with_name(database.name + ".leader")).st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "FLOCK" in fields and fields[-3].rsplit(":", 1)[-1] == str(inode):
            return int(fields[-4])
    raise AssertionError("nobody holds the leadership lock")


async def open_tabs_on_every_worker(product: Product, cookie: str) -> list[Tab]:
    """Board tabs, opened a few at a time until each worker holds at least one."""
    version = importlib.metadata.version("reflex")
    ws_url = "ws" + product.base_url.removeprefix("http")
    serving = product.workers()
    tabs: list[Tab] = []
    while len(tabs) < TABS_AT_MOST:
        batch = [Tab(cookie) for _ in range(4)]
        for tab in batch:
            await tab.open(ws_url, product.base_url, version)
        for tab in batch:
            await asyncio.wait_for(tab.listed.wait(), 60)
            assert tab.failure is None, tab.failure
        tabs.extend(batch)
        if all(connections_of(worker, product.port) for worker in serving):
            return tabs
    raise AssertionError(f"{len(tabs)} tabs, all served by one worker")


def test_two_workers_serve_and_every_tab_gets_a_change_whichever_wrote_it(
    two_workers: Product,
) -> None:
    serving = two_workers.workers()
    assert len(serving) == 2
    assert len({worker.pid for worker in serving}) == 2
    [cookie] = cookies(two_workers.base_url, 1)

    async def scenario() -> None:
        tabs = await open_tabs_on_every_worker(two_workers, cookie)
        try:
            with two_workers.client() as client:
                for _ in range(3):  # the writes land on either worker
                    marker = f"Reach {uuid.uuid4().hex[:12]}"
                    for tab in tabs:
                        tab.watching = (marker,)
                    create_task(client, title=marker, due_date="2020-01-01T09:00:00Z")
                    deadline = time.monotonic() + REACH_SECONDS
                    while time.monotonic() < deadline and any(
                        marker not in tab.markers for tab in tabs
                    ):
                        await asyncio.sleep(0.05)
                    missed = [tab for tab in tabs if marker not in tab.markers]
                    assert not missed, f"{len(missed)} of {len(tabs)} tabs missed {marker}"
        finally:
            await asyncio.gather(*(tab.close() for tab in tabs))

    asyncio.run(scenario())


def test_a_recurring_task_gets_one_successor(two_workers: Product) -> None:
    with two_workers.client() as client:
        tag = f"e2e{uuid.uuid4().hex[:8]}"
        task = create_task(
            client,
            title="Water the plants",
            due_date="2026-03-07T09:00:00Z",
            recurrence="daily",
            tags=[tag],
        )
        client.post(f"/api/tasks/{task['id']}/complete").raise_for_status()

        def successors() -> list[dict[str, Any]]:
            listed = client.get("/api/tasks", params={"tags": tag, "status": "pending"}).json()
            return [t for t in listed if t["parent_task_id"] == task["id"]]

        eventually(successors, 10)
        time.sleep(3)
        assert len(successors()) == 1


async def answered_on_kept_connections(port: int, count: int) -> int:
    """Opens `count` connections, sends a request on each and keeps every one open: how many
    were answered within ANSWER_SECONDS."""
    opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(count)]
    try:
        for _, writer in opened:
            writer.write(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")

        async def answered(reader: asyncio.StreamReader) -> bool:
            try:
                status = await asyncio.wait_for(reader.readline(), ANSWER_SECONDS)
            except TimeoutError:
                return False
            return status.startswith(b"HTTP/1.1 200")

        return sum(await asyncio.gather(*(answered(reader) for reader, _ in opened)))
    finally:
        for _, writer in opened:
            writer.close()


def test_every_kept_connection_is_answered_whichever_worker_it_lands_on(
    two_workers: Product,
) -> None:
    """The kernel hands each new connection to one worker's socket. Each worker takes as many
    connections as the whole backlog, so none waits behind a full worker while the other has
    room: with Granian's default of half each, some of these were never answered."""
    # A descriptor a connection: this process may need more than a common soft limit of 1,024.
    _, most = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (most, most))
    answered = asyncio.run(answered_on_kept_connections(two_workers.port, KEPT_CONNECTIONS))
    assert answered == KEPT_CONNECTIONS


def test_a_reminder_due_after_the_leader_is_killed_fires_once(
    two_workers: Product, database: Path
) -> None:
    """Granian, as Reflex starts it, stops every worker when one dies (it does not respawn),
    so the leader's death stops `make run`; started again, a worker takes the lead and arms
    the reminder from the database: it fires once."""
    with two_workers.client() as client:
        due = datetime.now(UTC) + timedelta(minutes=1, seconds=10)
        task = create_task(
            client, title="Call the bank", due_date=due.isoformat(), reminder_offset="1 minute"
        )
    killed = leader(database)
    assert killed in {worker.pid for worker in two_workers.workers()}
    os.kill(killed, signal.SIGKILL)
    eventually(lambda: not is_serving(two_workers), 30)
    two_workers.stop()
    two_workers.start()
    assert leader(database) != killed
    with two_workers.client() as client:

        def sent() -> dict[str, Any] | None:
            [current] = client.get("/api/reminders", params={"task_id": task["id"]}).json()
            return current if current["status"] == "sent" else None

        eventually(sent, 60)

        def audited() -> list[str]:
            entries = client.get("/api/audit", params={"task_id": task["id"]}).json()
            kinds = [entry["event_type"] for entry in entries]
            return kinds if "reminder.sent" in kinds else []

        kinds = eventually(audited, 10)
        time.sleep(2)
        assert kinds.count("reminder.triggered") == 1
        assert kinds.count("reminder.sent") == 1


def is_serving(product: Product) -> bool:
    try:
        return httpx.get(f"{product.base_url}/health/live", timeout=2).is_success
    except httpx.HTTPError:
        return False
