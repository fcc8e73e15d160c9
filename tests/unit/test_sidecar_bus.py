"""Publishing through the Dapr sidecar: the task id travels as Kafka's partition key."""

import json
from typing import Any

from app.adapters.dapr.bus import SidecarBus
from app.adapters.dapr.sidecar import Sidecar
from app.domain.events import TASK_EVENTS
from tests.support.events import a_message


class RecordingClient:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def publish_event(self, **arguments: Any) -> None:
        self.calls.append(arguments)


async def test_the_partition_key_goes_in_the_publish_metadata() -> None:
    sidecar = Sidecar()
    client = RecordingClient()
    sidecar._client = client  # type: ignore[assignment]
    event = a_message("task.completed", task_id=42)

    await SidecarBus(sidecar).publish(TASK_EVENTS, event, "42")
    await SidecarBus(sidecar).publish(TASK_EVENTS, event)

    keyed, unkeyed = client.calls
    assert keyed["publish_metadata"] == {"partitionKey": "42"}
    assert unkeyed["publish_metadata"] == {}
    assert (keyed["pubsub_name"], keyed["topic_name"]) == ("pubsub", TASK_EVENTS)
    assert json.loads(keyed["data"]) == event
