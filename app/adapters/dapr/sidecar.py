"""The Dapr client, connected in the background once the sidecar answers.

The sidecar waits for the app's port before it serves its own API, so the app must start
listening first: nothing here may hold up start-up.
"""

import asyncio
import logging

import grpc
from dapr.aio.clients import DaprClient
from dapr.clients.health import DaprHealth
from dapr.conf import settings
from dapr.proto.runtime.v1.binding_pb2 import InvokeBindingRequest, InvokeBindingResponse
from dapr.proto.runtime.v1.dapr_pb2_grpc import DaprStub
from dapr.proto.runtime.v1.pubsub_pb2 import (
    BulkPublishRequest,
    BulkPublishRequestEntry,
    BulkPublishResponse,
)

log = logging.getLogger(__name__)


# The SQL binding echoes each call's metadata, the statement's text, in its answer's: at
# gRPC's default limit on received metadata (8 KiB) the client refused the answer of a long
# statement the database had run.
ANSWER_METADATA_BYTES = 4 * 1024 * 1024
# gRPC spaces its attempts to reconnect ever wider, up to 2 minutes by default: after a
# sidecar was gone for 45 s, the first call got through 22 s after it was back.
RECONNECT_AT_MOST_MS = 1000


class SidecarNotReady(RuntimeError):
    pass


class RuntimeCalls:
    """Calls of the runtime's API the SDK does not make as needed (output bindings, bulk
    publishing), on a channel of their own that takes the binding's answers."""

    def __init__(self) -> None:
        self._channel = grpc.aio.insecure_channel(
            f"{settings.DAPR_RUNTIME_HOST}:{settings.DAPR_GRPC_PORT}",
            options=[
                ("grpc.max_metadata_size", ANSWER_METADATA_BYTES),
                ("grpc.max_reconnect_backoff_ms", RECONNECT_AT_MOST_MS),
            ],
        )
        self._stub = DaprStub(self._channel)

    async def invoke_binding(
        self, name: str, operation: str, binding_metadata: dict[str, str]
    ) -> InvokeBindingResponse:
        answer: InvokeBindingResponse = await self._stub.InvokeBinding(
            InvokeBindingRequest(name=name, operation=operation, metadata=binding_metadata),
            metadata=_token(),
            timeout=settings.DAPR_API_TIMEOUT_SECONDS,
        )
        return answer

    async def bulk_publish(
        self, pubsub: str, topic: str, entries: list[BulkPublishRequestEntry]
    ) -> BulkPublishResponse:
        """Publish `entries` to `topic` in one call (the runtime's alpha API, which Kafka
        serves natively): one answer for a hundred events instead of one each."""
        answer: BulkPublishResponse = await self._stub.BulkPublishEventAlpha1(
            BulkPublishRequest(pubsub_name=pubsub, topic=topic, entries=entries),
            metadata=_token(),
            timeout=settings.DAPR_API_TIMEOUT_SECONDS,
        )
        return answer

    async def close(self) -> None:
        await self._channel.close()


def _token() -> tuple[tuple[str, str], ...] | None:
    token = settings.DAPR_API_TOKEN
    return (("dapr-api-token", token),) if token else None


class Sidecar:
    def __init__(self) -> None:
        self._client: DaprClient | None = None
        self._calls: RuntimeCalls | None = None
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
        self._calls = RuntimeCalls()

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
        if self._calls is not None:
            await self._calls.close()
            self._calls = None

    @property
    def client(self) -> DaprClient:
        if self._client is None:
            raise SidecarNotReady("the Dapr sidecar is not connected yet")
        return self._client

    @property
    def calls(self) -> RuntimeCalls:
        if self._calls is None:
            raise SidecarNotReady("the Dapr sidecar is not connected yet")
        return self._calls

    @property
    def http_url(self) -> str:
        """The sidecar's HTTP API, for what the SDK cannot do against this runtime."""
        return f"http://{settings.DAPR_RUNTIME_HOST}:{settings.DAPR_HTTP_PORT}"

    @property
    def http_headers(self) -> dict[str, str]:
        token = settings.DAPR_API_TOKEN
        return {"dapr-api-token": token} if token else {}
