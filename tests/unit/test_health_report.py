"""What /health reports, on a real SQLite database with a bus that fails on demand."""

from datetime import datetime

import pytest
import sqlalchemy as sa

from app.adapters.local.sql import EngineSql
from app.config import DeliverySettings
from app.domain.events import Event
from app.repositories.outbox import outbox_inserts
from app.repositories.tables import OUTBOX
from app.services.dead_letters import DeadLetterService
from app.services.health import HealthService, Status
from app.services.outbox import OutboxRelay
from tests.support.delivery import Clock, FlakyBus
from tests.support.events import an_event

SETTINGS = DeliverySettings(max_wait_seconds=30)


@pytest.fixture
def sql(fresh_sqlite: EngineSql) -> EngineSql:
    return fresh_sqlite


async def stored(sql: EngineSql, event: Event, at: datetime) -> None:
    """`event` in the outbox as if written at `at`."""
    for statement in outbox_inserts(event):
        await sql.write(statement)
    await sql.write(sa.update(OUTBOX).values(created_at=at))


def health_of(sql: EngineSql, relay: OutboxRelay, clock: Clock) -> HealthService:
    return HealthService(sql, relay, DeadLetterService(sql, relay.notify, clock), SETTINGS, clock)


async def test_healthy_when_nothing_waits(sql: EngineSql) -> None:
    clock = Clock()
    report = await health_of(sql, OutboxRelay(sql, FlakyBus(), clock=clock), clock).report()
    assert report.status == Status.HEALTHY
    assert report.checks == {
        "database": "ok",
        "outbox_backlog": "0",
        "events": "ok",
        "publishing": "ok",
        "dead_letters": "0",
    }


async def test_degraded_naming_the_failure_while_events_wait(sql: EngineSql) -> None:
    clock = Clock()
    relay = OutboxRelay(sql, FlakyBus(failures=1000), clock=clock)
    health = health_of(sql, relay, clock)
    event = an_event("reminder.scheduled", task_id=1)
    await stored(sql, event, clock.now)
    await relay.drain()

    # Failing, but not waiting long yet: degraded already, for the failure.
    report = await health.report()
    assert report.status == Status.DEGRADED
    assert report.checks["publishing"] == (
        "failing: publishing to reminders failed: broker unavailable"
    )
    assert report.checks["events"] == "ok"

    clock.advance(45)
    report = await health.report()
    assert report.status == Status.DEGRADED
    assert report.checks["events"] == (
        "waiting 45 s: publishing to reminders failed: broker unavailable"
    )
    assert report.checks["outbox_backlog"] == "1"


async def test_healthy_again_once_the_backlog_is_out(sql: EngineSql) -> None:
    clock = Clock()
    bus = FlakyBus(failures=1)
    relay = OutboxRelay(sql, bus, clock=clock)
    await stored(sql, an_event("reminder.scheduled", task_id=1), clock.now)
    await relay.drain()
    clock.advance(60)
    await relay.drain()
    assert (await health_of(sql, relay, clock).report()).status == Status.HEALTHY


async def test_waiting_without_a_failure_is_degraded_too(sql: EngineSql) -> None:
    """Events can wait with no failure to show: the sidecar not connected yet, say."""
    clock = Clock()
    relay = OutboxRelay(sql, FlakyBus(), clock=clock)
    await stored(sql, an_event("task.deleted", task_id=1), clock.now)
    clock.advance(31)
    report = await health_of(sql, relay, clock).report()
    assert report.status == Status.DEGRADED
    assert report.checks["events"] == "waiting 31 s"
    assert report.checks["publishing"] == "ok"


async def test_unhealthy_only_without_a_database(sql: EngineSql) -> None:
    class Unreachable(EngineSql):
        async def ping(self) -> None:
            raise ConnectionRefusedError("no database")

    clock = Clock()
    broken = Unreachable(sql.engine)
    report = await health_of(broken, OutboxRelay(broken, FlakyBus(), clock=clock), clock).report()
    assert report.status == Status.UNHEALTHY
    assert report.checks == {"database": "failing: ConnectionRefusedError"}
