"""Several embedded workers on one database, as `WORKERS=n make run` runs them: one leads
(relays the outbox, keeps the reminder timers), and every worker's live feed gets every change
through the project's Redis, whichever worker wrote it."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis.asyncio import Redis

from app.adapters.local.fanout import RedisFanout
from app.bootstrap import Runtime, bootstrap
from app.config import Settings
from app.domain.enums import Recurrence
from app.domain.events import TASK_UPDATES
from app.live import LiveFeed
from app.repositories.tables import TASK
from tests.support.databases import migrated_sqlite_url
from tests.support.events import an_event
from tests.support.owners import OWNER, users
from tests.support.redis import redis_server_url

WAIT = 10.0


@pytest.fixture(scope="module")
def redis_url() -> str:
    return redis_server_url()


async def subscribed(redis_url: str, channel: str, count: int) -> None:
    """Wait until `count` workers listen on `channel` (pub/sub reaches only those that do)."""
    async with Redis.from_url(redis_url) as redis, asyncio.timeout(WAIT):
        while True:
            listening = dict(await redis.pubsub_numsub(channel))
            if listening.get(channel.encode(), 0) >= count:
                return
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def listening(
    fanouts: list[RedisFanout], feeds: list[LiveFeed], on_nudge: Callable[[], None]
) -> AsyncIterator[None]:
    running = [
        asyncio.create_task(fanout.run(feed.publish, on_nudge))
        for fanout, feed in zip(fanouts, feeds, strict=True)
    ]
    try:
        yield
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


def install() -> str:
    return f"taskflow-test-{uuid.uuid4().hex[:12]}"


async def test_a_change_reaches_every_worker_of_the_install_and_no_other(redis_url: str) -> None:
    mine, other = install(), install()
    fanouts = [RedisFanout(redis_url, mine), RedisFanout(redis_url, mine)]
    stranger = RedisFanout(redis_url, other)
    feeds = [LiveFeed(), LiveFeed(), LiveFeed()]
    async with listening([*fanouts, stranger], feeds, lambda: None):
        await subscribed(redis_url, f"{mine}:live", 2)
        await subscribed(redis_url, f"{other}:live", 1)
        event = an_event("task.updated", event_id="changed", user_id=OWNER)
        await fanouts[0].publish_change(TASK_UPDATES, event)
        for feed in feeds[:2]:
            changes = await feed.wait(0, WAIT, OWNER)
            assert [change.event for change in changes] == [event]
        assert await feeds[2].wait(0, 0.3, OWNER) == []


async def test_what_is_no_event_is_skipped_and_the_next_event_still_arrives(
    redis_url: str,
) -> None:
    mine = install()
    feed = LiveFeed()
    async with listening([RedisFanout(redis_url, mine)], [feed], lambda: None):
        await subscribed(redis_url, f"{mine}:live", 1)
        async with Redis.from_url(redis_url) as redis:
            await redis.publish(f"{mine}:live", b"not json")
            await redis.publish(f"{mine}:live", b'{"event_type": "task.updated"}')
        event = an_event("task.created", event_id="after", user_id=OWNER)
        await RedisFanout(redis_url, mine).publish_change(TASK_UPDATES, event)
        changes = await feed.wait(0, WAIT, OWNER)
        assert [change.event for change in changes] == [event]


async def test_without_redis_a_change_is_dropped_and_the_other_handlers_go_on() -> None:
    unreachable = RedisFanout("redis://127.0.0.1:1/0", install())
    await unreachable.publish_change(TASK_UPDATES, an_event("task.updated", user_id=OWNER))


async def test_a_write_in_one_worker_wakes_the_others_once_for_a_burst(redis_url: str) -> None:
    mine = install()
    writer, leader = RedisFanout(redis_url, mine), RedisFanout(redis_url, mine)
    woken = asyncio.Event()
    wake_ups: list[int] = []

    def on_nudge() -> None:
        wake_ups.append(1)
        woken.set()

    async with listening([writer, leader], [LiveFeed(), LiveFeed()], on_nudge):
        await subscribed(redis_url, f"{mine}:outbox", 2)
        for _ in range(50):
            writer.nudge()
        await asyncio.wait_for(woken.wait(), WAIT)
        await asyncio.sleep(0.2)
    # Both workers hear the writer's one wake-up (the writer's own relay is woken directly).
    assert len(wake_ups) == 2


def worker(url: str, redis_url: str) -> Runtime:
    return bootstrap(
        Settings(runtime="local", database_url=url, timezone="UTC", workers=2, redis_url=redis_url)
    )


async def titled(runtime: Runtime, title: str) -> int:
    rows = await runtime.sql.fetch(
        sa.select(sa.func.count()).select_from(TASK).where(TASK.c.title == title)
    )
    return int(rows[0][0])


async def has_tasks(runtime: Runtime, title: str, count: int) -> bool:
    return await titled(runtime, title) >= count


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(WAIT):
        while not await check():
            await asyncio.sleep(0.05)


async def change_of(feed: LiveFeed, event_type: str, task_id: int) -> None:
    """Wait until `feed` has passed on `event_type` of the task `task_id`."""
    after = 0
    async with asyncio.timeout(WAIT):
        while True:
            for change in await feed.wait(after, WAIT, OWNER):
                after = change.seq
                if change.event.event_type == event_type and change.event.task_id == task_id:
                    return


async def leads(runtime: Runtime) -> bool:
    return runtime.leadership is not None and runtime.leadership.held


async def test_one_worker_leads_every_worker_sees_every_change_and_another_takes_over(
    tmp_path: Path, redis_url: str
) -> None:
    url = migrated_sqlite_url(tmp_path)
    first, second = worker(url, redis_url), worker(url, redis_url)
    await first.sql.write(users(OWNER))
    title = "Water the plants"
    async with contextlib.AsyncExitStack() as second_running:
        async with first.running():
            await until(lambda: leads(first))
            await second_running.enter_async_context(second.running())
            await asyncio.sleep(0.2)
            assert not await leads(second)
            # Written in the worker that does not lead: the leader relays it (woken through
            # Redis) and both workers' feeds get it.
            due = datetime.now(UTC) + timedelta(days=1)
            task = await second.tasks.create(
                OWNER, {"title": title, "due_date": due, "recurrence": Recurrence.DAILY}
            )
            await change_of(first.live, "task.created", task.id)
            await change_of(second.live, "task.created", task.id)
            await second.tasks.complete(OWNER, task.id)
            await until(lambda: has_tasks(second, title, 2))
        # The leader stopped (its lock released, as by a kill): the other takes over.
        await until(lambda: leads(second))
        later = await second.tasks.create(OWNER, {"title": "After the hand-over"})
        await change_of(second.live, "task.created", later.id)
        await asyncio.sleep(0.5)
        assert await titled(second, title) == 2  # one successor, however many workers
