"""The live feed the browser tabs wait on."""

import asyncio

from app.domain.events import Event
from app.live import LiveFeed
from tests.support.events import an_event
from tests.support.owners import OWNER, STRANGER


def _event(event_id: str, event_type: str = "task.updated", user_id: int = OWNER) -> Event:
    return an_event(event_type, event_id=event_id, user_id=user_id)


async def test_a_waiting_tab_wakes_up_with_the_changes_after_its_position() -> None:
    feed = LiveFeed()
    await feed.publish("task-updates", _event("a"))
    position = feed.last_seq
    waiting = asyncio.create_task(feed.wait(position, timeout=5, user_id=OWNER))
    await asyncio.sleep(0)
    await feed.publish("task-updates", _event("b"))
    changes = await asyncio.wait_for(waiting, 1)
    assert [change.event.event_id for change in changes] == ["b"]


async def test_changes_already_there_come_back_at_once() -> None:
    feed = LiveFeed()
    await feed.publish("task-updates", _event("a"))
    await feed.publish("task-updates", _event("b"))
    changes = await asyncio.wait_for(feed.wait(0, timeout=5, user_id=OWNER), 0.5)
    assert [change.seq for change in changes] == [1, 2]


async def test_a_redelivered_event_is_passed_on_once() -> None:
    feed = LiveFeed()
    await feed.publish("task-updates", _event("a"))
    await feed.publish("task-updates", _event("a"))
    assert feed.last_seq == 1


async def test_waiting_without_changes_ends_empty_after_the_timeout() -> None:
    assert await LiveFeed().wait(0, timeout=0.01, user_id=OWNER) == []


async def test_a_tab_far_behind_gets_what_is_still_kept() -> None:
    feed = LiveFeed(keep=3)
    for number in range(5):
        await feed.publish("task-updates", _event(str(number)))
    changes = await feed.wait(0, timeout=0.01, user_id=OWNER)
    assert [change.seq for change in changes] == [3, 4, 5]


async def test_a_tab_gets_only_its_user_s_changes() -> None:
    feed = LiveFeed()
    await feed.publish("task-updates", _event("theirs", user_id=STRANGER))
    await feed.publish("task-updates", _event("mine"))
    changes = await asyncio.wait_for(feed.wait(0, timeout=5, user_id=OWNER), 0.5)
    assert [change.event.event_id for change in changes] == ["mine"]
    assert await feed.wait(0, timeout=0.01, user_id=3) == []


async def test_a_waiting_tab_sleeps_through_another_user_s_changes() -> None:
    feed = LiveFeed()
    waiting = asyncio.create_task(feed.wait(0, timeout=5, user_id=OWNER))
    await asyncio.sleep(0)
    await feed.publish("task-updates", _event("theirs", user_id=STRANGER))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await feed.publish("task-updates", _event("mine", "reminder.sent"))
    changes = await asyncio.wait_for(waiting, 1)
    assert [(change.seq, change.event.event_id) for change in changes] == [(2, "mine")]
