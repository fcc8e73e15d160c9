"""What the worker processes of one embedded install pass to each other through Redis (only
with more than one worker): the live feed's events, which the leading worker's relay publishes
and every worker's open tabs need, and the outbox's wake-up, which any worker's write sends and
the leading worker's relay needs.

Redis pub/sub reaches the subscribers connected at the time: a worker that is reconnecting
misses what is published meanwhile. Its tabs catch up at the next change they receive (they
list again), and a missed wake-up costs the relay's idle poll (a second).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from app.domain.events import TASK_UPDATES, Event, message, parse_event

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 1.0

ChangeHandler = Callable[[str, Event], Awaitable[None]]


class RedisFanout:
    def __init__(
        self, url: str, install: str, reconnect_seconds: float = RECONNECT_SECONDS
    ) -> None:
        self._url = url
        # Installs that share a Redis but not a database keep to their own channels.
        self._changes = f"{install}:live".encode()
        self._wake_ups = f"{install}:outbox".encode()
        self._reconnect_seconds = reconnect_seconds
        self._nudged = asyncio.Event()
        # Made on first use, inside the event loop of the worker that uses it.
        self._client: Redis | None = None

    def _redis(self) -> Redis:
        if self._client is None:
            self._client = Redis.from_url(self._url)
        return self._client

    async def publish_change(self, topic: str, event: Event) -> None:
        """The live feed's handler in the leading worker: every worker's feed gets `event`.
        Without Redis it is dropped, not retried: failing would hold up the other handlers of
        `task-updates` (the audit trail, the notifications) until Redis is back, and the UI,
        whose state is in Redis, is down meanwhile anyway."""
        try:
            await self._redis().publish(self._changes, orjson.dumps(message(event)))
        except Exception as error:
            log.warning("the live change %s reached no worker: %s", event.event_id, error)

    def nudge(self) -> None:
        """Events were written: wake the leading worker's relay (`run` sends one wake-up for
        a burst of writes)."""
        self._nudged.set()

    async def run(self, on_change: ChangeHandler, on_nudge: Callable[[], None]) -> None:
        """Until cancelled: hand every change any worker's relay published to `on_change`,
        call `on_nudge` on every wake-up, and send this worker's wake-ups."""
        try:
            await asyncio.gather(self._listen(on_change, on_nudge), self._send_wake_ups())
        finally:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    await self._client.aclose()
                self._client = None

    async def _listen(self, on_change: ChangeHandler, on_nudge: Callable[[], None]) -> None:
        while True:
            try:
                async with self._redis().pubsub() as pubsub:
                    await pubsub.subscribe(self._changes, self._wake_ups)
                    await self._receive(pubsub, on_change, on_nudge)
            except Exception as error:
                log.warning("the workers' Redis channels failed (%s); reconnecting", error)
                await asyncio.sleep(self._reconnect_seconds)

    async def _receive(
        self, pubsub: PubSub, on_change: ChangeHandler, on_nudge: Callable[[], None]
    ) -> None:
        async for item in pubsub.listen():
            if item["type"] != "message":
                continue
            if item["channel"] == self._wake_ups:
                on_nudge()
                continue
            try:
                event = parse_event(orjson.loads(item["data"]))
            except ValueError as error:
                log.warning("not a TaskFlow event on the live channel: %s", error)
                continue
            await on_change(TASK_UPDATES, event)

    async def _send_wake_ups(self) -> None:
        while True:
            await self._nudged.wait()
            self._nudged.clear()
            try:
                await self._redis().publish(self._wake_ups, b"")
            except Exception as error:
                log.warning("could not wake the relay through Redis (%s); it polls", error)
