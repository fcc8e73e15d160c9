"""An in-process event bus: publishing runs every subscribed handler before returning."""

from collections import defaultdict
from collections.abc import Sequence

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

    async def publish_all(
        self, topic: str, messages: Sequence[tuple[Message, str | None]]
    ) -> list[str | None]:
        refused: list[str | None] = []
        for message, key in messages:
            try:
                await self.publish(topic, message, key)
            except Exception as error:
                refused.append(str(error) or type(error).__name__)
            else:
                refused.append(None)
        return refused
