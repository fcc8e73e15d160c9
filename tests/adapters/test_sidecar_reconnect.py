"""The channel to the Dapr sidecar for bindings and publishes: a sidecar that was gone is
tried again soon, so calls get through again within about a second of its return."""

import asyncio
import contextlib
import itertools
import time

import grpc
import pytest
from dapr.conf import settings

from app.adapters.dapr.sidecar import RuntimeCalls

# Long enough for gRPC's default spacing to reach 3.3 s or more (1, 1.6, 2.56, 4.1 s, ±20 %).
WATCHED_SECONDS = 10.0


async def test_a_sidecar_that_is_gone_is_tried_again_at_least_every_second_or_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each call made while the sidecar refuses fails at once; between them the channel must
    try to connect again, not wait ever longer."""
    attempts: list[float] = []

    async def refuse(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        attempts.append(time.monotonic())
        writer.close()

    listener = await asyncio.start_server(refuse, "127.0.0.1", 0)
    monkeypatch.setattr(settings, "DAPR_RUNTIME_HOST", "127.0.0.1")
    monkeypatch.setattr(settings, "DAPR_GRPC_PORT", listener.sockets[0].getsockname()[1])
    calls = RuntimeCalls()
    started = time.monotonic()
    try:
        while time.monotonic() - started < WATCHED_SECONDS:
            with contextlib.suppress(grpc.aio.AioRpcError):
                await calls.invoke_binding("db", "query", {})
            await asyncio.sleep(0.25)
    finally:
        await calls.close()
        listener.close()
    ended = time.monotonic()
    stretches = [b - a for a, b in itertools.pairwise([started, *attempts, ended])]
    assert len(attempts) > 3, attempts
    assert max(stretches) < 2.5, [round(stretch, 1) for stretch in stretches]
