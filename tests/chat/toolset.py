"""The chat tools, and the chat service over them, on the real task services on a migrated
SQLite file where the users OWNER and STRANGER exist."""

from collections.abc import Callable
from datetime import datetime

from app.adapters.local.kv import SqlKeyValue
from app.adapters.local.sql import EngineSql, create_engine
from app.chat.confirmation import ConfirmationGuard
from app.chat.conversation import ConversationStore, HistoryLimits
from app.chat.gemini import GeminiAgent
from app.chat.gemini_settings import API_KEY_SECRET, GeminiSettings
from app.chat.offline.assistant import OfflineAssistant
from app.chat.service import ChatService
from app.chat.tools import ToolSet
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
    "delete_tasks",
    "set_priority",
    "add_tags",
    "remove_tags",
    "add_reminder",
    "list_reminders",
}


def toolset_on(sql: EngineSql, timezone: str) -> ToolSet:
    tasks = TaskService(sql, timezone, lambda: None)
    return ToolSet(tasks, ReminderService(sql, tasks, lambda: None), timezone)


def tools_on(url: str, timezone: str) -> ToolSet:
    """The tools on the migrated database at `url`, where the users OWNER and STRANGER are
    made (act for OWNER with `for_owner(OWNER)`)."""
    sql = EngineSql(create_engine(url))
    with sql.engine.begin() as connection:
        connection.execute(users(OWNER, STRANGER))
    return toolset_on(sql, timezone)


class GeminiKey:
    """The Secrets port holding only a Gemini key, or nothing."""

    def __init__(self, key: str | None) -> None:
        self._key = key

    async def get(self, name: str) -> str | None:
        return self._key if name == API_KEY_SECRET else None


def chat_on(
    url: str,
    tools: ToolSet,
    timezone: str,
    clock: Callable[[], datetime],
    gemini: GeminiSettings | None = None,
) -> ChatService:
    """The chat service as the app builds it; Gemini answers when `gemini` is given."""
    agent = GeminiAgent(tools, gemini or GeminiSettings(), timezone, clock)
    return ChatService(
        ConversationStore(SqlKeyValue(EngineSql(create_engine(url))), HistoryLimits()),
        OfflineAssistant(timezone, clock),
        lambda: agent,
        GeminiKey("test-key" if gemini else None),
        ConfirmationGuard(tools, clock),
    )
