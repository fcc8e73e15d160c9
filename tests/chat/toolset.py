"""The chat tools over the real task services, on a migrated SQLite file."""

from app.adapters.local.sql import EngineSql, create_engine
from app.chat.tools import ToolSet
from app.services.reminders import ReminderService
from app.services.tasks import TaskService

TOOL_NAMES = {
    "add_task",
    "list_tasks",
    "get_task",
    "update_task",
    "complete_task",
    "delete_task",
    "set_priority",
    "add_tags",
    "remove_tags",
    "add_reminder",
    "list_reminders",
}


def tools_on(url: str, timezone: str) -> ToolSet:
    sql = EngineSql(create_engine(url))
    tasks = TaskService(sql, timezone, lambda: None)
    return ToolSet(tasks, ReminderService(sql, tasks, lambda: None), timezone)
