"""The kv_state table's statements: values with an integer etag bumped on every save."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.ports import Sql
from app.repositories.tables import KV_STATE


class KeyValueRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def get(self, key: str) -> tuple[Any, int] | None:
        """The value and its etag, or None when absent."""
        rows = await self._sql.fetch(
            sa.select(KV_STATE.c.value, KV_STATE.c.etag).where(KV_STATE.c.key == key)
        )
        if not rows:
            return None
        value, etag = rows[0]
        return value, int(etag)

    async def add(self, key: str, value: Any, now: datetime) -> int | None:
        """Store a new key; its etag, or None when the key exists already."""
        return await self._etag_of(
            upsert_insert(KV_STATE)
            .values(key=key, value=value, etag=1, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(KV_STATE.c.etag)
        )

    async def replace(self, key: str, value: Any, etag: int, now: datetime) -> int | None:
        """Store `value` if the key's etag is still `etag`; the new etag, or None."""
        return await self._etag_of(
            sa.update(KV_STATE)
            .where(KV_STATE.c.key == key, KV_STATE.c.etag == etag)
            .values(value=value, etag=KV_STATE.c.etag + 1, updated_at=now)
            .returning(KV_STATE.c.etag)
        )

    async def _etag_of(self, write: sa.Executable) -> int | None:
        rows = await self._sql.write(write)
        return int(rows[0][0]) if rows else None
