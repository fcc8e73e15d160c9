"""The one tool set every chat front door uses: task and reminder use cases as named tools,
acting for one user at a time (`ToolSet.for_owner`).

A tool call never raises: bad arguments and refusals of the use cases come back as a result
that says what went wrong, so an assistant can tell the user or correct itself.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from app.chat import tool_args as args
from app.domain.enums import Priority, ReminderStatus, TaskStatus
from app.domain.queries import SortField, SortOrder, TaskQuery
from app.services.errors import Conflict, Invalid, NotFound
from app.services.reminders import ReminderService
from app.services.tasks import TaskService
from app.task_views import reminder_json, task_json

Json = dict[str, Any]


@dataclass(frozen=True)
class ToolResult:
    data: Json
    ok: bool = True


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    arguments: type[args.Arguments]
    # Called with the owner it acts for and the parsed arguments.
    run: Callable[[int, Any], Awaitable[Json]]

    @property
    def parameters(self) -> Json:
        """JSON schema of the arguments (Gemini function declarations, MCP input schemas)."""
        return args.json_schema(self.arguments)


def describe_error(error: ValidationError) -> str:
    problems = []
    for detail in error.errors():
        where = ".".join(str(part) for part in detail["loc"]) or "arguments"
        problems.append(f"{where}: {detail['msg']}")
    return "; ".join(problems)


class ToolSet:
    """The tools over the use cases; `for_owner` hands them to the user they act for."""

    def __init__(self, tasks: TaskService, reminders: ReminderService, timezone: str) -> None:
        self._tasks = tasks
        self._reminders = reminders
        self._zone = ZoneInfo(timezone)
        self.tools = {
            tool.name: tool
            for tool in (
                Tool(
                    "add_task",
                    "Create a task. Give due_date for anything with a date; recurring tasks "
                    "need recurrence (daily, weekly, monthly, or custom with an rrule).",
                    args.AddTask,
                    self._add_task,
                ),
                Tool(
                    "list_tasks",
                    "Find tasks: free-text search and filters, sorted, one page at a time.",
                    args.ListTasks,
                    self._list_tasks,
                ),
                Tool("get_task", "One task by id.", args.OneTask, self._get_task),
                Tool(
                    "update_task",
                    "Change some fields of a task; the fields not given stay as they are. "
                    "null clears due_date, rrule or reminder_offset.",
                    args.UpdateTask,
                    self._update_task,
                ),
                Tool(
                    "complete_task",
                    "Mark a task completed (a recurring task's next one is then created).",
                    args.OneTask,
                    self._complete_task,
                ),
                Tool("delete_task", "Delete a task for good.", args.OneTask, self._delete_task),
                Tool(
                    "delete_tasks",
                    "Delete several tasks for good: all of them, or none when one is missing.",
                    args.SeveralTasks,
                    self._delete_tasks,
                ),
                Tool(
                    "set_priority", "Set a task's priority.", args.SetPriority, self._set_priority
                ),
                Tool("add_tags", "Add tags to a task.", args.ChangeTags, self._add_tags),
                Tool("remove_tags", "Remove tags from a task.", args.ChangeTags, self._remove_tags),
                Tool(
                    "add_reminder",
                    "Remind the user a while before a task is due; the task needs a due date.",
                    args.AddReminder,
                    self._add_reminder,
                ),
                Tool(
                    "list_reminders",
                    "List reminders, of one task or all of them.",
                    args.ListReminders,
                    self._list_reminders,
                ),
            )
        }

    def for_owner(self, owner: int) -> "OwnerTools":
        return OwnerTools(self.tools, owner)

    async def _add_task(self, owner: int, given: args.AddTask) -> Json:
        fields = given.model_dump(exclude_none=True)
        return {"task": task_json(await self._tasks.create(owner, fields))}

    async def _list_tasks(self, owner: int, given: args.ListTasks) -> Json:
        page = await self._tasks.query(
            owner,
            TaskQuery(
                status=TaskStatus(given.status) if given.status else None,
                priority=Priority(given.priority) if given.priority else None,
                tags=tuple(given.tags or ()),
                due_before=self._aware(given.due_before),
                due_after=self._aware(given.due_after),
                text=given.query or None,
                sort_by=SortField(given.sort_by),
                order=SortOrder(given.order) if given.order else None,
                limit=given.limit,
                offset=given.offset,
            ),
        )
        return {"tasks": [task_json(task) for task in page.tasks], "total": page.total}

    async def _get_task(self, owner: int, given: args.OneTask) -> Json:
        return {"task": task_json(await self._tasks.get(owner, given.task_id))}

    async def _update_task(self, owner: int, given: args.UpdateTask) -> Json:
        changes = given.changes()
        if not changes:
            raise Invalid("arguments", "give at least one field to change")
        return {"task": task_json(await self._tasks.update(owner, given.task_id, changes))}

    async def _complete_task(self, owner: int, given: args.OneTask) -> Json:
        return {"task": task_json(await self._tasks.complete(owner, given.task_id))}

    async def _delete_task(self, owner: int, given: args.OneTask) -> Json:
        task = await self._tasks.get(owner, given.task_id)
        await self._tasks.delete(owner, given.task_id)
        return {"deleted": task_json(task)}

    async def _delete_tasks(self, owner: int, given: args.SeveralTasks) -> Json:
        tasks = [await self._tasks.get(owner, task_id) for task_id in dict.fromkeys(given.task_ids)]
        for task in tasks:
            await self._tasks.delete(owner, task.id)
        return {"deleted": [task_json(task) for task in tasks]}

    async def _set_priority(self, owner: int, given: args.SetPriority) -> Json:
        priority = Priority(given.priority)
        task = await self._tasks.update(owner, given.task_id, {"priority": priority})
        return {"task": task_json(task)}

    async def _add_tags(self, owner: int, given: args.ChangeTags) -> Json:
        task = await self._tasks.add_tags(owner, given.task_id, given.tags)
        return {"task": task_json(task)}

    async def _remove_tags(self, owner: int, given: args.ChangeTags) -> Json:
        task = await self._tasks.remove_tags(owner, given.task_id, given.tags)
        return {"task": task_json(task)}

    async def _add_reminder(self, owner: int, given: args.AddReminder) -> Json:
        reminder = await self._reminders.create(owner, given.task_id, given.reminder_offset)
        return {"reminder": reminder_json(reminder)}

    async def _list_reminders(self, owner: int, given: args.ListReminders) -> Json:
        status = ReminderStatus(given.status) if given.status else None
        found = await self._reminders.find(owner, given.task_id, status)
        return {"reminders": [reminder_json(reminder) for reminder in found]}

    def _aware(self, moment: datetime | None) -> datetime | None:
        if moment is not None and moment.tzinfo is None:
            return moment.replace(tzinfo=self._zone)
        return moment


class OwnerTools:
    """The tools acting for one user: every call reads and changes only that user's tasks and
    reminders, and another user's id is not found."""

    def __init__(self, tools: Mapping[str, Tool], owner: int) -> None:
        self.tools = tools
        self._owner = owner

    async def call(self, name: str, arguments: Mapping[str, Any] | None) -> ToolResult:
        tool = self.tools.get(name)
        if tool is None:
            return ToolResult({"error": f"there is no tool {name!r}"}, ok=False)
        try:
            parsed = tool.arguments.model_validate(dict(arguments or {}))
        except ValidationError as error:
            return ToolResult({"error": f"invalid arguments: {describe_error(error)}"}, ok=False)
        try:
            return ToolResult(await tool.run(self._owner, parsed))
        except NotFound as error:
            return ToolResult({"error": str(error)}, ok=False)
        except Invalid as error:
            return ToolResult({"error": f"{error.field}: {error}"}, ok=False)
        except Conflict as error:
            return ToolResult({"error": str(error)}, ok=False)
