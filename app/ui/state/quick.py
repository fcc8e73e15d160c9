"""Quick add: one line read by the chat's offline parser ("pay rent tomorrow 9am #home")."""

from datetime import datetime
from zoneinfo import ZoneInfo

from app.chat.offline.commands import parse
from app.chat.offline.intents import Intent
from app.chat.tools import ToolResult
from app.web import current_app


async def add_from_line(owner: int, line: str) -> ToolResult:
    """Add the owner's task `line` describes; a line the parser cannot read becomes the
    title."""
    web_app = current_app()
    zone = web_app.runtime.settings.timezone
    parsed = parse(f"add {line}", datetime.now(ZoneInfo(zone)), zone)
    arguments = {"title": line}
    if isinstance(parsed, Intent) and parsed.tool == "add_task":
        arguments = parsed.arguments
    return await web_app.tools.for_owner(owner).call("add_task", arguments)
