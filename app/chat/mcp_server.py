"""The chat tools as an MCP server over streamable HTTP, so other assistants manage TaskFlow.

Stateless JSON responses: any replica answers any request, no session to stick to.
"""

import json
from contextlib import AbstractAsyncContextManager

from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp_types import (
    CallToolRequestParams,
    CallToolResult,
    ListToolsResult,
    PaginatedRequestParams,
    TextContent,
    Tool,
)

from app.chat.confirmation import ConfirmationGuard, direct_parameters

INSTRUCTIONS = (
    "TaskFlow's tasks and reminders. Due dates are ISO 8601; without an offset they are read in "
    "the task's time zone. Find a task with list_tasks before changing it by id. Deleting several "
    "tasks at once needs confirm: true, given once the user has confirmed exactly those tasks."
)


class McpEndpoint:
    def __init__(self, guard: ConfirmationGuard) -> None:
        self._guard = guard
        server: Server[object] = Server(
            "taskflow",
            instructions=INSTRUCTIONS,
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
        )
        self._sessions = StreamableHTTPSessionManager(server, json_response=True, stateless=True)
        self.asgi = StreamableHTTPASGIApp(self._sessions)

    def running(self) -> AbstractAsyncContextManager[None]:
        """Serve requests while inside; it can be entered once only."""
        return self._sessions.run()

    async def _list_tools(
        self, _: ServerRequestContext[object], __: PaginatedRequestParams | None
    ) -> ListToolsResult:
        return ListToolsResult(
            tools=[
                Tool(
                    name=tool.name,
                    description=tool.description,
                    input_schema=direct_parameters(tool),
                )
                for tool in self._guard.tools.tools.values()
            ]
        )

    async def _call_tool(
        self, _: ServerRequestContext[object], params: CallToolRequestParams
    ) -> CallToolResult:
        result = await self._guard.call_direct(params.name, params.arguments)
        return CallToolResult(
            content=[TextContent(text=json.dumps(result.data))],
            structured_content=result.data,
            is_error=not result.ok,
        )
