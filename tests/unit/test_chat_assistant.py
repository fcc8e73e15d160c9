"""The offline assistant over the real task services, through the chat service: what it does
and what it says."""

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.chat.service import ChatReply
from app.chat.tools import Json, ToolSet
from tests.chat.toolset import chat_on, tools_on
from tests.support.databases import migrated_sqlite_url
from tests.support.owners import OWNER

ZONE = "Europe/Berlin"
NOW = datetime(2025, 11, 19, 10, 0, tzinfo=ZoneInfo(ZONE))


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return migrated_sqlite_url(Path(tmp_path_factory.mktemp("assistant")))


@pytest.fixture(scope="module")
def tools(url: str) -> ToolSet:
    return tools_on(url, ZONE)


class Chat:
    """One conversation with the offline assistant, on a clock that a test moves."""

    def __init__(self, url: str, tools: ToolSet) -> None:
        self.tools = tools.for_owner(OWNER)
        self.now = NOW
        self.service = chat_on(url, tools, ZONE, lambda: self.now)
        self.conversation_id = f"c{uuid.uuid4().hex}"

    async def say(self, message: str) -> ChatReply:
        return await self.service.reply(OWNER, message, self.conversation_id)

    async def task(self, task_id: int) -> Json:
        result = await self.tools.call("get_task", {"task_id": task_id})
        task: Json = result.data.get("task") or result.data
        return task

    async def statuses(self, task_ids: list[int]) -> list[str]:
        """Each task's status, or "gone" once it is deleted."""
        return [(await self.task(task_id)).get("status", "gone") for task_id in task_ids]

    async def add(self, title: str, **fields: object) -> int:
        result = await self.tools.call("add_task", {"title": title, **fields})
        return int(result.data["task"]["id"])


@pytest.fixture
def chat(url: str, tools: ToolSet) -> Chat:
    return Chat(url, tools)


def marker() -> str:
    return f"m{uuid.uuid4().hex[:8]}"


async def test_adding_says_what_was_done(chat: Chat) -> None:
    outcome = await chat.say("add pay rent Dec 1 every month, high priority")

    assert outcome.response == "Added 'Pay rent', due Dec 1, every month, high priority."
    [action] = outcome.actions
    task = await chat.task(action.result["task"]["id"])
    assert task["due_date"] == "2025-12-01T09:00:00+01:00"
    assert (task["recurrence"], task["priority"]) == ("monthly", "high")


async def test_it_is_the_task_last_spoken_of(chat: Chat) -> None:
    name = marker()
    added = await chat.say(f"add buy {name} tomorrow 5pm")
    task_id = added.actions[0].result["task"]["id"]

    tagged = await chat.say("tag it home")
    reminded = await chat.say("remind me 1 hour before")

    assert tagged.response == f"Tagged 'Buy {name}' with #home."
    assert reminded.response == "I'll remind you 1 hour before it's due (tomorrow at 4 PM)."
    task = await chat.task(task_id)
    assert task["tags"] == ["home"]
    reminders = await chat.tools.call("list_reminders", {"task_id": task_id})
    assert [r["scheduled_at"] for r in reminders.data["reminders"]] == ["2025-11-20T15:00:00Z"]


async def test_it_without_a_task_spoken_of_asks_which(chat: Chat) -> None:
    outcome = await chat.say("tag it home")

    assert "Which task" in outcome.response
    assert outcome.actions == []


async def test_an_ambiguous_reference_asks_which_and_the_answer_acts(chat: Chat) -> None:
    name = marker()
    first = await chat.add(f"{name} milk")
    second = await chat.add(f"{name} oat milk")

    question = await chat.say(f"complete the {name} task")

    assert question.actions == []
    assert f"1. #{first} {name} milk" in question.response
    assert f"2. #{second} {name} oat milk" in question.response
    answer = await chat.say("2")
    assert answer.response == f"Completed '{name} oat milk'."
    assert (await chat.task(second))["status"] == "completed"
    assert (await chat.task(first))["status"] == "pending"


async def test_a_task_id_answers_which_one(chat: Chat) -> None:
    name = marker()
    first = await chat.add(f"{name} alpha")
    await chat.add(f"{name} beta")
    await chat.say(f"delete the {name} task")

    answer = await chat.say(f"task {first}")

    assert answer.response == f"Deleted '{name} alpha'."
    assert await chat.statuses([first]) == ["gone"]


async def test_an_exact_title_is_not_ambiguous(chat: Chat) -> None:
    name = marker()
    exact = await chat.add(name)
    await chat.add(f"{name} and more")

    outcome = await chat.say(f"complete {name}")

    assert outcome.response == f"Completed '{name}'."
    assert (await chat.task(exact))["status"] == "completed"


async def test_completing_prefers_the_open_task(chat: Chat) -> None:
    name = marker()
    done = await chat.add(f"{name} report")
    open_one = await chat.add(f"{name} report draft")
    await chat.tools.call("complete_task", {"task_id": done})

    outcome = await chat.say(f"complete the {name} task")

    assert outcome.response == f"Completed '{name} report draft'."
    assert (await chat.task(open_one))["status"] == "completed"


async def test_deleting_several_tasks_waits_for_yes(chat: Chat) -> None:
    tag = marker()
    created = [await chat.add(f"{tag} {n}", tags=[tag]) for n in range(3)]

    question = await chat.say(f"delete all tasks tagged {tag}")

    assert question.actions == []
    assert question.response.startswith("Delete these 3 tasks?")
    assert all(f"#{task_id}" in question.response for task_id in created)
    assert await chat.statuses(created) == ["pending"] * 3
    done = await chat.say("yes")
    assert [action.tool for action in done.actions] == ["delete_task"] * 3
    assert done.response.count("Deleted") == 3
    assert await chat.statuses(created) == ["gone"] * 3


async def test_no_leaves_the_tasks_alone(chat: Chat) -> None:
    tag = marker()
    created = [await chat.add(f"{tag} {n}", tags=[tag]) for n in range(2)]
    await chat.say(f"complete all tasks tagged {tag}")

    answer = await chat.say("no")

    assert answer.actions == []
    assert await chat.statuses(created) == ["pending"] * 2
    again = await chat.say("yes")
    assert again.actions == []
    assert "nothing waiting" in again.response


async def test_a_yes_in_the_same_message_confirms_nothing(chat: Chat) -> None:
    tag = marker()
    created = [await chat.add(f"{tag} {n}", tags=[tag]) for n in range(2)]

    outcome = await chat.say(f"yes, delete all tasks tagged {tag}")

    assert outcome.actions == []
    assert outcome.response.startswith("Delete these 2 tasks?")
    assert await chat.statuses(created) == ["pending"] * 2


async def test_a_missing_task_is_reported(chat: Chat) -> None:
    outcome = await chat.say("complete task 1999999")

    assert outcome.response == "That didn't work: task 1999999 not found."
    assert outcome.actions[0].result == {"error": "task 1999999 not found"}


async def test_a_refusal_of_the_services_is_reported(chat: Chat) -> None:
    name = marker()
    await chat.say(f"add {name}")

    outcome = await chat.say("remind me 1 hour before")

    assert "has no due date" in outcome.response


async def test_words_that_match_nothing_are_reported(chat: Chat) -> None:
    outcome = await chat.say(f"complete the {marker()} task")

    assert "couldn't find a task matching" in outcome.response
    assert outcome.actions == []


async def test_changes_are_described(chat: Chat) -> None:
    name = marker()
    await chat.say(f"add {name} tomorrow")

    moved = await chat.say("move it to friday 3pm")
    repeated = await chat.say("make it repeat every last friday")

    assert moved.response == f"Updated '{name.capitalize()}': due Nov 21 at 3 PM."
    assert repeated.response == (
        f"Updated '{name.capitalize()}': repeats every last Friday of the month."
    )


async def test_listing_says_what_is_due(chat: Chat) -> None:
    name = marker()
    await chat.add(f"{name} early", due_date="2025-11-20T08:00:00+01:00", tags=["x"])
    await chat.add(f"{name} late", due_date="2025-11-20T18:30:00+01:00", priority="high")

    outcome = await chat.say(f"search {name}")

    lines = outcome.response.splitlines()
    assert lines[0] == "2 tasks:"
    assert lines[1].endswith(f"{name} early, due tomorrow at 8 AM, #x")
    assert lines[2].endswith(f"{name} late, due tomorrow at 6:30 PM, high priority")


async def test_a_completed_task_is_reopened_by_name(chat: Chat) -> None:
    name = marker()
    task_id = await chat.add(f"{name} taxes")
    await chat.tools.call("complete_task", {"task_id": task_id})

    outcome = await chat.say(f"reopen the {name} task")

    assert outcome.response == f"Updated '{name} taxes': reopened."
    assert await chat.statuses([task_id]) == ["pending"]


async def test_remind_me_to_adds_the_task_with_a_reminder_when_it_is_due(chat: Chat) -> None:
    name = marker()

    outcome = await chat.say(f"remind me to call {name} on friday at 6pm")

    assert outcome.response == (
        f"Added 'Call {name}', due Nov 21 at 6 PM, reminder at the due time."
    )
    task_id = outcome.actions[0].result["task"]["id"]
    reminders = await chat.tools.call("list_reminders", {"task_id": task_id})
    [reminder] = reminders.data["reminders"]
    assert (reminder["reminder_offset"], reminder["scheduled_at"]) == (
        "0 minutes",
        "2025-11-21T17:00:00Z",
    )
    listed = await chat.say(f"reminders for task {task_id}")
    assert listed.response.endswith(f"task #{task_id}: at the due time, Nov 21 at 6 PM (pending)")
    again = await chat.say("remind me 0 minutes before")
    assert again.response == "I'll remind you when it's due (Nov 21 at 6 PM)."


async def test_a_line_that_says_when_is_a_new_task(chat: Chat) -> None:
    name = marker()

    outcome = await chat.say(f"water the {name} every 3 days")

    assert outcome.response == f"Added 'Water the {name}', due tomorrow, every 3 days."
