"""The message bus's consumer side: a message arriving on a topic is read as its typed event
and goes to the handlers the event table (app/routing.py) names for its type, in order."""

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from pydantic import ValidationError

from app.domain.events import Event, message, parse_event
from app.routing import Handler, Route
from app.services.errors import MalformedEvent

log = logging.getLogger(__name__)

# A handler takes the events of the types its routes name (a TaskCompleted, say).
EventHandler = Callable[[str, Any], Awaitable[None]]


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

    async def deliver(self, topic: str, data: Any) -> None:
        """Hand the event `data` holds to its handlers. A message that holds no event, or
        whose event a handler rejects as malformed, is set aside; any other failure
        propagates, and the transport delivers the message again (every handler is
        idempotent on event_id)."""
        try:
            event = parse_event(data)
        except ValidationError as error:
            log.warning("not a TaskFlow event on %s: %.200r", topic, data)
            payload = data if isinstance(data, dict) else {"data": data}
            await self._set_aside.record(topic, payload, _reason(error))
            return
        for route, handler in self._routes:
            if route.topic == topic and event.event_type in route.event_types:
                await self._handle(handler, topic, event)

    async def _handle(self, handler: EventHandler, topic: str, event: Event) -> None:
        try:
            await handler(topic, event)
        except MalformedEvent as error:
            log.warning("event rejected on %s: %s", topic, error)
            await self._set_aside.record(topic, message(event), str(error))


def _reason(error: ValidationError) -> str:
    """What makes a message no TaskFlow event, in a line an operator can read."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the message"
    return f"not a TaskFlow event: {where}: {first['msg']}"
