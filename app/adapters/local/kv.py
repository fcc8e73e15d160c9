"""The KeyValue port over SQL: the kv_state table, its integer etag bumped on every save."""

from datetime import UTC, datetime
from typing import Any

from app.ports import ConcurrencyError, Sql
from app.repositories.key_value import KeyValueRepository


class SqlKeyValue:
    def __init__(self, sql: Sql) -> None:
        self._state = KeyValueRepository(sql)

    async def get(self, key: str) -> tuple[Any, str | None]:
        stored = await self._state.get(key)
        if stored is None:
            return None, None
        value, etag = stored
        return value, str(etag)

    async def save(self, key: str, value: Any, etag: str | None) -> str:
        now = datetime.now(UTC)
        if etag is None:
            saved = await self._state.add(key, value, now)
        elif etag.isdigit():
            saved = await self._state.replace(key, value, int(etag), now)
        else:
            raise ConcurrencyError(f"{key}: etag {etag!r} was never handed out")
        if saved is None:
            raise ConcurrencyError(f"{key} changed since it was read")
        return str(saved)
