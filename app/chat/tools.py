"""The one tool set every chat front door uses: task and reminder use cases as named tools.

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
    run: Callable[[Any], Awaitable[Json]]

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

    async def call(self, name: str, arguments: Mapping[str, Any] | None) -> ToolResult:
        tool = self.tools.get(name)
        if tool is None:
            return ToolResult({"error": f"there is no tool {name!r}"}, ok=False)
        try:
            parsed = tool.arguments.model_validate(dict(arguments or {}))
        except ValidationError as error:
            return ToolResult({"error": f"invalid arguments: {describe_error(error)}"}, ok=False)
        try:
            return ToolResult(await tool.run(parsed))
        except NotFound as error:
            return ToolResult({"error": str(error)}, ok=False)
        except Invalid as error:
            return ToolResult({"error": f"{error.field}: {error}"}, ok=False)
        except Conflict as error:
            return ToolResult({"error": str(error)}, ok=False)

    async def _add_task(self, given: args.AddTask) -> Json:
        fields = given.model_dump(exclude_none=True)
        return {"task": task_json(await self._tasks.create(fields))}

    async def _list_tasks(self, given: args.ListTasks) -> Json:
        page = await self._tasks.query(
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
            )
        )
        return {"tasks": [task_json(task) for task in page.tasks], "total": page.total}

    async def _get_task(self, given: args.OneTask) -> Json:
        return {"task": task_json(await self._tasks.get(given.task_id))}

    async def _update_task(self, given: args.UpdateTask) -> Json:
        changes = given.changes()
        if not changes:
            raise Invalid("arguments", "give at least one field to change")
        return {"task": task_json(await self._tasks.update(given.task_id, changes))}

    async def _complete_task(self, given: args.OneTask) -> Json:
        return {"task": task_json(await self._tasks.complete(given.task_id))}

    async def _delete_task(self, given: args.OneTask) -> Json:
        task = await self._tasks.get(given.task_id)
        await self._tasks.delete(given.task_id)
        return {"deleted": task_json(task)}

    async def _delete_tasks(self, given: args.SeveralTasks) -> Json:
        tasks = [await self._tasks.get(task_id) for task_id in dict.fromkeys(given.task_ids)]
        for task in tasks:
            await self._tasks.delete(task.id)
        return {"deleted": [task_json(task) for task in tasks]}

    async def _set_priority(self, given: args.SetPriority) -> Json:
        task = await self._tasks.update(given.task_id, {"priority": Priority(given.priority)})
        return {"task": task_json(task)}

    async def _add_tags(self, given: args.ChangeTags) -> Json:
        return {"task": task_json(await self._tasks.add_tags(given.task_id, given.tags))}

    async def _remove_tags(self, given: args.ChangeTags) -> Json:
        return {"task": task_json(await self._tasks.remove_tags(given.task_id, given.tags))}

    async def _add_reminder(self, given: args.AddReminder) -> Json:
        reminder = await self._reminders.create(given.task_id, given.reminder_offset)
        return {"reminder": reminder_json(reminder)}

    async def _list_reminders(self, given: args.ListReminders) -> Json:
        status = ReminderStatus(given.status) if given.status else None
        found = await self._reminders.find(given.task_id, status)
        return {"reminders": [reminder_json(reminder) for reminder in found]}

    def _aware(self, moment: datetime | None) -> datetime | None:
        if moment is not None and moment.tzinfo is None:
            return moment.replace(tzinfo=self._zone)
        return moment
