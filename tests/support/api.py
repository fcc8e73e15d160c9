"""The API in the test's own process: the one place the tests start the app, and clients of it
over ASGI (no socket, no server process)."""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import anyio
import httpx
import httpx2
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from argon2 import PasswordHasher
from fastapi import FastAPI
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from app.api.main import served_api
from app.config import Settings
from app.ports import Clock, utc_now
from app.web import web_app
from tests.support.accounts import ADMIN_ENV, Credentials, bearer, log_in, make_token, make_user

BASE_URL = "http://testserver"
REQUEST_TIMEOUT_SECONDS = 20
T = TypeVar("T")


# Argon2id at its lowest cost: the tests sign in often, and the cost is not what they test.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def start_app(settings: Settings, clock: Clock = utc_now) -> FastAPI:
    """The API over the app's runtime, wired as the app wires it (but for a cheap hash)."""
    return served_api(web_app(settings, clock, FAST_HASHER))


class AppClient(httpx.Client):
    """An httpx client that the app answers in this process, in the event loop its runtime
    runs in (`portal`); an error the app does not handle answers 500, as under uvicorn."""

    def __init__(self, app: FastAPI, portal: BlockingPortal) -> None:
        super().__init__(transport=_InAppTransport(app, portal), base_url=BASE_URL)
        self.app = app
        self.portal = portal

    def run(self, scenario: Callable[[], Awaitable[T]]) -> T:
        """Run the coroutine function `scenario` in the app's event loop; its result."""
        return self.portal.call(scenario)

    def signed_out(self) -> "AppClient":
        """Another client of the same app, without credentials (close it after use)."""
        return AppClient(self.app, self.portal)


@dataclass(frozen=True)
class Person:
    client: AppClient
    id: int
    credentials: Credentials


def sign_in(admin: AppClient, name: str) -> Person:
    """A new user made by the admin, and a client of theirs holding a read-write token (close
    it after use)."""
    credentials = make_user(admin, name)
    client = admin.signed_out()
    signed_in = log_in(client, credentials)
    assert signed_in.status_code == 200, signed_in.text
    token = make_token(client)
    client.cookies.clear()
    client.headers.update(bearer(token))
    return Person(client, int(signed_in.json()["user"]["id"]), credentials)


class _InAppTransport(httpx.BaseTransport):
    def __init__(self, app: FastAPI, portal: BlockingPortal) -> None:
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # The ASGI transport reads the body asynchronously: hand it over as bytes.
        buffered = httpx.Request(
            request.method, request.url, headers=request.headers, content=request.read()
        )
        return self._portal.call(self._send, buffered)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        with anyio.fail_after(REQUEST_TIMEOUT_SECONDS):
            response = await self._asgi.handle_async_request(request)
            content = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )


@contextlib.contextmanager
def api_client(
    database_url: str, clock: Clock = utc_now, *, signed_in: bool = True, **env: str
) -> Iterator[AppClient]:
    """A client of the API on `database_url`, its runtime running (outbox relay, reconciliation,
    reminder timers, MCP sessions) for as long as the client is open, signed in as the test
    admin (tests.support.accounts) with a read-write API token.

    Settings come from the environment as a served API's would (`env` added to it, the
    database URL set, the test admin's name and password, and no Gemini key unless `env`
    gives one, so the offline assistant answers); the environment stays so while the client
    is open, as the chat reads its key when it answers. `clock` is the accounts' now.
    Without `signed_in`, no admin is made and the client has no credentials (a first run)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ADMIN_ENV:
            patch.delenv(name, raising=False)
        for name, value in {
            "TASKFLOW_DATABASE_URL": database_url,
            "GEMINI_API_KEY": "",
            # The name the clients reach the app by (BASE_URL), for /mcp's transport security.
            "TASKFLOW_ALLOWED_HOSTS": "testserver",
            **(ADMIN_ENV if signed_in else {}),
            **env,
        }.items():
            patch.setenv(name, value)
        app = start_app(Settings.from_env(), clock)
        with (
            start_blocking_portal() as portal,
            portal.wrap_async_context_manager(app.router.lifespan_context(app)),
            AppClient(app, portal) as client,
        ):
            if signed_in:
                with client.signed_out() as admin:
                    session = log_in(admin)
                    assert session.status_code == 200, session.text
                    client.headers.update(bearer(make_token(admin)))
            yield client


@contextlib.asynccontextmanager
async def mcp_client(api: AppClient, token: str | None = None) -> AsyncIterator[Client]:
    """An MCP client of the API's /mcp endpoint, with the API token `token` (by default the
    one `api` sends). Enter it in the app's event loop, where its session manager runs: inside
    a coroutine given to `api.run`."""
    transport = httpx2.ASGITransport(app=api.app)
    credentials = bearer(token) if token else {"Authorization": api.headers["Authorization"]}
    async with (
        httpx2.AsyncClient(transport=transport, base_url=BASE_URL, headers=credentials) as http,
        Client(streamable_http_client(f"{BASE_URL}/mcp", http_client=http)) as mcp,
    ):
        yield mcp
