"""The Dapr client, connected in the background once the sidecar answers.

The sidecar waits for the app's port before it serves its own API, so the app must start
listening first: nothing here may hold up start-up.
"""

import asyncio
import logging

from dapr.aio.clients import DaprClient
from dapr.clients.health import DaprHealth
from dapr.conf import settings

log = logging.getLogger(__name__)


class SidecarNotReady(RuntimeError):
    pass


class Sidecar:
    def __init__(self) -> None:
        self._client: DaprClient | None = None
        self._connecting: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self._connecting = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        while True:
            try:
                # The SDK's own wait blocks its thread; keep it off the event loop.
                await asyncio.to_thread(DaprHealth.wait_for_sidecar)
                break
            except TimeoutError:
                log.warning("the Dapr sidecar is not answering yet")
        self._client = DaprClient()

    async def connected(self) -> None:
        """Return once the client is connected."""
        if self._connecting is not None:
            await asyncio.shield(self._connecting)

    async def close(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
        if self._client is not None:
            await self._client.close()
            self._client = None

    @property
    def client(self) -> DaprClient:
        if self._client is None:
            raise SidecarNotReady("the Dapr sidecar is not connected yet")
        return self._client

    @property
    def http_url(self) -> str:
        """The sidecar's HTTP API, for what the SDK cannot do against this runtime."""
        return f"http://{settings.DAPR_RUNTIME_HOST}:{settings.DAPR_HTTP_PORT}"

    @property
    def http_headers(self) -> dict[str, str]:
        token = settings.DAPR_API_TOKEN
        return {"dapr-api-token": token} if token else {}
