"""/mcp, its server made at the first request: the MCP SDK costs a process some 0.7 s of CPU
at start-up, and most processes (a worker, a test's app) never answer an MCP client."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from app.chat.mcp_server import McpEndpoint


class McpOnFirstRequest:
    """An ASGI app (a plain object: Starlette would take a function for a request handler)."""

    def __init__(self, build: Callable[[], "McpEndpoint"]) -> None:
        self._build = build
        self._serving: asyncio.Task[None] | None = None
        self._endpoint: asyncio.Future[McpEndpoint] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._endpoint is None:
            self._endpoint = asyncio.get_running_loop().create_future()
            self._serving = asyncio.create_task(self._serve(self._endpoint))
        endpoint = await asyncio.shield(self._endpoint)
        await endpoint.asgi(scope, receive, send)

    async def _serve(self, ready: "asyncio.Future[McpEndpoint]") -> None:
        """Build the endpoint (the SDK imported off the event loop) and run its session
        manager, which requests start their work in, until `running` ends."""
        try:
            endpoint = await asyncio.to_thread(self._build)
        except Exception as error:
            ready.set_exception(error)
            return
        async with endpoint.running():
            ready.set_result(endpoint)
            await asyncio.Event().wait()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve requests while inside; the session manager, once started, stops on leaving."""
        try:
            yield
        finally:
            if self._serving is not None:
                self._serving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._serving
