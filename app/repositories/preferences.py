"""The users' notification settings: one row per user who saved any."""

from collections.abc import Collection
from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.preferences import Preferences
from app.ports import Row, Sql
from app.repositories.tables import USER_PREFERENCE

_P = USER_PREFERENCE
_COLUMNS = (_P.c.time_zone, _P.c.quiet_from, _P.c.quiet_to, _P.c.digest_at)


def _time(text: str | None) -> time | None:
    return None if text is None else time.fromisoformat(text)


def _text(value: time | None) -> str | None:
    return None if value is None else f"{value:%H:%M}"


def _preferences(row: Row) -> Preferences:
    zone, quiet_from, quiet_to, digest_at = row
    return Preferences(
        time_zone=zone,
        quiet_from=_time(quiet_from),
        quiet_to=_time(quiet_to),
        digest_at=_time(digest_at),
    )


class PreferenceRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def get(self, owner: int) -> Preferences:
        """The user's settings; the defaults (none set) when they saved none."""
        rows = await self._sql.fetch(sa.select(*_COLUMNS).where(_P.c.owner_id == owner))
        return _preferences(rows[0]) if rows else Preferences()

    async def of_owners(self, owners: Collection[int]) -> dict[int, Preferences]:
        """Each user's settings, in one read; the defaults for one who saved none."""
        rows = await self._sql.fetch(
            sa.select(_P.c.owner_id, *_COLUMNS).where(_P.c.owner_id.in_(sorted(owners)))
        )
        saved = {row[0]: _preferences(row[1:]) for row in rows}
        return {owner: saved.get(owner, Preferences()) for owner in owners}

    async def put(self, owner: int, preferences: Preferences, now: datetime) -> None:
        values = {
            "time_zone": preferences.time_zone,
            "quiet_from": _text(preferences.quiet_from),
            "quiet_to": _text(preferences.quiet_to),
            "digest_at": _text(preferences.digest_at),
            "updated_at": now,
        }
        insert = upsert_insert(_P).values(owner_id=owner, **values)
        await self._sql.write(
            insert.on_conflict_do_update(index_elements=["owner_id"], set_=values).returning(
                _P.c.owner_id
            )
        )

    async def with_digest(self) -> list[tuple[int, Preferences]]:
        """Every user who asked for a daily digest, with their settings."""
        rows = await self._sql.fetch(
            sa.select(_P.c.owner_id, *_COLUMNS)
            .where(_P.c.digest_at.is_not(None))
            .order_by(_P.c.owner_id)
        )
        return [(row[0], _preferences(row[1:])) for row in rows]
