"""Connecting to the Dapr sidecar: its HTTP health answers before its gRPC API listens (the
sidecar opens that once it has reached the app), so "connected" must wait for the latter, or
the first binding calls and publishes are refused."""

import asyncio
import contextlib
import itertools
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import grpc
import pytest
from dapr.conf import settings

from app.adapters.dapr.sidecar import RuntimeCalls, Sidecar
from tests.support.servers import free_port, http_server

# Long enough for gRPC's default spacing to reach 3.3 s or more (1, 1.6, 2.56, 4.1 s, ±20 %).
WATCHED_SECONDS = 10.0


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_answering(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A sidecar whose health answers; the port its gRPC API is to have."""
    with http_server(_Healthy) as health_url:
        grpc_port = free_port()
        monkeypatch.setattr(settings, "DAPR_RUNTIME_HOST", "127.0.0.1")
        monkeypatch.setattr(settings, "DAPR_HTTP_ENDPOINT", None)
        monkeypatch.setattr(settings, "DAPR_HTTP_PORT", urlsplit(health_url).port)
        monkeypatch.setattr(settings, "DAPR_GRPC_ENDPOINT", None)
        monkeypatch.setattr(settings, "DAPR_GRPC_PORT", grpc_port)
        yield grpc_port


async def test_connected_waits_for_the_grpc_api_not_only_the_health(
    health_answering: int,
) -> None:
    sidecar = Sidecar()
    await sidecar.open()
    connected = asyncio.ensure_future(sidecar.connected())
    grpc_api = grpc.aio.server()
    try:
        await asyncio.sleep(1.5)
        assert not connected.done(), "connected while the sidecar's gRPC port was closed"

        grpc_api.add_insecure_port(f"127.0.0.1:{health_answering}")
        await grpc_api.start()
        await asyncio.wait_for(connected, timeout=15)
        assert sidecar.calls is not None
    finally:
        connected.cancel()
        await sidecar.close()
        await grpc_api.stop(None)


async def test_a_sidecar_that_is_gone_is_tried_again_at_least_every_second_or_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """gRPC's default spaces its attempts ever wider (3.3 s or more by the fourth); each call
    made while the sidecar refuses must not keep the channel from trying again soon."""
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
