"""The app process: the runtime of the app's role, plus what only the app serves (the chat
and its tools over MCP) to the API and the UI."""

from dataclasses import dataclass

from app.bootstrap import Runtime, bootstrap
from app.chat.conversation import ConversationStore, HistoryLimits
from app.chat.gemini import GeminiAgent, GeminiSettings
from app.chat.mcp_server import McpEndpoint
from app.chat.offline.assistant import OfflineAssistant
from app.chat.service import ChatService
from app.chat.tools import ToolSet
from app.config import Settings
from app.ports import utc_now


@dataclass(frozen=True)
class WebApp:
    runtime: Runtime
    tools: ToolSet
    chat: ChatService
    mcp: McpEndpoint


def web_app(settings: Settings) -> WebApp:
    runtime = bootstrap(settings, "app")
    tools = ToolSet(runtime.tasks, runtime.reminders, settings.timezone)
    gemini = GeminiSettings.from_env()
    chat = ChatService(
        ConversationStore(
            runtime.kv, HistoryLimits(settings.chat_history_turns, settings.chat_history_chars)
        ),
        tools,
        lambda owned: OfflineAssistant(owned, settings.timezone, utc_now),
        lambda owned: GeminiAgent(owned, gemini, settings.timezone, utc_now),
        runtime.secrets,
    )
    return WebApp(runtime, tools, chat, McpEndpoint(tools))


_current: WebApp | None = None


def current_app() -> WebApp:
    """The process's app, built from the environment on first use (the Reflex app and its UI
    state share it)."""
    global _current
    if _current is None:
        _current = web_app(Settings.from_env())
    return _current
