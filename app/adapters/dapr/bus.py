"""Publishing through the sidecar's pub/sub component (Kafka)."""

import json
from collections.abc import Sequence

import grpc
from dapr.proto.runtime.v1.pubsub_pb2 import BulkPublishRequestEntry

from app.adapters.dapr.sidecar import Sidecar
from app.ports import BusUnavailable, Message


class SidecarBus:
    def __init__(self, sidecar: Sidecar, pubsub: str = "pubsub") -> None:
        self._sidecar = sidecar
        self._pubsub = pubsub

    async def publish(self, topic: str, message: Message, key: str | None = None) -> None:
        [refused] = await self.publish_all(topic, [(message, key)])
        if refused is not None:
            raise BusUnavailable(f"publishing to {topic} failed: {refused}")

    async def publish_all(
        self, topic: str, messages: Sequence[tuple[Message, str | None]]
    ) -> list[str | None]:
        entries = [
            BulkPublishRequestEntry(
                entry_id=str(number),
                event=json.dumps(message).encode(),
                content_type="application/json",
                # Kafka keeps the order of the events of one partition, and so of one key.
                metadata={"partitionKey": key} if key is not None else {},
            )
            for number, (message, key) in enumerate(messages)
        ]
        try:
            answer = await self._sidecar.calls.bulk_publish(self._pubsub, topic, entries)
        except grpc.RpcError as error:
            raise BusUnavailable(f"publishing to {topic} failed: {error.details()}") from error
        refused = {int(entry.entry_id): entry.error or "refused" for entry in answer.failedEntries}
        return [refused.get(number) for number in range(len(entries))]
