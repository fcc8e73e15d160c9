"""The chat tools as an MCP server over streamable HTTP, so other assistants manage TaskFlow.

Stateless JSON responses: any replica answers any request, no session to stick to. It is a
resource server only, through the MCP SDK's own auth support: every request needs an API token
(`Authorization: Bearer tf_...`, made in the settings or with POST /api/tokens), the SDK's
bearer middleware answers 401 without a valid one, and the tools act as the token's user. A
read token reads; the tools that change anything need the write scope. The SDK's transport
security refuses hosts and origins other than the app's own (DNS rebinding).
"""

import json
from contextlib import AbstractAsyncContextManager

from mcp.server import Server
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware, get_access_token
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.provider import AccessToken
from mcp.server.context import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import (
    CallToolRequestParams,
    CallToolResult,
    ListToolsResult,
    PaginatedRequestParams,
    TextContent,
    Tool,
    ToolAnnotations,
)
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.types import ASGIApp

from app.api.security import allowed_origins
from app.chat.confirmation import ConfirmationGuard, direct_parameters
from app.chat.tools import ToolResult
from app.config import Settings
from app.domain.users import Scope
from app.services.accounts import AccountService

INSTRUCTIONS = (
    "TaskFlow's tasks and reminders. Due dates are ISO 8601; without an offset they are read in "
    "the task's time zone. Find a task with list_tasks before changing it by id. Deleting several "
    "tasks at once needs confirm: true, given once the user has confirmed exactly those tasks."
)
# The tools a read token may call: they change nothing. Any other tool needs the write scope.
READ_ONLY_TOOLS = frozenset({"list_tasks", "get_task", "list_reminders"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class UserAccess(AccessToken):
    """An API token as the SDK's auth context holds it, with the user it acts for."""

    user_id: int

    @property
    def can_write(self) -> bool:
        return Scope.WRITE in self.scopes


class ApiTokens:
    """The SDK's TokenVerifier over TaskFlow's API tokens: an unknown, revoked or expired token
    verifies as nothing (the account service decides expiry, on its clock)."""

    def __init__(self, accounts: AccountService) -> None:
        self._accounts = accounts

    async def verify_token(self, token: str) -> AccessToken | None:
        principal = await self._accounts.token_principal(token)
        if principal is None:
            return None
        user = principal.user
        return UserAccess(
            token=token,
            client_id=f"taskflow-user-{user.id}",
            scopes=sorted(scope.value for scope in principal.scopes),
            subject=str(user.id),
            user_id=user.id,
        )


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """The hosts /mcp answers (its loopback names on the app's port, or on the default port
    of a proxy in front, and the names it is configured to be reached by) and the origins it
    accepts (the app's own on those hosts, and the origins allowed to call the API)."""
    loopback = [*LOOPBACK_NAMES, *(f"{name}:{settings.port}" for name in LOOPBACK_NAMES)]
    hosts = loopback + list(settings.allowed_hosts)
    own = [f"{scheme}://{host}" for host in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=own + sorted(allowed_origins(settings.allowed_origins)),
    )


class McpEndpoint:
    def __init__(
        self,
        guard: ConfirmationGuard,
        accounts: AccountService,
        security: TransportSecuritySettings,
    ) -> None:
        self._guard = guard
        server: Server[object] = Server(
            "taskflow",
            instructions=INSTRUCTIONS,
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
        )
        self._sessions = StreamableHTTPSessionManager(
            server, json_response=True, stateless=True, security_settings=security
        )
        signed_in = RequireAuthMiddleware(StreamableHTTPASGIApp(self._sessions), [Scope.READ.value])
        self.asgi: ASGIApp = AuthenticationMiddleware(
            AuthContextMiddleware(signed_in), backend=BearerAuthBackend(ApiTokens(accounts))
        )

    def running(self) -> AbstractAsyncContextManager[None]:
        """Serve requests while inside; it can be entered once only."""
        return self._sessions.run()

    async def _list_tools(
        self, _: ServerRequestContext[object], __: PaginatedRequestParams | None
    ) -> ListToolsResult:
        """The tools the caller's token may call."""
        caller = _caller()
        return ListToolsResult(
            tools=[
                Tool(
                    name=tool.name,
                    description=tool.description,
                    input_schema=direct_parameters(tool),
                    annotations=ToolAnnotations(read_only_hint=tool.name in READ_ONLY_TOOLS),
                )
                for tool in self._guard.tools.tools.values()
                if caller.can_write or tool.name in READ_ONLY_TOOLS
            ]
        )

    async def _call_tool(
        self, _: ServerRequestContext[object], params: CallToolRequestParams
    ) -> CallToolResult:
        caller = _caller()
        if params.name in READ_ONLY_TOOLS or caller.can_write:
            result = await self._guard.call_direct(caller.user_id, params.name, params.arguments)
        else:
            refusal = f"this token may only read: {params.name} needs the write scope"
            result = ToolResult({"error": refusal}, ok=False)
        return CallToolResult(
            content=[TextContent(text=json.dumps(result.data))],
            structured_content=result.data,
            is_error=not result.ok,
        )


def _caller() -> UserAccess:
    """The token of the request being answered (RequireAuthMiddleware let none in without)."""
    access = get_access_token()
    if not isinstance(access, UserAccess):
        raise RuntimeError("an MCP request reached its handler without an API token")
    return access
