"""The outbox relay against real databases: order, retry for as long as it takes, pruning,
and several relays sharing one PostgreSQL database."""

import asyncio
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.adapters.local.bus import InProcessBus
from app.adapters.local.sql import EngineSql, create_engine
from app.config import DeliverySettings
from app.domain.events import TASK_EVENTS, TASK_UPDATES, Event
from app.ports import Message
from app.repositories.outbox import outbox_inserts
from app.repositories.tables import OUTBOX
from app.services import outbox
from app.services.outbox import OutboxRelay, backoff_seconds
from tests.support.databases import migrated_postgres
from tests.support.delivery import Clock, FlakyBus
from tests.support.events import an_event

SETTINGS = DeliverySettings(max_backoff_seconds=30, publish_timeout_seconds=5, claim_seconds=60)


@pytest.fixture
def sql(fresh_sqlite: EngineSql) -> EngineSql:
    return fresh_sqlite


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with migrated_postgres("taskflow_outbox") as url:
        yield url


async def store(sql: EngineSql, *events: Event) -> None:
    for statement in outbox_inserts(*events):
        await sql.write(statement)


async def test_task_events_go_to_both_task_topics_in_order_keyed_by_task(sql: EngineSql) -> None:
    bus = InProcessBus()
    seen: list[tuple[str, str]] = []

    async def record(topic: str, event: dict[str, Any]) -> None:
        seen.append((topic, event["event_type"]))

    bus.subscribe(TASK_EVENTS, record)
    bus.subscribe(TASK_UPDATES, record)
    await store(sql, an_event("task.created", task_id=1), an_event("task.completed", task_id=1))

    assert (await OutboxRelay(sql, bus).drain()).sent == 4
    assert seen == [
        (TASK_EVENTS, "task.created"),
        (TASK_UPDATES, "task.created"),
        (TASK_EVENTS, "task.completed"),
        (TASK_UPDATES, "task.completed"),
    ]
    assert (await OutboxRelay(sql, bus).backlog()).unsent == 0

    keyed = FlakyBus()
    await store(sql, an_event("task.deleted", task_id=7))
    await OutboxRelay(sql, keyed).drain()
    assert {key for _, _, key in keyed.accepted} == {"7"}


async def test_an_outage_far_longer_than_the_old_ten_attempts_drops_nothing(
    sql: EngineSql,
) -> None:
    clock = Clock()
    bus = FlakyBus(failures=120)
    relay = OutboxRelay(sql, bus, SETTINGS, clock=clock)
    events = [an_event("task.updated", task_id=task) for task in (1, 2, 3) for _ in range(4)]
    await store(sql, *events)

    passes = 0
    while (await relay.backlog()).unsent:
        drained = await relay.drain()
        passes += 1
        if drained.sent == 0:
            clock.advance(SETTINGS.max_backoff_seconds)
        assert passes < 500

    assert bus.failures == 0
    assert relay.last_failure is None
    sent = [(topic, event_id) for topic, event_id, _ in bus.accepted]
    expected = {(topic, e.event_id) for e in events for topic in (TASK_EVENTS, TASK_UPDATES)}
    assert set(sent) == expected
    assert len(sent) == len(expected), "each row once"
    for topic in (TASK_EVENTS, TASK_UPDATES):
        for task in (1, 2, 3):
            published = [e for t, e, key in bus.accepted if t == topic and key == str(task)]
            assert published == [e.event_id for e in events if e.task_id == task]
    [[most]] = await sql.fetch(sa.select(sa.func.max(OUTBOX.c.attempts)))
    assert most > 10, "well past the attempt limit the relay used to give up at"


async def test_a_failed_row_backs_off_exponentially_up_to_the_cap(sql: EngineSql) -> None:
    assert [backoff_seconds(n, 30) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff_seconds(10_000, 30) == 30
    clock = Clock()
    bus = FlakyBus(failures=10_000)
    relay = OutboxRelay(sql, bus, SETTINGS, clock=clock)
    await store(sql, an_event("reminder.scheduled", task_id=4))

    waits = []
    for _ in range(9):
        await relay.drain()
        [(retry_at,)] = await sql.fetch(sa.select(OUTBOX.c.claimed_until))
        waits.append((retry_at - clock.now).total_seconds())
        clock.now = retry_at + timedelta(milliseconds=1)
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30, 30]
    assert relay.last_failure is not None
    assert relay.last_failure.describe() == "publishing to reminders failed: broker unavailable"


async def test_a_later_event_of_a_task_waits_for_the_earlier_one(sql: EngineSql) -> None:
    clock = Clock()
    first, second, third = (an_event("reminder.scheduled", task_id=1) for _ in range(3))
    other = an_event("reminder.scheduled", task_id=2)
    bus = FlakyBus(refuse={first.event_id})
    relay = OutboxRelay(sql, bus, SETTINGS, clock=clock)
    await store(sql, first, second, third, other)

    await relay.drain()  # the first fails; the rest of the topic waits for the next pass
    await relay.drain()  # task 2 goes on; task 1's later events wait for its first
    assert [event_id for _, event_id, _ in bus.accepted] == [other.event_id]

    clock.advance(SETTINGS.max_backoff_seconds)
    await relay.drain()
    assert [event_id for _, event_id, _ in bus.accepted] == [
        other.event_id,
        first.event_id,
        second.event_id,
        third.event_id,
    ]


async def test_a_batch_goes_out_in_one_call_per_topic_and_round_each_task_in_order(
    sql: EngineSql,
) -> None:
    events = [an_event("task.updated", task_id=task) for _ in range(5) for task in range(8)]
    await store(sql, *events)
    bus = FlakyBus()

    drained = await OutboxRelay(sql, bus, SETTINGS).drain()

    assert drained.sent == 2 * len(events)
    # Five rounds, each the next event of all eight tasks, one call for each topic.
    assert sorted(bus.calls) == sorted([(TASK_EVENTS, 8), (TASK_UPDATES, 8)] * 5)
    for topic in (TASK_EVENTS, TASK_UPDATES):
        for task in range(8):
            published = [e for t, e, key in bus.accepted if t == topic and key == str(task)]
            assert published == [e.event_id for e in events if e.task_id == task]


async def test_events_the_bus_refuses_wait_with_their_tasks_later_ones(sql: EngineSql) -> None:
    clock = Clock()
    refused, after = an_event("task.updated", task_id=1), an_event("task.updated", task_id=1)
    others = [an_event("task.updated", task_id=task) for task in (2, 3)]
    bus = FlakyBus(refuse={refused.event_id})
    relay = OutboxRelay(sql, bus, SETTINGS, clock=clock)
    await store(sql, refused, *others, after)

    first = await relay.drain()

    # The bus refuses the event once, on task-events: there task 1's next event waits for it,
    # the other tasks' go on, and on task-updates all four go.
    assert (first.sent, first.failed) == (6, 1)
    assert {e for t, e, _ in bus.accepted if t == TASK_EVENTS} == {o.event_id for o in others}
    [(attempts, error)] = await sql.fetch(
        sa.select(OUTBOX.c.attempts, OUTBOX.c.last_error).where(
            OUTBOX.c.event_id == refused.event_id, OUTBOX.c.topic == TASK_EVENTS
        )
    )
    assert (attempts, error) == (1, "broker unavailable")
    assert relay.last_failure is not None
    clock.advance(SETTINGS.max_backoff_seconds)
    while (await relay.backlog()).unsent:
        await relay.drain()
    task_one = [e for t, e, key in bus.accepted if t == TASK_EVENTS and key == "1"]
    assert task_one == [refused.event_id, after.event_id]
    assert relay.last_failure is None


async def test_each_refused_event_keeps_the_reason_the_bus_gave_for_it(sql: EngineSql) -> None:
    class PickyBus(FlakyBus):
        async def publish_all(
            self, topic: str, messages: Sequence[tuple[Message, str | None]]
        ) -> list[str | None]:
            return [f"no partition for task {key}" for _, key in messages]

    await store(sql, *(an_event("reminder.scheduled", task_id=task) for task in (1, 2)))

    assert (await OutboxRelay(sql, PickyBus(), SETTINGS).drain()).failed == 1
    reasons = await sql.fetch(sa.select(OUTBOX.c.last_error).order_by(OUTBOX.c.id))
    assert [reason for (reason,) in reasons] == [
        "no partition for task 1",
        "no partition for task 2",
    ]


async def test_a_publish_that_hangs_times_out_and_is_retried(sql: EngineSql) -> None:
    class HangingBus:
        async def publish(self, topic: str, event: Message, key: str | None = None) -> None:
            await asyncio.Event().wait()

        async def publish_all(
            self, topic: str, messages: Sequence[tuple[Message, str | None]]
        ) -> list[str | None]:
            await asyncio.Event().wait()
            return []

    settings = DeliverySettings(publish_timeout_seconds=0.05, claim_seconds=60)
    relay = OutboxRelay(sql, HangingBus(), settings)
    await store(sql, an_event("reminder.cancelled", task_id=3))

    assert (await relay.drain()).failed == 1
    assert relay.last_failure is not None
    assert "no answer within 0.05 s" in relay.last_failure.describe()
    assert (await relay.backlog()).unsent == 1


async def test_sent_rows_are_pruned_after_the_retention_in_bounded_batches(
    sql: EngineSql, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    relay = OutboxRelay(sql, FlakyBus(), DeliverySettings(retention_days=7), clock=clock)
    await store(sql, *(an_event("reminder.scheduled", task_id=n) for n in range(5)))
    await relay.drain()
    await store(sql, an_event("reminder.scheduled", task_id=9))  # unsent: never pruned
    monkeypatch.setattr(outbox, "PRUNE_BATCH", 2)

    assert await relay.prune() == 0
    clock.advance(timedelta(days=7, seconds=1).total_seconds())
    assert [await relay.prune() for _ in range(4)] == [2, 2, 1, 0]
    [[left]] = await sql.fetch(sa.select(sa.func.count()).select_from(OUTBOX))
    assert left == 1


async def test_the_relay_loop_keeps_retrying_recovers_and_prunes(
    sql: EngineSql, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "PRUNE_EVERY", timedelta(0))
    bus = FlakyBus(failures=3)
    settings = DeliverySettings(max_backoff_seconds=0.01, retention_days=1e-7)  # ~9 ms
    relay = OutboxRelay(sql, bus, settings, idle_seconds=0.01)
    await store(sql, an_event("task.deleted", task_id=5))
    running = asyncio.create_task(relay.run())
    count = sa.select(sa.func.count()).select_from(OUTBOX)
    try:
        async with asyncio.timeout(20):
            while len(bus.accepted) < 2 or (await sql.fetch(count))[0][0]:
                await asyncio.sleep(0.01)
    finally:
        running.cancel()
    assert bus.attempts == 5
    assert relay.last_failure is None


async def test_the_relay_stops_when_cancelled_as_it_is_woken(sql: EngineSql) -> None:
    """A shutdown that comes as an event is written: the cancellation must not be lost (a
    lost one kept the relay running and the app's shutdown waiting for ever)."""
    relay = OutboxRelay(sql, FlakyBus(), SETTINGS, idle_seconds=60)
    running = asyncio.create_task(relay.run())
    async with asyncio.timeout(10):
        while not relay_is_idle(running):
            await asyncio.sleep(0.01)
    relay.notify()
    running.cancel()
    async with asyncio.timeout(10):
        await asyncio.wait([running])
    assert running.cancelled()


def relay_is_idle(running: asyncio.Task[None]) -> bool:
    """Whether the relay waits for a wake-up: what its loop awaits is the idle wait."""
    awaited = running.get_coro().cr_await  # type: ignore[union-attr]
    return getattr(awaited, "__name__", "") in ("wait", "wait_for")


@pytest.mark.postgres
async def test_two_relays_on_postgresql_never_publish_a_row_twice(postgres_url: str) -> None:
    engines = [create_engine(postgres_url) for _ in range(2)]
    try:
        replicas = [EngineSql(engine) for engine in engines]
        await replicas[0].write(sa.delete(OUTBOX))
        events = [an_event("task.updated", task_id=task % 25) for task in range(200)]
        await store(replicas[0], *events)
        bus = FlakyBus()
        relays = [OutboxRelay(sql, bus, SETTINGS, batch=10) for sql in replicas]
        sent_by = [0, 0]

        async def drain_all(replica: int) -> None:
            while (await relays[replica].backlog()).unsent:
                sent_by[replica] += (await relays[replica].drain()).sent

        async with asyncio.timeout(120):
            await asyncio.gather(drain_all(0), drain_all(1))

        sent = [(topic, event_id) for topic, event_id, _ in bus.accepted]
        assert len(sent) == len(set(sent)) == 2 * len(events)
        assert all(sent_by), f"both relays took part: {sent_by}"
        for topic in (TASK_EVENTS, TASK_UPDATES):
            for task in range(25):
                published = [e for t, e, key in bus.accepted if t == topic and key == str(task)]
                stored = [e.event_id for e in events if e.task_id == task]
                assert published == stored, (topic, task)
    finally:
        for engine in engines:
            engine.dispose()
