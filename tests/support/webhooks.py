"""A real HTTP receiver of webhooks on loopback: it checks each request's signature on its own
(HMAC-SHA256 of "<timestamp>.<body>" with the secret it was given) and answers as told."""

import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.servers import http_server


@dataclass(frozen=True)
class Received:
    path: str
    timestamp: str
    signature: str
    body: dict[str, Any]
    # The signature matched the body with the path's secret.
    verified: bool
    # The Host header: the name in the channel's URL.
    host: str
    # When it arrived.
    at: datetime
    # The sender's address and port: one per connection.
    peer: tuple[str, int]


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        # Each path's signing secret (as the channel's create answer gave it).
        self.secrets: dict[str, str] = {}
        # Status codes to answer a path with, one per request, before answering 204.
        self.answers: dict[str, list[int]] = {}
        # Seconds to wait before answering a path, as a server too busy to answer would.
        self.stalls: dict[str, float] = {}
        # Where a path redirects to (answered 307 with that Location).
        self.redirects: dict[str, str] = {}
        self.base_url = ""
        self._arrived = threading.Condition()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def record(self, path: str, headers: Any, raw: bytes, peer: tuple[str, int]) -> int:
        timestamp = headers.get("X-TaskFlow-Timestamp", "")
        signature = headers.get("X-TaskFlow-Signature", "")
        secret = self.secrets.get(path)
        expected = (
            "sha256="
            + hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
            if secret
            else None
        )
        verified = (
            expected is not None
            and timestamp.isdigit()
            and hmac.compare_digest(expected, signature)
        )
        with self._arrived:
            self.received.append(
                Received(
                    path,
                    timestamp,
                    signature,
                    json.loads(raw),
                    verified,
                    headers.get("Host", ""),
                    datetime.now(UTC),
                    peer,
                )
            )
            self._arrived.notify_all()
        time.sleep(self.stalls.get(path, 0))
        planned = self.answers.get(path)
        return planned.pop(0) if planned else 204

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.received)} of {count} webhooks within {timeout} s"
                self._arrived.wait(left)
            return list(self.received)


@contextlib.contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        # Connections kept open for the next request, as real servers do.
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.record(self.path, self.headers, raw, self.client_address)
            moved = receiver.redirects.get(self.path)
            self.send_response(307 if moved else status)
            if moved:
                self.send_header("Location", moved)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler) as base_url:
        receiver.base_url = base_url
        yield receiver
