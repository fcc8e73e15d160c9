"""The message bus's consumer side: an event arriving on a topic goes to the handlers the
event table (app/routing.py) names for its type, in the table's order."""

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from app.ports import Event, EventHandler
from app.routing import Handler, Route
from app.services.errors import MalformedEvent

log = logging.getLogger(__name__)


class DeadLetterSink(Protocol):
    async def record(self, topic: str, payload: dict[str, Any], error: str) -> Any: ...


class Dispatcher:
    def __init__(
        self,
        routes: Sequence[Route],
        handlers: Mapping[Handler, EventHandler],
        set_aside: DeadLetterSink,
    ) -> None:
        self._routes = [(route, handlers[route.handler]) for route in routes]
        self._set_aside = set_aside

    @property
    def topics(self) -> list[str]:
        return list(dict.fromkeys(route.topic for route, _ in self._routes))

    async def deliver(self, topic: str, event: Any) -> None:
        """Hand `event` to its handlers. What is not a TaskFlow event, or what a handler
        rejects as malformed, is set aside; any other failure propagates, and the transport
        delivers the event again (every handler is idempotent on event_id)."""
        if not isinstance(event, dict) or "event_id" not in event or "event_type" not in event:
            log.warning("not a TaskFlow event on %s: %.200r", topic, event)
            await self._set_aside.record(
                topic, event if isinstance(event, dict) else {"data": event}, "not a TaskFlow event"
            )
            return
        for route, handler in self._routes:
            if route.topic == topic and event["event_type"] in route.event_types:
                await self._handle(handler, topic, event)

    async def _handle(self, handler: EventHandler, topic: str, event: Event) -> None:
        try:
            await handler(topic, event)
        except MalformedEvent as error:
            log.warning("event rejected on %s: %s", topic, error)
            await self._set_aside.record(topic, event, str(error))
