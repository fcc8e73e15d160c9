"""Contract of /health while events wait: `degraded`, still ready, and the cause named.

An outbox row that another relay holds (claimed for an hour) and that was written a minute
ago stands for an event stuck behind a broker that does not answer.
"""

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from app.repositories.outbox import outbox_inserts
from app.repositories.tables import OUTBOX
from tests.support.api import AppClient
from tests.support.events import an_event
from tests.support.servers import postgres_server_url


@pytest.fixture
def stuck_event(database_url: str) -> Iterator[str]:
    event = an_event("task.updated", task_id=None)
    now = datetime.now(UTC)
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            for statement in outbox_inserts(event):
                connection.execute(statement)
            connection.execute(
                sa.update(OUTBOX)
                .where(OUTBOX.c.event_id == event.event_id)
                .values(
                    created_at=now - timedelta(seconds=90), claimed_until=now + timedelta(hours=1)
                )
            )
        yield event.event_id
    finally:
        with engine.begin() as connection:
            connection.execute(sa.delete(OUTBOX).where(OUTBOX.c.event_id == event.event_id))
        engine.dispose()


@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_events_waiting_too_long_make_health_degraded_but_ready(
    client: httpx.Client, stuck_event: str, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    checks = body["checks"]
    assert checks["database"] == "ok"
    assert checks["events"].startswith("waiting ")
    waited = int(checks["events"].removeprefix("waiting ").split(" s")[0])
    assert waited >= 90
    assert int(checks["outbox_backlog"]) >= 2


def test_health_names_every_check(client: httpx.Client) -> None:
    body = client.get("/health").json()
    assert body["status"] == "healthy"
    assert set(body["checks"]) == {
        "database",
        "outbox_backlog",
        "events",
        "publishing",
        "dead_letters",
    }
    assert body["checks"]["events"] == "ok"
    assert body["checks"]["publishing"] == "ok"


@contextlib.contextmanager
def refusing_connections(database_url: str) -> Iterator[None]:
    """The database closes every connection and refuses new ones, until the block ends."""
    name = sa.make_url(database_url).database
    admin = sa.create_engine(
        postgres_server_url(), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
    )
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
def test_while_the_database_refuses_connections_requests_get_503_and_nothing_is_lost(
    fresh_database: str, admin_api: AppClient
) -> None:
    kept = admin_api.post("/api/tasks", json={"title": "kept"}).json()
    with refusing_connections(fresh_database):
        answers = [
            admin_api.get("/api/tasks"),
            admin_api.get(f"/api/tasks/{kept['id']}"),
            admin_api.post("/api/tasks", json={"title": "refused"}),
            admin_api.delete(f"/api/tasks/{kept['id']}"),
        ]
    assert [a.status_code for a in answers] == [503] * 4, [a.text for a in answers]
    assert {a.headers["retry-after"] for a in answers} == {"5"}
    assert [t["title"] for t in admin_api.get("/api/tasks").json()] == ["kept"]
