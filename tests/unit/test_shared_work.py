"""Work many tabs ask for at once, done once (app/ui/shared_work.py), and the board's listings
shared through it: one per user, view and live feed position."""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from app.domain.queries import TaskQuery
from app.live import LiveFeed
from app.ui.shared_work import SharedWork
from app.ui.state import board
from app.ui.state.view import View
from tests.support.events import a_task, an_event
from tests.support.owners import OWNER, STRANGER


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Gate:
    """A computation that counts its runs and finishes when the test opens the gate."""

    def __init__(self) -> None:
        self.runs = 0
        self.open = asyncio.Event()

    async def __call__(self) -> str:
        self.runs += 1
        await self.open.wait()
        return f"result {self.runs}"


async def test_everyone_asking_while_it_runs_waits_for_the_one_computation() -> None:
    shared: SharedWork[str, str] = SharedWork()
    compute = Gate()
    askers = [asyncio.create_task(shared.get("key", compute)) for _ in range(50)]
    await asyncio.sleep(0)
    assert not any(asker.done() for asker in askers)
    compute.open.set()
    assert await asyncio.gather(*askers) == ["result 1"] * 50
    assert compute.runs == 1


async def test_a_result_is_kept_for_a_short_while_then_dropped() -> None:
    clock = Clock()
    shared: SharedWork[str, str] = SharedWork(keep_seconds=5, clock=clock)
    compute = Gate()
    compute.open.set()
    assert await shared.get("key", compute) == "result 1"
    clock.now = 4.9
    assert await shared.get("key", compute) == "result 1"
    clock.now = 5.0
    assert await shared.get("key", compute) == "result 2"
    assert compute.runs == 2


async def test_memory_holds_only_what_is_running_or_recent() -> None:
    clock = Clock()
    shared: SharedWork[int, str] = SharedWork(keep_seconds=5, clock=clock)
    compute = Gate()
    compute.open.set()
    for key in range(100):
        await shared.get(key, compute)
    assert len(shared) == 100
    clock.now = 10
    await shared.get(-1, compute)
    assert len(shared) == 1


async def test_different_keys_are_computed_apart() -> None:
    shared: SharedWork[str, str] = SharedWork()
    compute = Gate()
    compute.open.set()
    assert await shared.get("a", compute) == "result 1"
    assert await shared.get("b", compute) == "result 2"
    assert await shared.get("a", compute) == "result 1"


async def test_a_failure_reaches_those_waiting_and_is_not_kept() -> None:
    shared: SharedWork[str, str] = SharedWork()
    runs = 0

    async def failing() -> str:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0)
        raise RuntimeError("database gone")

    askers = [asyncio.create_task(shared.get("key", failing)) for _ in range(3)]
    results = await asyncio.gather(*askers, return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)
    assert runs == 1
    assert len(shared) == 0
    with pytest.raises(RuntimeError):
        await shared.get("key", failing)
    assert runs == 2


async def test_a_cancelled_asker_does_not_cancel_the_others() -> None:
    shared: SharedWork[str, str] = SharedWork()
    compute = Gate()
    first = asyncio.create_task(shared.get("key", compute))
    second = asyncio.create_task(shared.get("key", compute))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    compute.open.set()
    assert await second == "result 1"
    assert first.cancelled()


@dataclass
class Tasks:
    """TaskService.query over a fixed set of tasks per owner, counting the queries."""

    titles: dict[int, list[str]]
    asked: list[tuple[int, TaskQuery]] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    async def query(self, owner: int, query: TaskQuery) -> Any:
        self.asked.append((owner, query))
        await self.gate.wait()
        tasks = [
            a_task(number, owner_id=owner, title=title)
            for number, title in enumerate(self.titles[owner], start=1)
        ]
        return SimpleNamespace(tasks=tasks, total=len(tasks))


class Reminders:
    """No reminder is set apart from its task's own offset."""

    async def set_apart(self, owner: int, tasks: list[Any]) -> dict[int, Any]:
        return {}


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    runtime = SimpleNamespace(
        tasks=Tasks({OWNER: ["Mine"], STRANGER: ["Theirs"]}),
        reminders=Reminders(),
        live=LiveFeed(),
        settings=SimpleNamespace(timezone="UTC"),
    )
    monkeypatch.setattr(board, "current_app", lambda: SimpleNamespace(runtime=runtime))
    monkeypatch.setattr(board, "_shared_listings", SharedWork())
    yield runtime


def _titles(listing: board.Listing) -> list[str]:
    return [row.title for row in listing.rows]


async def test_tabs_of_one_user_and_view_share_one_listing(runtime: SimpleNamespace) -> None:
    tabs = [asyncio.create_task(board._listing(OWNER, View(), seen=0)) for _ in range(20)]
    await asyncio.sleep(0)
    runtime.tasks.gate.set()
    listings = await asyncio.gather(*tabs)
    assert len(runtime.tasks.asked) == 1
    assert all(_titles(listing) == ["Mine"] for listing in listings)


async def test_a_tab_never_gets_another_user_s_listing(runtime: SimpleNamespace) -> None:
    mine = asyncio.create_task(board._listing(OWNER, View(), seen=0))
    theirs = asyncio.create_task(board._listing(STRANGER, View(), seen=0))
    await asyncio.sleep(0)
    runtime.tasks.gate.set()
    assert _titles(await mine) == ["Mine"]
    assert _titles(await theirs) == ["Theirs"]
    assert [owner for owner, _ in runtime.tasks.asked] == [OWNER, STRANGER]


async def test_a_tab_with_another_view_gets_its_own_listing(runtime: SimpleNamespace) -> None:
    runtime.tasks.gate.set()
    await board._listing(OWNER, View(), seen=0)
    await board._listing(OWNER, View(search="milk"), seen=0)
    await board._listing(OWNER, View(page=2), seen=0)
    texts = [query.text for _, query in runtime.tasks.asked]
    offsets = [query.offset for _, query in runtime.tasks.asked]
    assert texts == [None, "milk", None]
    assert offsets == [0, 0, 25]


async def test_a_later_change_is_never_answered_with_an_earlier_listing(
    runtime: SimpleNamespace,
) -> None:
    runtime.tasks.gate.set()
    before = await board._listing(OWNER, View(), seen=0)
    await runtime.live.publish("task-updates", an_event("task.created", user_id=OWNER))
    runtime.tasks.titles[OWNER].append("New")
    after = await board._listing(OWNER, View(), seen=runtime.live.last_seq)
    assert (before.seq, _titles(before)) == (0, ["Mine"])
    assert (after.seq, _titles(after)) == (1, ["Mine", "New"])
    assert len(runtime.tasks.asked) == 2


async def test_a_listing_of_the_tab_s_own_action_is_made_fresh(runtime: SimpleNamespace) -> None:
    runtime.tasks.gate.set()
    await board._listing(OWNER, View(), seen=0)
    runtime.tasks.titles[OWNER].append("Added here")
    fresh = await board._listing(OWNER, View(), seen=None)
    assert _titles(fresh) == ["Mine", "Added here"]
