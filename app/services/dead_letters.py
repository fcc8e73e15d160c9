"""Dead letters: events a handler rejected as malformed, set aside where an operator can list
them and put them back on the outbox.

Embedded mode records them as the in-process bus hands them over (`guard`). In Dapr mode a
subscriber with a database records them itself; one without (the recurrence processor)
forwards them on the dead-letter topic (`DeadLetterForwarder`), and the app's subscription to
that topic records them (`record_delivery`), as it does what the sidecar moves there.
"""

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.events import DEAD_LETTERS, TOPICS, new_event
from app.domain.models import DeadLetter
from app.ports import Clock, EventBus, Sql, utc_now
from app.services.errors import Conflict, NotFound
from app.services.outbox import OUTBOX
from app.services.rows import columns_of, from_row, from_rows

log = logging.getLogger(__name__)

DEAD_LETTER = DeadLetter.__table__  # type: ignore[attr-defined]
DEAD_LETTER_COLUMNS = columns_of(DeadLetter)
EVENT_ID_MAX = 36
TOPIC_MAX = 64
ERROR_MAX = 2000
# The event type of what a DeadLetterForwarder publishes on the dead-letter topic.
FORWARDED = "dead_letter.forwarded"


class DeadLetterService:
    def __init__(self, sql: Sql, requeued: Callable[[], None], clock: Clock = utc_now) -> None:
        self._sql = sql
        self._requeued = requeued
        self._clock = clock

    async def record(self, topic: str, payload: dict[str, Any], error: str) -> bool:
        """Set `payload` aside, unless it already waits for a replay (a redelivery);
        True when it was new."""
        event_id = _event_id(payload)
        topic = topic[:TOPIC_MAX]
        waiting = sa.exists().where(
            DEAD_LETTER.c.event_id == event_id,
            DEAD_LETTER.c.topic == topic,
            DEAD_LETTER.c.replayed_at.is_(None),
        )
        values = {
            "event_id": event_id,
            "topic": topic,
            "payload": payload,
            "error": error[:ERROR_MAX] or "rejected",
            "created_at": self._clock(),
        }
        row = sa.select(
            *[sa.literal(value, DEAD_LETTER.c[name].type) for name, value in values.items()]
        ).where(~waiting)
        rows = await self._sql.fetch(
            sa.insert(DEAD_LETTER).from_select(list(values), row).returning(DEAD_LETTER.c.id)
        )
        return bool(rows)

    async def record_delivery(self, envelope: Any) -> bool:
        """Record what the sidecar delivered on the dead-letter topic. Dapr forwards the
        original CloudEvent unchanged, so its `topic` still names the topic it failed on."""
        envelope = envelope if isinstance(envelope, dict) else {"data": envelope}
        data = envelope.get("data")
        if isinstance(data, dict) and data.get("event_type") == FORWARDED:
            payload = data.get("payload")
            return await self.record(
                str(data.get("topic") or "unknown"),
                payload if isinstance(payload, dict) else {"data": payload},
                str(data.get("error") or "rejected"),
            )
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
        conditions = []
        if replayed is not None:
            column = DEAD_LETTER.c.replayed_at
            conditions.append(column.is_not(None) if replayed else column.is_(None))
        rows = await self._sql.fetch(
            sa.select(*DEAD_LETTER_COLUMNS)
            .where(*conditions)
            .order_by(DEAD_LETTER.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        total = await self._sql.fetch(
            sa.select(sa.func.count()).select_from(DEAD_LETTER).where(*conditions)
        )
        return from_rows(DeadLetter, rows), int(total[0][0])

    async def waiting(self) -> int:
        """How many dead letters wait for an operator."""
        rows = await self._sql.fetch(
            sa.select(sa.func.count()).where(DEAD_LETTER.c.replayed_at.is_(None))
        )
        return int(rows[0][0])

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
        # The sent row of the first delivery may still be there (event_id and topic are
        # unique in the outbox): then it is sent again.
        requeue = upsert_insert(OUTBOX).values(
            event_id=letter.event_id,
            topic=letter.topic,
            payload=letter.payload,
            created_at=now,
            attempts=0,
        )
        await self._sql.fetch(
            requeue.on_conflict_do_update(
                index_elements=["event_id", "topic"],
                set_={
                    "payload": requeue.excluded.payload,
                    "created_at": requeue.excluded.created_at,
                    "sent_at": None,
                    "claimed_until": None,
                    "attempts": 0,
                    "last_error": None,
                },
            )
        )
        self._requeued()
        rows = await self._sql.fetch(
            sa.update(DEAD_LETTER)
            .where(DEAD_LETTER.c.id == dead_letter_id, DEAD_LETTER.c.replayed_at.is_(None))
            .values(replayed_at=now)
            .returning(*DEAD_LETTER_COLUMNS)
        )
        return from_row(DeadLetter, rows[0]) if rows else await self._get(dead_letter_id)

    async def _get(self, dead_letter_id: int) -> DeadLetter:
        rows = await self._sql.fetch(
            sa.select(*DEAD_LETTER_COLUMNS).where(DEAD_LETTER.c.id == dead_letter_id)
        )
        if not rows:
            raise NotFound("dead letter", dead_letter_id)
        return from_row(DeadLetter, rows[0])


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
        forwarded = new_event(
            FORWARDED,
            task_id=task_id if isinstance(task_id, int) else None,
            topic=topic,
            payload=payload,
            error=error,
        )
        await self._bus.publish(DEAD_LETTERS, forwarded)
