"""Dead letters: events a handler rejected as malformed, set aside where an operator can list
them and put them back on the outbox.

The dispatcher of each process records what its handlers reject; a process without a
database (the recurrence processor in Dapr mode) forwards them on the dead-letter topic
(`DeadLetterForwarder`), and the app's subscription to that topic records them
(`record_delivery`), as it does what the sidecar moves there.
"""

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from app.domain.events import DEAD_LETTERS, TOPICS, DeadLetterForwarded, message, parse_event
from app.domain.models import DeadLetter
from app.ports import Clock, EventBus, Sql, utc_now
from app.repositories.dead_letters import DeadLetterRepository
from app.repositories.outbox import outbox_requeue
from app.services.errors import Conflict, NotFound

log = logging.getLogger(__name__)

EVENT_ID_MAX = 36
TOPIC_MAX = 64
ERROR_MAX = 2000


class DeadLetterService:
    def __init__(self, sql: Sql, requeued: Callable[[], None], clock: Clock = utc_now) -> None:
        self._dead_letters = DeadLetterRepository(sql)
        self._requeued = requeued
        self._clock = clock

    async def record(self, topic: str, payload: dict[str, Any], error: str) -> bool:
        """Set `payload` aside, unless it already waits for a replay (a redelivery);
        True when it was new."""
        return await self._dead_letters.add(
            DeadLetter(
                event_id=_event_id(payload),
                topic=topic[:TOPIC_MAX],
                payload=payload,
                error=error[:ERROR_MAX] or "rejected",
                created_at=self._clock(),
            )
        )

    async def record_delivery(self, envelope: Any) -> bool:
        """Record what the sidecar delivered on the dead-letter topic. Dapr forwards the
        original CloudEvent unchanged, so its `topic` still names the topic it failed on."""
        envelope = envelope if isinstance(envelope, dict) else {"data": envelope}
        data = envelope.get("data")
        forwarded = _forwarded(data)
        if forwarded is not None:
            return await self.record(forwarded.topic, forwarded.payload, forwarded.error)
        topic = envelope.get("topic")
        payload = data if isinstance(data, dict) else {"event_id": envelope.get("id"), **envelope}
        return await self.record(
            topic if isinstance(topic, str) and topic else "unknown",
            payload,
            f"refused by a subscriber of {topic or 'an unknown topic'} until Dapr moved it "
            "to the dead-letter topic",
        )

    async def page(
        self, replayed: bool | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[DeadLetter], int]:
        """Newest first; `replayed` chooses replayed or waiting ones (None: both)."""
        return await self._dead_letters.page(replayed, limit, offset)

    async def waiting(self) -> int:
        """How many dead letters wait for an operator."""
        return await self._dead_letters.waiting()

    async def replay(self, dead_letter_id: int) -> DeadLetter:
        """Put the event back on the outbox, so the relay publishes it again to its topic,
        then mark the dead letter replayed. Replaying twice answers Conflict."""
        letter = await self._get(dead_letter_id)
        if letter.topic not in TOPICS:
            raise Conflict(f"dead letter {dead_letter_id} came from no topic it could go back to")
        if letter.replayed_at is not None:
            raise Conflict(
                f"dead letter {dead_letter_id} was replayed at {letter.replayed_at.isoformat()}"
            )
        now = self._clock()
        # Marked in the write that puts the event back: were it still waiting when the
        # relay publishes the event and a handler rejects it again, that rejection would be
        # taken for a redelivery of this letter, and never listed.
        requeue = outbox_requeue(letter.event_id, letter.topic, letter.payload, now)
        replayed = await self._dead_letters.mark_replayed(dead_letter_id, now, [requeue])
        if replayed is None:
            return await self._get(dead_letter_id)
        self._requeued()
        return replayed

    async def _get(self, dead_letter_id: int) -> DeadLetter:
        letter = await self._dead_letters.get(dead_letter_id)
        if letter is None:
            raise NotFound("dead letter", dead_letter_id)
        return letter


def _event_id(payload: dict[str, Any]) -> str:
    """The event's own id when it has a usable one, else one derived from its content, so
    redeliveries of one malformed payload still meet."""
    event_id = payload.get("event_id")
    if isinstance(event_id, str) and 0 < len(event_id) <= EVENT_ID_MAX:
        return event_id
    content = json.dumps(payload, sort_keys=True, default=str)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, content))


class DeadLetterForwarder:
    """Sets events aside for a processor that has no database: it publishes them on the
    dead-letter topic, where the app records them in its list."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def record(self, topic: str, payload: dict[str, Any], error: str) -> None:
        task_id = payload.get("task_id")
        forwarded = DeadLetterForwarded(
            task_id=task_id if isinstance(task_id, int) else None,
            user_id=None,
            topic=topic,
            payload=payload,
            error=error or "rejected",
        )
        await self._bus.publish(DEAD_LETTERS, message(forwarded))


def _forwarded(data: Any) -> DeadLetterForwarded | None:
    try:
        event = parse_event(data)
    except ValueError:
        return None
    return event if isinstance(event, DeadLetterForwarded) else None
