"""What /health reports: the database, and whether events get out in time."""

from dataclasses import dataclass
from enum import StrEnum

from app.config import DeliverySettings
from app.ports import Clock, Sql, utc_now
from app.services.dead_letters import DeadLetterService
from app.services.outbox import OutboxRelay


class Status(StrEnum):
    HEALTHY = "healthy"
    # Writes are accepted, but events are late or cannot be published.
    DEGRADED = "degraded"
    # The database cannot be reached: nothing can be written.
    UNHEALTHY = "unhealthy"


@dataclass(frozen=True)
class HealthReport:
    status: Status
    checks: dict[str, str]


class HealthService:
    def __init__(
        self,
        sql: Sql,
        relay: OutboxRelay,
        dead_letters: DeadLetterService,
        settings: DeliverySettings,
        clock: Clock = utc_now,
    ) -> None:
        self._sql = sql
        self._relay = relay
        self._dead_letters = dead_letters
        self._max_wait = settings.max_wait_seconds
        self._clock = clock

    async def report(self) -> HealthReport:
        try:
            await self._sql.ping()
            backlog = await self._relay.backlog()
            dead_letters = await self._dead_letters.waiting()
        except Exception as error:
            return HealthReport(Status.UNHEALTHY, {"database": f"failing: {type(error).__name__}"})
        failure = self._relay.last_failure
        waited = 0 if backlog.oldest is None else (self._clock() - backlog.oldest).total_seconds()
        late = waited > self._max_wait
        events = "ok"
        if late:
            events = f"waiting {waited:.0f} s" + (f": {failure.describe()}" if failure else "")
        checks = {
            "database": "ok",
            "outbox_backlog": str(backlog.unsent),
            "events": events,
            "publishing": "ok" if failure is None else f"failing: {failure.describe()}",
            "dead_letters": str(dead_letters),
        }
        return HealthReport(Status.DEGRADED if late or failure else Status.HEALTHY, checks)
