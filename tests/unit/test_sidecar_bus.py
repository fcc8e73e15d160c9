"""Publishing through the Dapr sidecar: the task id travels as Kafka's partition key, a batch
goes in one call, and what the sidecar refuses is told apart from what it took."""

import json
from typing import Any

import grpc
import pytest
from dapr.proto.runtime.v1.pubsub_pb2 import (
    BulkPublishRequestEntry,
    BulkPublishResponse,
    BulkPublishResponseFailedEntry,
)

from app.adapters.dapr.bus import SidecarBus
from app.adapters.dapr.sidecar import Sidecar
from app.domain.events import TASK_EVENTS
from app.ports import BusUnavailable
from tests.support.events import a_message


class RecordingCalls:
    """The sidecar's runtime calls, answering with `refuse` (entry number -> error)."""

    def __init__(self, refuse: dict[int, str] | None = None, down: bool = False) -> None:
        self.refuse = refuse or {}
        self.down = down
        self.calls: list[tuple[str, str, list[BulkPublishRequestEntry]]] = []

    async def bulk_publish(
        self, pubsub: str, topic: str, entries: list[BulkPublishRequestEntry]
    ) -> BulkPublishResponse:
        if self.down:
            raise grpc.aio.AioRpcError(
                grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "no broker"
            )
        self.calls.append((pubsub, topic, entries))
        return BulkPublishResponse(
            failedEntries=[
                BulkPublishResponseFailedEntry(entry_id=str(n), error=error)
                for n, error in self.refuse.items()
            ]
        )


def a_bus(calls: RecordingCalls) -> SidecarBus:
    sidecar = Sidecar()
    sidecar._calls = calls  # type: ignore[assignment]
    return SidecarBus(sidecar)


async def test_the_partition_key_goes_in_each_entrys_metadata_in_one_call() -> None:
    calls = RecordingCalls()
    keyed, unkeyed = a_message("task.completed", task_id=42), a_message("task.deleted")

    refused = await a_bus(calls).publish_all(TASK_EVENTS, [(keyed, "42"), (unkeyed, None)])

    assert refused == [None, None]
    [(pubsub, topic, entries)] = calls.calls
    assert (pubsub, topic) == ("pubsub", TASK_EVENTS)
    assert [dict(entry.metadata) for entry in entries] == [{"partitionKey": "42"}, {}]
    assert [json.loads(entry.event) for entry in entries] == [keyed, unkeyed]
    assert {entry.content_type for entry in entries} == {"application/json"}


async def test_entries_the_sidecar_refuses_are_told_apart() -> None:
    messages: list[tuple[Any, str | None]] = [(a_message("task.updated"), str(n)) for n in range(3)]

    refused = await a_bus(RecordingCalls(refuse={1: "partition leader gone"})).publish_all(
        TASK_EVENTS, messages
    )

    assert refused == [None, "partition leader gone", None]


async def test_an_unreachable_sidecar_refuses_the_publish() -> None:
    bus = a_bus(RecordingCalls(down=True))
    with pytest.raises(BusUnavailable, match="no broker"):
        await bus.publish_all(TASK_EVENTS, [(a_message("task.updated"), "1")])
    with pytest.raises(BusUnavailable, match="refused by the broker"):
        await a_bus(RecordingCalls(refuse={0: "refused by the broker"})).publish(
            TASK_EVENTS, a_message("task.updated"), "1"
        )
