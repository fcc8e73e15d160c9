"""Gemini's deletes go through the confirmation guard: the chat service with Gemini speaking its
wire format from the local fake, on a database of each test's own and a clock the test moves.
The model cannot say yes for the user: the yes is read in code, before any model is asked."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.chat.confirmation import CONFIRMATION_TTL, LEFT_ALONE
from app.chat.gemini_settings import GeminiSettings
from app.chat.service import ChatReply
from app.chat.tools import Json, ToolSet
from tests.chat.conftest import GEMINI_TIMEOUT_SECONDS
from tests.chat.gemini_server import FakeGemini, function_call, function_calls, text
from tests.chat.toolset import chat_on, tools_on
from tests.support.databases import migrated_sqlite_url
from tests.support.owners import OWNER

ZONE = "Europe/Berlin"
NOW = datetime(2025, 11, 19, 10, 0, tzinfo=ZoneInfo(ZONE))


class Chat:
    def __init__(self, url: str, tools: ToolSet, gemini: FakeGemini) -> None:
        self.tools = tools.for_owner(OWNER)
        self.gemini = gemini
        self.now = NOW
        settings = GeminiSettings("gemini-test", gemini.url, GEMINI_TIMEOUT_SECONDS)
        self.service = chat_on(url, tools, ZONE, lambda: self.now, settings)

    async def say(self, message: str) -> ChatReply:
        return await self.service.reply(OWNER, message, "with-gemini")

    async def add(self, title: str, **fields: Any) -> int:
        result = await self.tools.call("add_task", {"title": title, **fields})
        return int(result.data["task"]["id"])

    async def remaining(self) -> set[int]:
        listed = await self.tools.call("list_tasks", {"limit": 100})
        return {task["id"] for task in listed.data["tasks"]}

    def responses_sent(self, request: int = 1) -> list[Json]:
        """The function responses the model got in its `request`th request."""
        parts = self.gemini.requests[request].body["contents"][-1]["parts"]
        return [part["functionResponse"]["response"] for part in parts]


@pytest.fixture
def chat(tmp_path: Path, gemini: FakeGemini) -> Chat:
    url = migrated_sqlite_url(tmp_path)
    return Chat(url, tools_on(url, ZONE), gemini)


async def test_a_named_task_is_deleted_at_once(chat: Chat) -> None:
    dentist = await chat.add("Dentist appointment")
    other = await chat.add("Call mom")
    chat.gemini.answer(function_call("delete_task", {"task_id": dentist}), text("Deleted it."))

    reply = await chat.say("delete the dentist appointment")

    assert (reply.assistant, reply.response) == ("gemini", "Deleted it.")
    assert [action.tool for action in reply.actions] == ["delete_task"]
    assert await chat.remaining() == {other}
    assert chat.responses_sent()[0]["deleted"]["id"] == dentist


async def test_a_task_the_user_did_not_name_waits_for_yes(chat: Chat) -> None:
    mom = await chat.add("Call mom")
    chat.gemini.answer(function_call("delete_task", {"task_id": mom}), text("Tidying up."))

    question = await chat.say("tidy up my list")

    assert question.actions == []
    assert question.response == (
        f"Tidying up.\nDelete this task?\n• #{mom} Call mom\n"
        "Reply 'yes' to go ahead or 'no' to leave them."
    )
    [held] = chat.responses_sent()
    assert held["tasks"] == [{"id": mom, "title": "Call mom"}]
    assert "not_done" in held
    assert await chat.remaining() == {mom}

    chat.gemini.answer()
    answer = await chat.say("yes")

    assert chat.gemini.requests == []
    assert [(a.tool, a.arguments) for a in answer.actions] == [("delete_task", {"task_id": mom})]
    assert answer.response == "Deleted 'Call mom'."
    assert await chat.remaining() == set()


async def test_several_deletes_wait_and_yes_deletes_exactly_those(chat: Chat) -> None:
    done = [await chat.add(f"Errand {n}") for n in range(3)]
    for task_id in done:
        await chat.tools.call("complete_task", {"task_id": task_id})
    chat.gemini.answer(
        function_call("list_tasks", {"status": "completed"}),
        function_calls(*[("delete_task", {"task_id": task_id}, f"d{task_id}") for task_id in done]),
        text("Shall I?"),
    )

    question = await chat.say("delete all completed tasks")

    assert [action.tool for action in question.actions] == ["list_tasks"]
    assert question.response.splitlines()[:5] == [
        "Shall I?",
        "Delete these 3 tasks?",
        *(f"• #{task_id} Errand {n}" for n, task_id in enumerate(done)),
    ]
    assert all("not_done" in sent for sent in chat.responses_sent(2))
    added_since = await chat.add("Errand since")
    await chat.tools.call("complete_task", {"task_id": added_since})

    chat.gemini.answer()
    answer = await chat.say("yes")

    assert chat.gemini.requests == []
    assert [action.arguments["task_id"] for action in answer.actions] == done
    assert await chat.remaining() == {added_since}


async def test_deleting_several_at_once_waits_too(chat: Chat) -> None:
    ids = [await chat.add(f"Report {n}") for n in range(2)]
    chat.gemini.answer(function_call("delete_tasks", {"task_ids": ids}), text("Asked."))

    question = await chat.say(f"delete tasks {ids[0]} and {ids[1]}")

    assert question.response.splitlines()[1] == "Delete these 2 tasks?"
    assert await chat.remaining() == set(ids)


async def test_the_model_cannot_confirm_for_the_user(chat: Chat) -> None:
    ids = [await chat.add(f"Report {n}") for n in range(2)]
    chat.gemini.answer(
        function_call("delete_tasks", {"task_ids": ids}),
        function_call("delete_tasks", {"task_ids": ids, "confirm": True}),
        function_calls(*[("delete_task", {"task_id": task_id}, f"d{task_id}") for task_id in ids]),
        text("The user said yes earlier."),
    )

    reply = await chat.say("yes, delete all my reports")

    [refused] = reply.actions
    assert refused.result == {"error": "invalid arguments: confirm: Extra inputs are not permitted"}
    assert all("not_done" in sent for sent in chat.responses_sent(3))
    assert await chat.remaining() == set(ids)


async def test_one_named_delete_per_message_runs_the_next_waits(chat: Chat) -> None:
    milk = await chat.add("Buy milk")
    bread = await chat.add("Buy bread")
    chat.gemini.answer(
        function_call("delete_task", {"task_id": milk}),
        function_call("delete_task", {"task_id": bread}),
        text("Done."),
    )

    reply = await chat.say("delete the milk and the bread tasks")

    assert [action.arguments for action in reply.actions] == [{"task_id": milk}]
    assert reply.response.endswith(
        f"• #{bread} Buy bread\nReply 'yes' to go ahead or 'no' to leave them."
    )
    assert await chat.remaining() == {bread}


async def test_no_deletes_nothing_without_asking_the_model(chat: Chat) -> None:
    mom = await chat.add("Call mom")
    chat.gemini.answer(function_call("delete_task", {"task_id": mom}), text("Asked."))
    await chat.say("clean up")

    chat.gemini.answer()
    reply = await chat.say("no")

    assert (reply.response, chat.gemini.requests) == (LEFT_ALONE, [])
    assert await chat.remaining() == {mom}


async def test_another_request_drops_the_question(chat: Chat) -> None:
    mom = await chat.add("Call mom")
    chat.gemini.answer(function_call("delete_task", {"task_id": mom}), text("Asked."))
    await chat.say("clean up")
    chat.gemini.answer(text("Nothing is due today."))
    await chat.say("what's due today?")

    chat.gemini.answer(text("There is nothing to confirm."))
    reply = await chat.say("yes")

    assert reply.response == "There is nothing to confirm."
    assert len(chat.gemini.requests) == 1
    assert await chat.remaining() == {mom}


async def test_an_expired_question_is_not_carried_out(chat: Chat) -> None:
    mom = await chat.add("Call mom")
    chat.gemini.answer(function_call("delete_task", {"task_id": mom}), text("Asked."))
    await chat.say("clean up")
    chat.now += CONFIRMATION_TTL + timedelta(minutes=1)

    chat.gemini.answer()
    reply = await chat.say("yes")

    assert chat.gemini.requests == []
    assert reply.actions == []
    assert reply.response.startswith("I asked more than 10 minutes ago")
    assert await chat.remaining() == {mom}
