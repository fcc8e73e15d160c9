"""The chat tools over the real task services, on a migrated SQLite file, acting for OWNER."""

from app.adapters.local.sql import EngineSql, create_engine
from app.chat.tools import OwnerTools, ToolSet
from app.services.reminders import ReminderService
from app.services.tasks import TaskService
from tests.support.owners import OWNER, STRANGER, users

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


def toolset_on(sql: EngineSql, timezone: str) -> ToolSet:
    tasks = TaskService(sql, timezone, lambda: None)
    return ToolSet(tasks, ReminderService(sql, tasks, lambda: None), timezone)


def tools_on(url: str, timezone: str) -> OwnerTools:
    """The tools acting for OWNER on the migrated database at `url`, where the users OWNER and
    STRANGER are made."""
    sql = EngineSql(create_engine(url))
    with sql.engine.begin() as connection:
        connection.execute(users(OWNER, STRANGER))
    return toolset_on(sql, timezone).for_owner(OWNER)
