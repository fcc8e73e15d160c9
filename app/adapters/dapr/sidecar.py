"""The Dapr client, opened once the sidecar answers (the SDK's constructor waits for it)."""

import asyncio

from dapr.aio.clients import DaprClient
from dapr.clients.health import DaprHealth


class Sidecar:
    def __init__(self) -> None:
        self._client: DaprClient | None = None

    async def open(self) -> None:
        await asyncio.to_thread(DaprHealth.wait_for_sidecar)
        self._client = DaprClient()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    @property
    def client(self) -> DaprClient:
        if self._client is None:
            raise RuntimeError("the Dapr sidecar client is used before it was opened")
        return self._client
