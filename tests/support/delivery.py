"""What the delivery tests share: a clock moved by hand, a bus that fails on demand, and a
notification to send."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from app.domain.enums import Priority
from app.domain.notifications import Notification
from app.ports import Message

NOTIFIED_AT = datetime(2030, 5, 6, 9, 0, tzinfo=UTC)


def a_notification(title: str, **changes: Any) -> Notification:
    """A fired reminder's notification for a task due (and fired) at NOTIFIED_AT, in UTC."""
    fields: dict[str, Any] = {
        "event": "reminder.sent",
        "reminder_id": 1,
        "task_id": 1,
        "title": title,
        "due_date": NOTIFIED_AT,
        "timezone": "UTC",
        "priority": Priority.MEDIUM,
        "scheduled_at": NOTIFIED_AT,
        "fired_at": NOTIFIED_AT,
    }
    return Notification(**(fields | changes))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FlakyBus:
    """Refuses the first `failures` publishes (and once each event in `refuse`), as a broker
    that is down would; records what it accepted, with the key it was given, and the calls of
    `publish_all` (topic, how many messages)."""

    def __init__(self, failures: int = 0, refuse: set[str] | None = None) -> None:
        self.failures = failures
        self.refuse = refuse or set()
        self.attempts = 0
        self.accepted: list[tuple[str, str, str | None]] = []
        self.events: list[Message] = []
        self.calls: list[tuple[str, int]] = []

    async def publish(self, topic: str, event: Message, key: str | None = None) -> None:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("broker unavailable")
        if event["event_id"] in self.refuse:
            self.refuse.discard(event["event_id"])
            raise ConnectionError("broker unavailable")
        await asyncio.sleep(0)
        self.accepted.append((topic, event["event_id"], key))
        self.events.append(event)

    async def publish_all(
        self, topic: str, messages: Sequence[tuple[Message, str | None]]
    ) -> list[str | None]:
        self.calls.append((topic, len(messages)))
        refused: list[str | None] = []
        for message, key in messages:
            try:
                await self.publish(topic, message, key)
            except ConnectionError as error:
                refused.append(str(error))
            else:
                refused.append(None)
        return refused
