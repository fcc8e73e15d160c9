"""Conversation state in the kv_state table: etags, conflicts, and history that is never lost."""

from pathlib import Path
from typing import Any

import pytest

from app.adapters.local.kv import SqlKeyValue
from app.adapters.local.sql import EngineSql, create_engine
from app.chat.conversation import (
    Action,
    Conversation,
    ConversationStore,
    HistoryLimits,
    Outcome,
    Turn,
)
from app.ports import ConcurrencyError
from tests.support.databases import migrated_sqlite_url
from tests.support.owners import OWNER, STRANGER


@pytest.fixture(scope="module")
def kv(tmp_path_factory: pytest.TempPathFactory) -> SqlKeyValue:
    url = migrated_sqlite_url(Path(tmp_path_factory.mktemp("kv")))
    return SqlKeyValue(EngineSql(create_engine(url)))


async def test_a_new_key_is_stored_and_read_back(kv: SqlKeyValue) -> None:
    etag = await kv.save("new", {"turns": [1, 2]}, None)

    assert await kv.get("new") == ({"turns": [1, 2]}, etag)


async def test_an_absent_key_reads_as_nothing(kv: SqlKeyValue) -> None:
    assert await kv.get("absent") == (None, None)


async def test_a_save_with_the_current_etag_replaces_the_value(kv: SqlKeyValue) -> None:
    first = await kv.save("replace", "one", None)

    second = await kv.save("replace", "two", first)

    assert second != first
    assert await kv.get("replace") == ("two", second)


@pytest.mark.parametrize("stale", ["old", None, "not-an-etag"])
async def test_a_save_on_a_stale_etag_is_refused(kv: SqlKeyValue, stale: str | None) -> None:
    key = f"stale-{stale}"
    first = await kv.save(key, "one", None)
    current = await kv.save(key, "two", first)
    etag = first if stale == "old" else stale

    with pytest.raises(ConcurrencyError):
        await kv.save(key, "three", etag)

    assert await kv.get(key) == ("two", current)


class Interrupted:
    """A KeyValue where someone else saves `key` right after each of the first `times` reads."""

    def __init__(self, kv: SqlKeyValue, key: str, other: Any, times: int) -> None:
        self._kv = kv
        self._key = key
        self._other = other
        self._times = times

    async def get(self, key: str) -> tuple[Any, str | None]:
        value, etag = await self._kv.get(key)
        if self._times > 0:
            self._times -= 1
            await self._kv.save(self._key, self._other(value), etag)
        return value, etag

    async def save(self, key: str, value: Any, etag: str | None) -> str:
        return await self._kv.save(key, value, etag)


LIMITS = HistoryLimits(turns=5, chars=2_000)


def turn(text: str) -> Turn:
    return Turn(message=text, reply=f"re: {text}")


async def test_a_turn_saved_meanwhile_is_kept(kv: SqlKeyValue) -> None:
    store = ConversationStore(kv, LIMITS)
    await store.record(OWNER, "racing", turn("first"), Outcome("re: first"))

    def with_second(value: Any) -> Any:
        return {**value, "turns": [*value["turns"], turn("second").model_dump()]}

    racing = ConversationStore(
        Interrupted(kv, f"chat:{OWNER}:racing", with_second, times=1), LIMITS
    )
    await racing.record(OWNER, "racing", turn("third"), Outcome("re: third"))

    conversation = await store.load(OWNER, "racing")
    assert [t.message for t in conversation.turns] == ["first", "second", "third"]


async def test_only_the_last_turns_are_kept(kv: SqlKeyValue) -> None:
    store = ConversationStore(kv, LIMITS)
    for number in range(LIMITS.turns + 3):
        await store.record(OWNER, "long", turn(str(number)), Outcome(""))

    conversation = await store.load(OWNER, "long")
    assert [t.message for t in conversation.turns] == [
        str(number) for number in range(3, LIMITS.turns + 3)
    ]


def listing(text: str, tasks: int) -> Turn:
    """A turn whose tool result lists `tasks` tasks: about 100 characters each."""
    found = [{"id": n, "title": f"task {n} " + "x" * 80} for n in range(tasks)]
    result = {"tasks": found, "total": tasks}
    return Turn(
        message=text, reply="", actions=[Action(tool="list_tasks", arguments={}, result=result)]
    )


async def test_the_oldest_turns_go_first_once_the_history_is_too_long(kv: SqlKeyValue) -> None:
    size = len(listing("0", tasks=6).model_dump_json())
    store = ConversationStore(kv, HistoryLimits(turns=10, chars=3 * size + size // 2))
    for number in range(6):
        await store.record(OWNER, "wordy", listing(str(number), tasks=6), Outcome(""))

    conversation = await store.load(OWNER, "wordy")
    assert [t.message for t in conversation.turns] == ["3", "4", "5"]


async def test_a_turn_longer_than_the_limit_is_kept_alone(kv: SqlKeyValue) -> None:
    store = ConversationStore(kv, LIMITS)
    await store.record(OWNER, "huge", turn("small"), Outcome(""))
    await store.record(OWNER, "huge", listing("big", tasks=50), Outcome("", focus=3))

    conversation = await store.load(OWNER, "huge")
    assert [t.message for t in conversation.turns] == ["big"]
    assert conversation.focus == 3


async def test_the_task_spoken_of_outlives_turns_about_nothing(kv: SqlKeyValue) -> None:
    store = ConversationStore(kv, LIMITS)
    await store.record(OWNER, "focus", turn("add x"), Outcome("", focus=7))
    await store.record(OWNER, "focus", turn("help"), Outcome(""))

    assert (await store.load(OWNER, "focus")).focus == 7


async def test_a_conversation_is_its_owner_s_alone(kv: SqlKeyValue) -> None:
    store = ConversationStore(kv, LIMITS)
    await store.record(OWNER, "shared id", turn("mine"), Outcome("", focus=7))
    assert await store.load(STRANGER, "shared id") == Conversation()
    await store.record(STRANGER, "shared id", turn("theirs"), Outcome(""))
    assert [t.message for t in (await store.load(OWNER, "shared id")).turns] == ["mine"]
