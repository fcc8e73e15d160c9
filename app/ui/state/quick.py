"""Quick add: one line read by the chat's offline parser ("pay rent tomorrow 9am #home")."""

from datetime import datetime
from zoneinfo import ZoneInfo

from app.chat.offline.commands import parse
from app.chat.offline.intents import Intent
from app.chat.tools import ToolResult, ToolSet
from app.runtime import current_runtime


async def add_from_line(line: str) -> ToolResult:
    """Add the task `line` describes; a line the parser cannot read becomes the title."""
    runtime = current_runtime()
    zone = runtime.settings.timezone
    parsed = parse(f"add {line}", datetime.now(ZoneInfo(zone)), zone)
    arguments = {"title": line}
    if isinstance(parsed, Intent) and parsed.tool == "add_task":
        arguments = parsed.arguments
    tools = ToolSet(runtime.tasks, runtime.reminders, zone)
    return await tools.call("add_task", arguments)
