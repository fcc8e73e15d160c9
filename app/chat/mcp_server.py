"""The chat tools as an MCP server over streamable HTTP, so other assistants manage TaskFlow.

Stateless JSON responses: any replica answers any request, no session to stick to. A tool call
acts for the user of the API token it carries (`Authorization: Bearer`).
"""

import json
from collections.abc import Awaitable, Callable
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
from starlette.requests import Request

from app.chat.confirmation import ConfirmationGuard, direct_parameters
from app.domain.users import Principal

INSTRUCTIONS = (
    "TaskFlow's tasks and reminders. Due dates are ISO 8601; without an offset they are read in "
    "the task's time zone. Find a task with list_tasks before changing it by id. Deleting several "
    "tasks at once needs confirm: true, given once the user has confirmed exactly those tasks."
)


# Who holds an API token, or None for an unknown, revoked or expired one.
TokenHolder = Callable[[str], Awaitable[Principal | None]]
SIGN_IN = "send an API token of yours as Authorization: Bearer <token>"


class McpEndpoint:
    def __init__(self, guard: ConfirmationGuard, token_holder: TokenHolder) -> None:
        self._guard = guard
        self._token_holder = token_holder
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
        self, context: ServerRequestContext[object], params: CallToolRequestParams
    ) -> CallToolResult:
        principal = await self._principal(context.request)
        if principal is None:
            return CallToolResult(content=[TextContent(text=SIGN_IN)], is_error=True)
        result = await self._guard.call_direct(principal.user.id, params.name, params.arguments)
        return CallToolResult(
            content=[TextContent(text=json.dumps(result.data))],
            structured_content=result.data,
            is_error=not result.ok,
        )

    async def _principal(self, request: object) -> Principal | None:
        """The holder of the request's Bearer token."""
        if not isinstance(request, Request):
            return None
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.isascii():
            return None
        return await self._token_holder(token.strip())
