"""A user's own notification settings: read and saved by their owner, read by the courier (quiet
hours), the digests and the notification links (their zone)."""

from collections.abc import Collection

from app.domain.preferences import Preferences
from app.ports import Clock, Sql, utc_now
from app.repositories.preferences import PreferenceRepository


class PreferenceService:
    def __init__(self, sql: Sql, default_timezone: str, clock: Clock = utc_now) -> None:
        self._preferences = PreferenceRepository(sql)
        # The install's zone (TASKFLOW_TIMEZONE), for a user who chose none.
        self.default_timezone = default_timezone
        self._clock = clock

    async def get(self, owner: int) -> Preferences:
        return await self._preferences.get(owner)

    async def of_owners(self, owners: Collection[int]) -> dict[int, Preferences]:
        return await self._preferences.of_owners(owners)

    async def save(self, owner: int, preferences: Preferences) -> Preferences:
        await self._preferences.put(owner, preferences, self._clock())
        return preferences

    async def with_digest(self) -> list[tuple[int, Preferences]]:
        return await self._preferences.with_digest()
