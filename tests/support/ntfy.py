"""An ntfy server on loopback, for what it takes and what its subscribers read: JSON publishing
(`POST /` with `{topic, title, message, priority, tags, actions, ...}`), access tokens on the
topics given one, and polling a topic (`GET /<topic>/json?poll=1`, one JSON message a line), as
ntfy's own server answers them. The real server cannot be built here (its Go module is not
served), so this one checks each request against ntfy's rules and refuses as ntfy does."""

import contextlib
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.servers import http_server

TOPIC = re.compile(r"[-_A-Za-z0-9]{1,64}")
ACTIONS = {"view", "broadcast", "http"}
MAX_ACTIONS = 3
PUBLISH_FIELDS = {
    "topic", "title", "message", "priority", "tags", "click", "icon", "actions", "attach",
    "filename", "email", "delay", "markdown", "call",
}  # fmt: skip


class Refused(Exception):
    def __init__(self, status: int, code: int, error: str) -> None:
        super().__init__(error)
        self.status, self.code, self.error = status, code, error


def _checked_action(action: Any) -> dict[str, Any]:
    if not isinstance(action, dict) or action.get("action") not in ACTIONS:
        raise Refused(400, 40018, "invalid request: action invalid")
    if not isinstance(action.get("label"), str) or not action["label"]:
        raise Refused(400, 40018, "invalid request: action label required")
    if action["action"] in ("view", "http") and not action.get("url"):
        raise Refused(400, 40018, "invalid request: action url required")
    method = action.get("method") or ("POST" if action["action"] == "http" else "")
    return {"id": secrets.token_hex(5), "clear": False, **action, "method": method}


class NtfyServer:
    def __init__(self) -> None:
        # Topics that need a token, and the token each needs.
        self.tokens: dict[str, str] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        # When each of a topic's messages was published (ntfy's own `time` is in whole seconds).
        self.published_at: dict[str, list[datetime]] = {}
        self.base_url = ""
        self._lock = threading.Lock()

    def topic_url(self, topic: str) -> str:
        return f"{self.base_url}/{topic}"

    def publish(self, authorization: str, raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw)
        except ValueError:
            raise Refused(
                400, 40017, "invalid request: request body must be message JSON"
            ) from None
        if not isinstance(body, dict) or set(body) - PUBLISH_FIELDS:
            raise Refused(400, 40017, "invalid request: request body must be message JSON")
        topic = body.get("topic")
        if not isinstance(topic, str) or not TOPIC.fullmatch(topic):
            raise Refused(400, 40009, "invalid request: topic invalid")
        needed = self.tokens.get(topic)
        if needed is not None and authorization != f"Bearer {needed}":
            raise Refused(401 if authorization else 403, 40101, "unauthorized")
        priority = body.get("priority", 0)
        if not isinstance(priority, int) or not 0 <= priority <= 5:
            raise Refused(400, 40007, "invalid request: priority invalid")
        actions = body.get("actions") or []
        if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
            raise Refused(400, 40018, "invalid request: too many actions")
        now = int(time.time())
        message = {
            "id": secrets.token_hex(6),
            "time": now,
            "expires": now + 12 * 3600,
            "event": "message",
            "topic": topic,
            "title": body.get("title", ""),
            "message": body.get("message") or "triggered",
            "priority": priority or 3,
            "tags": body.get("tags") or [],
            "actions": [_checked_action(action) for action in actions],
        }
        with self._lock:
            self.messages.setdefault(topic, []).append(message)
            self.published_at.setdefault(topic, []).append(datetime.now(UTC))
        return message

    def poll(self, topic: str) -> list[dict[str, Any]]:
        """What a subscriber of `topic` reads now."""
        with self._lock:
            return list(self.messages.get(topic, []))

    def timed(self, topic: str) -> list[tuple[dict[str, Any], datetime]]:
        """What a subscriber of `topic` reads now, each with when it was published."""
        with self._lock:
            return list(
                zip(self.messages.get(topic, []), self.published_at.get(topic, []), strict=True)
            )


@contextlib.contextmanager
def ntfy_server() -> Iterator[NtfyServer]:
    server_state = NtfyServer()

    class Handler(BaseHTTPRequestHandler):
        # Connections kept open for the next request, as real servers do.
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != "/":
                self._answer(404, b'{"code":40401,"http":404,"error":"page not found"}')
                return
            try:
                message = server_state.publish(self.headers.get("Authorization", ""), raw)
            except Refused as refused:
                error = {"code": refused.code, "http": refused.status, "error": refused.error}
                self._answer(refused.status, json.dumps(error).encode())
                return
            self._answer(200, json.dumps(message).encode())

        do_PUT = do_POST

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            topic, _, kind = path.strip("/").partition("/")
            if kind != "json" or "poll=1" not in query.split("&"):
                self._answer(404, b'{"code":40401,"http":404,"error":"page not found"}')
                return
            lines = "".join(json.dumps(m) + "\n" for m in server_state.poll(topic))
            self._answer(200, lines.encode(), "application/x-ndjson; charset=utf-8")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler) as base_url:
        server_state.base_url = base_url
        yield server_state
