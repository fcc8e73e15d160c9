"""The dead-letter list's statements."""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from app.domain.models import DeadLetter
from app.ports import Sql
from app.repositories.rows import from_row, from_rows, values_of
from app.repositories.tables import DEAD_LETTER


class DeadLetterRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def add(self, letter: DeadLetter) -> bool:
        """Store `letter` unless one of the same event and topic still waits for a replay;
        True when it was stored."""
        values = values_of(letter, DEAD_LETTER)
        del values["id"]  # numbered by the database
        waiting = sa.exists().where(
            DEAD_LETTER.c.event_id == letter.event_id,
            DEAD_LETTER.c.topic == letter.topic,
            DEAD_LETTER.c.replayed_at.is_(None),
        )
        row = sa.select(
            *[sa.literal(value, DEAD_LETTER.c[name].type) for name, value in values.items()]
        ).where(~waiting)
        rows = await self._sql.write(
            sa.insert(DEAD_LETTER).from_select(list(values), row).returning(DEAD_LETTER.c.id)
        )
        return bool(rows)

    async def get(self, dead_letter_id: int) -> DeadLetter | None:
        rows = await self._sql.fetch(
            sa.select(DEAD_LETTER).where(DEAD_LETTER.c.id == dead_letter_id)
        )
        return from_row(DeadLetter, DEAD_LETTER, rows[0]) if rows else None

    async def page(
        self, replayed: bool | None, limit: int, offset: int
    ) -> tuple[list[DeadLetter], int]:
        """Newest first; `replayed` chooses replayed or waiting ones (None: both)."""
        conditions = []
        if replayed is not None:
            column = DEAD_LETTER.c.replayed_at
            conditions.append(column.is_not(None) if replayed else column.is_(None))
        rows = await self._sql.fetch(
            sa.select(DEAD_LETTER)
            .where(*conditions)
            .order_by(DEAD_LETTER.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        total = await self._sql.fetch(
            sa.select(sa.func.count()).select_from(DEAD_LETTER).where(*conditions)
        )
        return from_rows(DeadLetter, DEAD_LETTER, rows), int(total[0][0])

    async def waiting(self) -> int:
        """How many wait for a replay."""
        rows = await self._sql.fetch(
            sa.select(sa.func.count()).where(DEAD_LETTER.c.replayed_at.is_(None))
        )
        return int(rows[0][0])

    async def mark_replayed(
        self, dead_letter_id: int, at: datetime, follow_ups: Sequence[sa.Executable] = ()
    ) -> DeadLetter | None:
        """Mark it replayed at `at`, and run `follow_ups` in the same write; None (and no
        follow-up) when it was replayed already (or is gone)."""
        rows = await self._sql.write(
            sa.update(DEAD_LETTER)
            .where(DEAD_LETTER.c.id == dead_letter_id, DEAD_LETTER.c.replayed_at.is_(None))
            .values(replayed_at=at)
            .returning(*DEAD_LETTER.c),
            follow_ups,
        )
        return from_row(DeadLetter, DEAD_LETTER, rows[0]) if rows else None
