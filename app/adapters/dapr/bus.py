"""Publishing through the sidecar's pub/sub component (Kafka)."""

import json

from dapr.clients.exceptions import DaprGrpcError

from app.adapters.dapr.sidecar import Sidecar
from app.ports import BusUnavailable, Message


class SidecarBus:
    def __init__(self, sidecar: Sidecar, pubsub: str = "pubsub") -> None:
        self._sidecar = sidecar
        self._pubsub = pubsub

    async def publish(self, topic: str, message: Message, key: str | None = None) -> None:
        try:
            await self._sidecar.client.publish_event(
                pubsub_name=self._pubsub,
                topic_name=topic,
                data=json.dumps(message),
                data_content_type="application/json",
                # Kafka keeps the order of the events of one partition, and so of one key.
                publish_metadata={"partitionKey": key} if key is not None else {},
            )
        except DaprGrpcError as error:
            raise BusUnavailable(f"publishing to {topic} failed: {error.details()}") from error
