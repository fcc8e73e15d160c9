"""Connecting to the Dapr sidecar: its HTTP health answers before its gRPC API listens (the
sidecar opens that once it has reached the app), so "connected" must wait for the latter, or
the first binding calls and publishes are refused."""

import asyncio
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import grpc
import pytest
from dapr.conf import settings

from app.adapters.dapr.sidecar import Sidecar
from tests.support.servers import free_port, http_server


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
