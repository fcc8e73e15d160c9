"""The notification links' statements: the key that signs them, generated once and kept in
kv_state, and the ids of the links used (each once)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.action_links import LinkClaims, new_key
from app.ports import Sql
from app.repositories.key_value import KeyValueRepository
from app.repositories.tables import ACTION_LINK_USE

KEY_NAME = "action-links/signing-key"


class ActionLinkRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql
        self._values = KeyValueRepository(sql)

    async def signing_key(self, now: datetime) -> bytes:
        """The install's link key: the stored one, or a new one stored by whoever is first."""
        for _ in range(2):
            found = await self._values.get(KEY_NAME)
            if found is not None:
                return bytes.fromhex(found[0]["key"])
            await self._values.add(KEY_NAME, {"key": new_key().hex()}, now)
        raise RuntimeError("the action link key was neither found nor stored")

    async def used(self, link_id: str) -> bool:
        rows = await self._sql.fetch(
            sa.select(ACTION_LINK_USE.c.link_id).where(ACTION_LINK_USE.c.link_id == link_id)
        )
        return bool(rows)

    async def claim(self, claims: LinkClaims, now: datetime) -> bool:
        """Mark the link used; False when it was used already."""
        rows = await self._sql.write(
            upsert_insert(ACTION_LINK_USE)
            .values(
                link_id=claims.link_id,
                owner_id=claims.owner_id,
                task_id=claims.task_id,
                action=claims.action.value,
                used_at=now,
            )
            .on_conflict_do_nothing(index_elements=["link_id"])
            .returning(ACTION_LINK_USE.c.link_id)
        )
        return bool(rows)
