"""The KeyValue port over SQL: the kv_state table, its integer etag bumped on every save."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.models import KeyValue
from app.ports import ConcurrencyError, Sql

KV = KeyValue.__table__  # type: ignore[attr-defined]


class SqlKeyValue:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def get(self, key: str) -> tuple[Any, str | None]:
        rows = await self._sql.fetch(sa.select(KV.c.value, KV.c.etag).where(KV.c.key == key))
        if not rows:
            return None, None
        value, etag = rows[0]
        return value, str(etag)

    async def save(self, key: str, value: Any, etag: str | None) -> str:
        now = datetime.now(UTC)
        if etag is None:
            statement: sa.Executable = (
                upsert_insert(KV)
                .values(key=key, value=value, etag=1, updated_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(KV.c.etag)
            )
        elif etag.isdigit():
            statement = (
                sa.update(KV)
                .where(KV.c.key == key, KV.c.etag == int(etag))
                .values(value=value, etag=KV.c.etag + 1, updated_at=now)
                .returning(KV.c.etag)
            )
        else:
            raise ConcurrencyError(f"{key}: etag {etag!r} was never handed out")
        rows = await self._sql.fetch(statement)
        if not rows:
            raise ConcurrencyError(f"{key} changed since it was read")
        return str(rows[0][0])
