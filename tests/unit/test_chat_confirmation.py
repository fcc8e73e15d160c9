"""The confirmation guard with the offline assistant, through the chat service, each test on a
database of its own: what waits for a "yes", what the yes does, and what drops it."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.chat.confirmation import CONFIRMATION_TTL, LEFT_ALONE, Named, confirms, refuses
from app.chat.service import ChatReply
from app.chat.tools import Json, ToolSet
from tests.chat.toolset import chat_on, tools_on
from tests.support.databases import migrated_sqlite_url
from tests.support.owners import OWNER

ZONE = "Europe/Berlin"
NOW = datetime(2025, 11, 19, 10, 0, tzinfo=ZoneInfo(ZONE))


class Chat:
    """One conversation, on a clock the test moves."""

    def __init__(self, url: str, tools: ToolSet) -> None:
        self.tools = tools.for_owner(OWNER)
        self.now = NOW
        self.service = chat_on(url, tools, ZONE, lambda: self.now)
        self.conversation_id = "confirming"

    async def say(self, message: str) -> ChatReply:
        return await self.service.reply(OWNER, message, self.conversation_id)

    async def add(self, title: str, completed: bool = False, **fields: Any) -> int:
        result = await self.tools.call("add_task", {"title": title, **fields})
        task_id = int(result.data["task"]["id"])
        if completed:
            await self.tools.call("complete_task", {"task_id": task_id})
        return task_id

    async def remaining(self) -> set[int]:
        listed = await self.tools.call("list_tasks", {"limit": 100})
        return {task["id"] for task in listed.data["tasks"]}


@pytest.fixture
def chat(tmp_path: Path) -> Chat:
    url = migrated_sqlite_url(tmp_path)
    return Chat(url, tools_on(url, ZONE))


def deleted(reply: ChatReply) -> list[int]:
    return [a.arguments["task_id"] for a in reply.actions if a.tool == "delete_task"]


async def test_a_named_task_is_deleted_at_once(chat: Chat) -> None:
    milk = await chat.add("Buy milk")
    mom = await chat.add("Call mom")

    reply = await chat.say("delete the milk task")

    assert reply.response == "Deleted 'Buy milk'."
    assert deleted(reply) == [milk]
    assert await chat.remaining() == {mom}
    assert "nothing waiting" in (await chat.say("yes")).response


async def test_a_task_named_by_id_is_deleted_at_once(chat: Chat) -> None:
    task_id = await chat.add("Call mom")

    reply = await chat.say(f"delete task {task_id}")

    assert deleted(reply) == [task_id]
    assert await chat.remaining() == set()


async def test_a_task_chosen_from_the_tasks_listed_is_deleted_at_once(chat: Chat) -> None:
    await chat.add("Buy milk")
    oat = await chat.add("Buy oat milk")
    question = await chat.say("delete the milk task")

    answer = await chat.say("2")

    assert question.response.startswith("Several tasks match 'milk'.")
    assert deleted(answer) == [oat]


async def test_deleting_all_completed_tasks_asks_and_yes_deletes_exactly_those(
    chat: Chat,
) -> None:
    done = [await chat.add(f"Errand {n}", completed=True) for n in range(3)]
    still_open = await chat.add("Errand open")

    question = await chat.say("delete all completed tasks")

    assert question.actions == []
    assert question.response.splitlines() == [
        "Delete these 3 tasks?",
        *(f"• #{task_id} Errand {n}" for n, task_id in enumerate(done)),
        "Reply 'yes' to go ahead or 'no' to leave them.",
    ]
    assert await chat.remaining() == {*done, still_open}
    added_since = await chat.add("Errand since", completed=True)
    chat.now += CONFIRMATION_TTL - timedelta(seconds=1)

    answer = await chat.say("yes")

    assert deleted(answer) == done
    assert answer.response.splitlines() == [f"Deleted 'Errand {n}'." for n in range(3)]
    assert await chat.remaining() == {still_open, added_since}
    assert "nothing waiting" in (await chat.say("yes")).response


async def test_no_deletes_nothing_and_the_question_is_gone(chat: Chat) -> None:
    done = {await chat.add(f"Errand {n}", completed=True) for n in range(3)}
    await chat.say("delete all completed tasks")

    refused = await chat.say("no")
    again = await chat.say("yes")

    assert refused.response == LEFT_ALONE
    assert refused.actions == again.actions == []
    assert await chat.remaining() == done


async def test_an_unrelated_message_drops_the_question(chat: Chat) -> None:
    done = {await chat.add(f"Errand {n}", completed=True) for n in range(3)}
    await chat.say("delete all completed tasks")

    other = await chat.say("add buy bread")
    again = await chat.say("yes")

    assert other.response == "Added 'Buy bread'."
    assert again.actions == []
    assert done < await chat.remaining()


async def test_an_expired_question_is_not_carried_out(chat: Chat) -> None:
    done = {await chat.add(f"Errand {n}", completed=True) for n in range(2)}
    await chat.say("delete all completed tasks")
    chat.now += CONFIRMATION_TTL + timedelta(seconds=1)

    late = await chat.say("yes")

    assert late.actions == []
    assert late.response.startswith("I asked more than 10 minutes ago, so I did nothing.")
    assert await chat.remaining() == done
    assert "nothing waiting" in (await chat.say("yes")).response


async def test_a_task_the_message_does_not_name_is_asked_about(chat: Chat) -> None:
    added = await chat.say("add buy milk")
    task_id = added.actions[0].result["task"]["id"]

    question = await chat.say("delete it")

    assert question.actions == []
    assert question.response.startswith(f"Delete this task?\n• #{task_id} Buy milk\n")
    assert deleted(await chat.say("confirm")) == [task_id]


async def test_a_task_deleted_meanwhile_is_reported_and_the_others_go(chat: Chat) -> None:
    first, second = [await chat.add(f"Errand {n}", completed=True) for n in range(2)]
    await chat.say("delete all completed tasks")
    await chat.tools.call("delete_task", {"task_id": first})

    answer = await chat.say("do it")

    assert answer.response.splitlines() == [
        f"That didn't work: task {first} not found.",
        "Deleted 'Errand 1'.",
    ]
    assert second not in await chat.remaining()


async def test_completing_several_tasks_waits_for_yes_too(chat: Chat) -> None:
    chores = [await chat.add(f"Chore {n}", tags=["home"]) for n in range(2)]

    question = await chat.say("complete all tasks tagged home")
    answer = await chat.say("yes")

    assert question.response.startswith("Complete these 2 tasks?")
    assert [a.arguments["task_id"] for a in answer.actions] == chores
    statuses = await chat.tools.call("list_tasks", {"status": "completed"})
    assert {task["id"] for task in statuses.data["tasks"]} == set(chores)


@pytest.mark.parametrize("message", ["yes", "Yes!", "confirm", "do it", "go ahead", "yes please"])
def test_these_confirm(message: str) -> None:
    assert confirms(message)
    assert not refuses(message)


@pytest.mark.parametrize(
    "message", ["no", "cancel", "yes, delete all tasks", "what's due?", "yesterday", "delete it"]
)
def test_these_do_not_confirm(message: str) -> None:
    assert not confirms(message)


def task(task_id: int, title: str, tags: list[str] | None = None) -> Json:
    return {"id": task_id, "title": title, "tags": tags or []}


@pytest.mark.parametrize(
    ("message", "named"),
    [
        ("delete task 12", True),
        ("delete #12", True),
        ("delete 11, 12 and 13", True),
        ("delete the dentist task", True),
        ("delete the Dentist appointment", True),
        ("remove the #health one", True),
        ("delete it", False),
        ("delete all completed tasks", False),
        ("delete what is due on 2025-12-12", False),
        ("delete what is due at 12:00", False),
        ("delete the appointments", False),
    ],
)
def test_what_a_message_names(message: str, named: bool) -> None:
    dentist = task(12, "Dentist appointment", ["health"])

    assert Named.by(message).names(dentist) is named


def test_a_short_title_is_named_whole() -> None:
    assert Named.by("delete the TV one").names(task(3, "TV"))
    assert not Named.by("delete the TVs").names(task(3, "TV"))
