"""Open browser tabs without a browser: Reflex's own WebSocket protocol, spoken per tab.

A tab of the board is a Socket.IO (Engine.IO 4) connection to `/_event` (namespace `/_event`),
opened with a token of its own and the browser's cookies, whose CONNECT packet carries the
hydrate event (`<state>.hydrate_and_load`, the page's router data); the backend answers with
the state, runs the page's on_load events (the board's listing and the live-feed listener) and
from then on pushes `event` packets with deltas. This module speaks that protocol with the
`websockets` client, as the compiled frontend does (reflex's `state.js`), and measures how long
one change made over REST takes to reach every open tab.
"""

import asyncio
import contextlib
import importlib.metadata
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app.api.security import SESSION_COOKIE
from bench.measure import percentile
from bench.processes import rss_mib
from tests.support.accounts import ADMIN, log_in

NAMESPACE = "/_event"
STATE = "reflex___state____state"
BOARD_STATE = "board____board_state"  # the end of the board's substate name in a delta
OPENING_AT_ONCE = 25
HYDRATE_TIMEOUT_SECONDS = 120.0
REACH_TIMEOUT_SECONDS = 60.0
SETTLE_SECONDS = 5.0
EARLIEST_DUE = timedelta(days=3 * 365)  # before every seeded due date: first on the board


def hydrate_packet() -> str:
    """The CONNECT packet of the board page: its namespace and the hydrate event as auth."""
    boot = {
        "name": f"{STATE}.hydrate_and_load",
        "payload": {},
        "router_data": {"pathname": "/", "asPath": "/"},
    }
    return f"40{NAMESPACE},{json.dumps({'event': boot})}"


def event_of(message: str) -> dict[str, Any] | None:
    """The update of an `event` packet of our namespace (`42/_event,["event", {...}]`)."""
    prefix = f"42{NAMESPACE},"
    if not message.startswith(prefix):
        return None
    name, *args = json.loads(message[len(prefix) :])
    if name != "event" or not args or not isinstance(args[0], dict):
        return None
    update: dict[str, Any] = args[0]
    return update


def is_listed(update: dict[str, Any]) -> bool:
    """Does this update carry the board's first listing (loading over)?"""
    for name, delta in (update.get("delta") or {}).items():
        if name.endswith(BOARD_STATE) and delta.get("loading_rx_state_") is False:
            return True
    return False


def redirects(update: dict[str, Any]) -> bool:
    return any(event.get("name") == "_redirect" for event in update.get("events") or [])


@dataclass
class Tab:
    """One open board tab: its socket and what it received when."""

    cookie: str
    listed: asyncio.Event = field(default_factory=asyncio.Event)
    failure: str | None = None
    markers: dict[str, float] = field(default_factory=dict)  # marker -> perf_counter at arrival
    watching: tuple[str, ...] = ()
    socket: ClientConnection | None = None
    reader: "asyncio.Task[None] | None" = None
    closing: bool = False

    async def open(self, ws_url: str, origin: str, version: str) -> None:
        self.socket = await connect(
            f"{ws_url}{NAMESPACE}/?EIO=4&transport=websocket&token={uuid.uuid4()}",
            origin=origin,  # type: ignore[arg-type]
            subprotocols=[Subprotocol(version)],
            additional_headers={"Cookie": f"{SESSION_COOKIE}={self.cookie}"},
            max_size=None,
            ping_interval=None,  # Engine.IO pings itself
            open_timeout=HYDRATE_TIMEOUT_SECONDS,
        )
        self.reader = asyncio.create_task(self._read(self.socket))

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for raw in socket:
                message = raw if isinstance(raw, str) else raw.decode()
                arrived = time.perf_counter()
                if message.startswith("0"):
                    await socket.send(hydrate_packet())
                elif message == "2":
                    await socket.send("3")
                elif message.startswith(f"44{NAMESPACE}"):
                    self._fail(f"connection refused: {message[:200]}")
                elif message.startswith(f"42{NAMESPACE}"):
                    for marker in self.watching:
                        if marker not in self.markers and marker in message:
                            self.markers[marker] = arrived
                    if not self.listed.is_set():
                        update = event_of(message)
                        if update is not None and redirects(update):
                            self._fail("sent to the sign-in page")
                        elif update is not None and is_listed(update):
                            self.listed.set()
        except Exception as error:
            self._fail(f"{type(error).__name__}: {error}")
        else:
            self._fail("closed by the server")

    def _fail(self, why: str) -> None:
        if self.failure is None and not self.closing:
            self.failure = why
        self.listed.set()

    async def close(self) -> None:
        self.closing = True
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader


@dataclass(frozen=True)
class Reach:
    """One change: how long after the REST call started each tab had it."""

    latencies_ms: tuple[float, ...]
    missing: int

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 95)

    @property
    def slowest(self) -> float:
        return max(self.latencies_ms)


@dataclass(frozen=True)
class SessionsResult:
    asked: int
    opened: int
    sign_ins: int
    failures: dict[str, int]
    open_seconds: float  # opening and listing every tab
    hydrate_p50_ms: float
    hydrate_p95_ms: float
    rss_before_mib: float
    rss_open_mib: float
    changes: tuple[Reach, ...]

    @property
    def kib_per_session(self) -> float:
        if not self.opened:
            return 0.0
        return (self.rss_open_mib - self.rss_before_mib) * 1024 / self.opened


def cookies(base_url: str, count: int) -> list[str]:
    """`count` session cookies of the test admin, one sign-in each (separate browsers)."""
    found = []
    for _ in range(count):
        with httpx.Client(base_url=base_url, timeout=60) as client:
            signed_in = log_in(client, ADMIN)
            signed_in.raise_for_status()
            found.append(client.cookies[SESSION_COOKIE])
    return found


async def _open_all(
    tabs: Sequence[Tab], ws_url: str, origin: str, log: Callable[[str], None]
) -> list[float]:
    """Open every tab, at most OPENING_AT_ONCE at a time, each until listed; their times."""
    version = importlib.metadata.version("reflex")
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    times: list[float] = []

    async def one(tab: Tab) -> None:
        async with gate:
            started = time.perf_counter()
            try:
                await tab.open(ws_url, origin, version)
                await asyncio.wait_for(tab.listed.wait(), HYDRATE_TIMEOUT_SECONDS)
            except Exception as error:
                tab._fail(f"{type(error).__name__}: {error}")
            if tab.failure is None:
                times.append((time.perf_counter() - started) * 1000)
                if len(times) % 100 == 0:
                    log(f"sessions: {len(times)} open and listed")

    await asyncio.gather(*(one(tab) for tab in tabs))
    return times


async def _change(
    tabs: Sequence[Tab], client: httpx.AsyncClient, log: Callable[[str], None]
) -> Reach:
    """Create one task that lists first on every board; when each open tab received it."""
    marker = f"Reach {uuid.uuid4().hex[:12]}"
    live = [tab for tab in tabs if tab.failure is None]
    for tab in live:
        tab.watching = (*tab.watching, marker)
    due = (datetime.now(UTC) - EARLIEST_DUE).replace(microsecond=0)
    started = time.perf_counter()
    response = await client.post("/api/tasks", json={"title": marker, "due_date": due.isoformat()})
    response.raise_for_status()
    deadline = started + REACH_TIMEOUT_SECONDS
    while time.perf_counter() < deadline and any(marker not in tab.markers for tab in live):
        await asyncio.sleep(0.05)
    latencies = tuple(
        (tab.markers[marker] - started) * 1000 for tab in live if marker in tab.markers
    )
    reach = Reach(latencies, len(live) - len(latencies))
    if latencies:
        log(
            f"sessions: change reached {len(latencies)} of {len(live)} tabs: p50 {reach.p50:.0f} "
            f"p95 {reach.p95:.0f} max {reach.slowest:.0f} ms"
        )
    else:
        log(f"sessions: change reached none of {len(live)} tabs")
    return reach


async def measure_sessions(
    base_url: str,
    token: str,
    server_roots: Sequence[int],
    count: int,
    tabs_per_sign_in: int,
    changes: int,
    log: Callable[[str], None],
) -> SessionsResult:
    """Open `count` board tabs (signed in `tabs_per_sign_in` tabs to a sign-in), make
    `changes` changes over REST one after the other, and close them again."""
    sign_ins = max(1, -(-count // tabs_per_sign_in))
    log(f"sessions: signing in {sign_ins} times")
    jar = cookies(base_url, sign_ins)
    tabs = [Tab(jar[n % len(jar)]) for n in range(count)]
    ws_url = "ws" + base_url.removeprefix("http")
    await asyncio.sleep(SETTLE_SECONDS)
    before = rss_mib(server_roots)
    log(f"sessions: opening {count} tabs (server {before:.0f} MiB)")
    started = time.perf_counter()
    try:
        hydrate = await _open_all(tabs, ws_url, base_url, log)
        open_seconds = time.perf_counter() - started
        await asyncio.sleep(SETTLE_SECONDS)
        opened = [tab for tab in tabs if tab.failure is None]
        after = rss_mib(server_roots)
        log(f"sessions: {len(opened)} open in {open_seconds:.0f} s (server {after:.0f} MiB)")
        reaches = []
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
            for _ in range(changes if opened else 0):
                reaches.append(await _change(tabs, client, log))
                await asyncio.sleep(SETTLE_SECONDS)
    finally:
        await asyncio.gather(*(tab.close() for tab in tabs))
    failures: dict[str, int] = {}
    for tab in tabs:
        if tab.failure is not None:
            failures[tab.failure] = failures.get(tab.failure, 0) + 1
    return SessionsResult(
        asked=count,
        opened=len(opened),
        sign_ins=sign_ins,
        failures=failures,
        open_seconds=open_seconds,
        hydrate_p50_ms=percentile(hydrate, 50) if hydrate else 0.0,
        hydrate_p95_ms=percentile(hydrate, 95) if hydrate else 0.0,
        rss_before_mib=before,
        rss_open_mib=after,
        changes=tuple(reaches),
    )
