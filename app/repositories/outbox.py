"""The outbox's statements: events stored with a write, claimed, marked and pruned."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.events import TOPICS_BY_EVENT_TYPE, Event, message
from app.ports import Message, Sql
from app.repositories.rows import rows_insert
from app.repositories.tables import OUTBOX

_OUTBOX_COLUMNS = ("event_id", "topic", "payload", "created_at", "attempts")


def outbox_inserts(*events: Event) -> list[sa.Insert]:
    """The follow-up of the write that caused the events: one statement storing a row per
    event and topic that carries it (none without events)."""
    now = datetime.now(UTC)
    rows = [
        (event.event_id, topic, message(event), now, 0)
        for event in events
        for topic in TOPICS_BY_EVENT_TYPE[event.event_type]
    ]
    return [rows_insert(OUTBOX, _OUTBOX_COLUMNS, rows)] if rows else []


def outbox_requeue(event_id: str, topic: str, payload: Message, now: datetime) -> sa.Insert:
    """The follow-up storing the event to be published again. The sent row of its first
    delivery may still be there (event_id and topic are unique): then it is sent again."""
    requeue = upsert_insert(OUTBOX).values(
        event_id=event_id, topic=topic, payload=payload, created_at=now, attempts=0
    )
    return requeue.on_conflict_do_update(
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


@dataclass(frozen=True)
class Claimed:
    """An outbox row a relay holds the lease of."""

    id: int
    topic: str
    payload: Message
    attempts: int


@dataclass(frozen=True)
class Backlog:
    unsent: int
    oldest: datetime | None


def _key(table: sa.FromClause) -> sa.ColumnElement[str]:
    return table.c.payload["task_id"].as_string()


class OutboxRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def claim(self, now: datetime, until: datetime, limit: int) -> list[Claimed]:
        """Lease up to `limit` unsent rows until `until`: rows nobody holds, each behind no
        held or backing-off earlier row of its task and topic (on PostgreSQL skipping the
        rows another relay is claiming)."""
        unleased = sa.or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now)
        # The first held or backing-off row of each task and topic, found once for the claim:
        # a test of every waiting row against every earlier one made a backlog of 4,000 rows
        # take seconds a claim, so that the relay fell further behind the longer it was.
        key = _key(OUTBOX).label("key")
        held = (
            sa.select(OUTBOX.c.topic, key, sa.func.min(OUTBOX.c.id).label("first_id"))
            .where(OUTBOX.c.sent_at.is_(None), OUTBOX.c.claimed_until >= now)
            .group_by(OUTBOX.c.topic, key)
            .cte("held")
            .prefix_with("MATERIALIZED")
        )
        earlier_waits = sa.exists().where(
            held.c.topic == OUTBOX.c.topic,
            held.c.key == _key(OUTBOX),
            held.c.first_id < OUTBOX.c.id,
        )
        # Materialized, so PostgreSQL picks (and locks) the batch once; as a plain subquery
        # it may run it again for every row it updates, each time past the locked ones.
        batch = (
            sa.select(OUTBOX.c.id)
            .where(OUTBOX.c.sent_at.is_(None), unleased, ~earlier_waits)
            .order_by(OUTBOX.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OUTBOX)
            .cte("batch")
            .prefix_with("MATERIALIZED")
        )
        rows = await self._sql.write(
            sa.update(OUTBOX)
            # The lease again: a row another relay claimed meanwhile is not taken twice. Only
            # the lease: with sent_at too, PostgreSQL may match every waiting row against the
            # batch instead of looking up the batch's rows.
            .where(OUTBOX.c.id == batch.c.id, unleased)
            .values(claimed_until=until)
            .returning(OUTBOX.c.id, OUTBOX.c.topic, OUTBOX.c.payload, OUTBOX.c.attempts)
        )
        return [Claimed(*row) for row in rows]

    async def behind_other_claims(self, claimed: Sequence[int]) -> set[int]:
        """Claimed rows with an earlier unsent row of their task and topic outside this
        claim. Claims of two relays can overlap (neither sees the other's uncommitted
        lease), but a row's sent_at is set only after it was published, so this check,
        made after the claim committed, keeps the order."""
        later = OUTBOX.alias("later")
        earlier = OUTBOX.alias("earlier")
        rows = await self._sql.fetch(
            sa.select(later.c.id).where(
                later.c.id.in_(claimed),
                sa.exists().where(
                    earlier.c.topic == later.c.topic,
                    _key(earlier) == _key(later),
                    earlier.c.id < later.c.id,
                    # Only the unsent rows before the claim's last are candidates: the index
                    # of unsent rows reads just those, not the whole backlog behind them.
                    earlier.c.id < max(claimed),
                    earlier.c.sent_at.is_(None),
                    earlier.c.id.not_in(claimed),
                ),
            )
        )
        return {row[0] for row in rows}

    async def mark_sent(self, ids: Sequence[int], at: datetime) -> None:
        await self._sql.write(sa.update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(sent_at=at))

    async def release(self, ids: Sequence[int]) -> None:
        """Give up the lease of rows left unpublished: the next pass may take them."""
        await self._sql.write(
            sa.update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(claimed_until=None)
        )

    async def failed(self, ids: Sequence[int], error: str, retry_at: datetime) -> None:
        """One more failed attempt of each row: they wait until `retry_at`."""
        await self._sql.write(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids))
            .values(attempts=OUTBOX.c.attempts + 1, last_error=error, claimed_until=retry_at)
        )

    async def prune(self, sent_before: datetime, limit: int) -> int:
        """Delete up to `limit` rows sent before `sent_before`; how many were deleted."""
        expired = sa.select(OUTBOX.c.id).where(OUTBOX.c.sent_at < sent_before).limit(limit)
        rows = await self._sql.write(
            sa.delete(OUTBOX)
            .where(OUTBOX.c.id.in_(expired.scalar_subquery()))
            .returning(OUTBOX.c.id)
        )
        return len(rows)

    async def backlog(self) -> Backlog:
        [(unsent, oldest)] = await self._sql.fetch(
            sa.select(sa.func.count(), sa.func.min(OUTBOX.c.created_at)).where(
                OUTBOX.c.sent_at.is_(None)
            )
        )
        return Backlog(int(unsent), oldest)
