"""The one tool set: what it declares, and that every failure comes back as a result."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.chat.offline.replies import describe
from app.chat.tools import OwnerTools
from app.task_views import ReminderOut, TaskOut
from tests.chat.toolset import TOOL_NAMES, tools_on
from tests.support.databases import migrated_sqlite_url
from tests.support.owners import OWNER


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> OwnerTools:
    url = migrated_sqlite_url(Path(tmp_path_factory.mktemp("tools")))
    return tools_on(url, "America/New_York").for_owner(OWNER)


def test_every_tool_declares_an_object_schema_of_known_arguments(tools: OwnerTools) -> None:
    assert set(tools.tools) == TOOL_NAMES
    for tool in tools.tools.values():
        schema = tool.parameters
        assert schema["type"] == "object", tool.name
        assert schema["additionalProperties"] is False, tool.name
        assert tool.description, tool.name
        assert "title" not in schema, tool.name


def test_schemas_name_what_is_required(tools: OwnerTools) -> None:
    assert tools.tools["add_task"].parameters["required"] == ["title"]
    assert tools.tools["complete_task"].parameters["required"] == ["task_id"]
    priority = tools.tools["set_priority"].parameters["properties"]["priority"]
    assert priority["enum"] == ["low", "medium", "high"]


async def test_a_task_added_is_returned_on_its_own_clock(tools: OwnerTools) -> None:
    result = await tools.call("add_task", {"title": "Call", "due_date": "2025-07-01T09:00:00"})

    assert result.ok
    assert result.data["task"]["due_date"] == "2025-07-01T09:00:00-04:00"


async def test_tasks_and_reminders_come_back_as_the_api_shows_them(tools: OwnerTools) -> None:
    added = await tools.call(
        "add_task", {"title": "Shown", "due_date": "2031-07-01T09:00:00", "tags": ["#Home"]}
    )
    reminded = await tools.call(
        "add_reminder", {"task_id": added.data["task"]["id"], "reminder_offset": "1h"}
    )

    task, reminder = added.data["task"], reminded.data["reminder"]
    assert task == TaskOut.model_validate(task).model_dump(mode="json")
    assert set(task) == set(TaskOut.model_fields)
    assert task["tags"] == ["home"]
    assert reminder == ReminderOut.model_validate(reminder).model_dump(mode="json")
    assert set(reminder) == set(ReminderOut.model_fields)


@pytest.mark.parametrize(
    ("name", "arguments", "says"),
    [
        ("add_task", {}, "title: Field required"),
        ("add_task", {"title": "x", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ("add_task", {"title": "x", "priority": "urgent"}, "priority"),
        ("add_task", {"title": "x", "due_date": "0001-01-01T00:00:00"}, "due_date"),
        ("add_task", {"title": "x", "rrule": "FREQ=HOURLY"}, "rrule"),
        ("add_task", {"title": "x", "reminder_offset": "soon"}, "reminder_offset"),
        ("get_task", {"task_id": "seven"}, "task_id"),
        ("get_task", {"task_id": 1_999_999}, "task 1999999 not found"),
        ("update_task", {"task_id": 1}, "give at least one field"),
        ("add_tags", {"task_id": 1, "tags": ["a b"]}, "tags: tag 'a b' must start with"),
        ("add_tags", {"task_id": 1, "tags": []}, "tags: give at least one tag"),
        ("update_task", {"task_id": 1, "title": None}, "title: cannot be null"),
        ("update_task", {"task_id": 1, "title": " "}, "title: give the task a title"),
        ("get_task", {"task_id": True}, "task_id: a whole number, not true or false"),
        ("add_reminder", {"task_id": 1_999_999, "reminder_offset": "1 hour"}, "not found"),
        ("drop_database", {}, "there is no tool 'drop_database'"),
    ],
)
async def test_failures_are_results_that_say_what_went_wrong(
    tools: OwnerTools, name: str, arguments: dict[str, Any], says: str
) -> None:
    await tools.call("add_task", {"title": "the task with id 1"})

    result = await tools.call(name, arguments)

    assert not result.ok
    assert says in result.data["error"]


async def test_listing_filters_and_counts(tools: OwnerTools) -> None:
    for title in ("zebra one", "zebra two", "zebra three"):
        await tools.call("add_task", {"title": title, "tags": ["zoo"]})

    result = await tools.call("list_tasks", {"query": "zebra", "tags": ["zoo"], "limit": 2})

    assert result.data["total"] == 3
    assert len(result.data["tasks"]) == 2


async def test_removing_tags_takes_them_in_any_spelling(tools: OwnerTools) -> None:
    added = await tools.call("add_task", {"title": "tagged", "tags": ["home", "work"]})
    task_id = added.data["task"]["id"]

    result = await tools.call("remove_tags", {"task_id": task_id, "tags": ["#Home"]})

    assert result.data["task"]["tags"] == ["work"]


async def test_deleting_several_tasks_deletes_all_of_them_or_none(tools: OwnerTools) -> None:
    added = [await tools.call("add_task", {"title": f"bulk {n}"}) for n in range(2)]
    ids = [result.data["task"]["id"] for result in added]

    missing = await tools.call("delete_tasks", {"task_ids": [*ids, 1_999_999]})
    kept = [await tools.call("get_task", {"task_id": task_id}) for task_id in ids]
    done = await tools.call("delete_tasks", {"task_ids": ids})

    assert missing.data == {"error": "task 1999999 not found"}
    assert all(result.ok for result in kept)
    assert [task["id"] for task in done.data["deleted"]] == ids
    now = datetime(2025, 11, 19, tzinfo=UTC)
    assert describe("delete_tasks", {}, done.data, now) == "Deleted 'bulk 0' and 'bulk 1'."
