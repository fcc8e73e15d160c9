"""A local HTTP server that answers like Gemini's REST API (`models/{model}:generateContent`),
with the replies a test scripts, recording every request it gets."""

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.servers import free_port

Json = dict[str, Any]


@dataclass(frozen=True)
class Reply:
    body: Json
    status: int = 200
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Json = field(default_factory=dict)


def _candidate(*parts: Json) -> Json:
    return {
        "candidates": [
            {"content": {"role": "model", "parts": list(parts)}, "finishReason": "STOP", "index": 0}
        ],
        "modelVersion": "gemini-test",
    }


def function_call(name: str, args: Json, call_id: str = "call-1") -> Reply:
    return function_calls((name, args, call_id))


def function_calls(*calls: tuple[str, Json, str]) -> Reply:
    """One model turn calling several tools at once: (name, args, call id) each."""
    return Reply(
        _candidate(
            *(
                {"functionCall": {"id": ident, "name": name, "args": args}}
                for name, args, ident in calls
            )
        )
    )


def text(words: str, delay: float = 0.0) -> Reply:
    return Reply(_candidate({"text": words}), delay=delay)


def failure(status: int, reason: str) -> Reply:
    return Reply({"error": {"code": status, "message": reason, "status": reason}}, status=status)


class FakeGemini:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._replies: deque[Reply] = deque()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        app = Starlette(
            routes=[Route("/{version}/models/{call}", self._generate, methods=["POST"])]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def answer(self, *replies: Reply) -> None:
        """Answer the next requests with `replies`, in order; forget earlier requests."""
        self.requests.clear()
        self._replies = deque(replies)

    async def _generate(self, request: Request) -> JSONResponse:
        self.requests.append(
            Received(request.url.path, dict(request.headers), await request.json())
        )
        reply = self._replies.popleft() if self._replies else failure(500, "NOTHING_SCRIPTED")
        await asyncio.sleep(reply.delay)
        return JSONResponse(reply.body, status_code=reply.status)

    def __enter__(self) -> "FakeGemini":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("the fake Gemini server did not start")
            time.sleep(0.02)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(10)
