"""An in-process event bus: publishing runs every subscribed handler before returning."""

from collections import defaultdict

from app.ports import Message, MessageHandler


class InProcessBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[MessageHandler]] = defaultdict(list)

    def subscribe(self, topic: str, handler: MessageHandler) -> None:
        self._handlers[topic].append(handler)

    async def publish(self, topic: str, message: Message, key: str | None = None) -> None:
        # One relay publishes in order, so events of one key are handled in order anyway.
        # A failing handler fails the publish, so the outbox relay delivers again later;
        # handlers are idempotent on event_id, so the ones that succeeded shrug it off.
        for handler in self._handlers[topic]:
            await handler(topic, message)
