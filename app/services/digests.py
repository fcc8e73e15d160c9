"""The daily digests: at each user's digest time, on their clock, what is overdue and what is
still due that day, once per user and local day, on each of their channels.

It runs beside the courier (embedded: in the leading worker; Dapr mode: in the notifier
processor). Whoever stores a user's digest row of a day first sends that digest, so several
couriers send it once; the deliveries, stored with the row, are sent, retried and reported by
the courier as a reminder's are. A digest missed while nothing ran goes out when the courier is
back, the same local day."""

import asyncio
import logging
from collections.abc import Set
from datetime import date, datetime

from app.domain.channels import ChannelType
from app.domain.digests import DIGEST_EVENT, DIGEST_LISTED, Digest, DigestItem, summary
from app.domain.enums import TaskStatus
from app.domain.models import Task
from app.domain.notifications import digest_notification
from app.domain.preferences import Preferences, day_end, digest_due, next_digest
from app.domain.queries import SortField, SortOrder, TaskQuery
from app.ports import Clock, Sql, utc_now
from app.repositories.channels import ChannelRepository
from app.repositories.digests import DigestRepository
from app.services.notifier import Courier
from app.services.preferences import PreferenceService
from app.services.tasks import TaskService

log = logging.getLogger(__name__)

# How often the settings are read again, at the most: a changed digest time counts from then.
CHECK_SECONDS = 15.0


class DigestService:
    def __init__(
        self,
        sql: Sql,
        tasks: TaskService,
        preferences: PreferenceService,
        courier: Courier,
        kinds: Set[ChannelType],
        clock: Clock = utc_now,
    ) -> None:
        self._digests = DigestRepository(sql)
        self._channels = ChannelRepository(sql)
        self._tasks = tasks
        self._preferences = preferences
        self._courier = courier
        self._kinds = frozenset(kinds)
        self._clock = clock
        # The last day each user's digest was taken (by this process or another).
        self._done: dict[int, date] = {}

    async def run(self) -> None:
        """Send the digests that are due, then wait for the next one (or a fresh look)."""
        while True:
            wait = CHECK_SECONDS
            try:
                wait = min(wait, await self.send_due())
            except Exception:
                log.exception("sending the daily digests failed; trying again")
            await asyncio.sleep(max(wait, 1.0))

    async def send_due(self) -> float:
        """Store every digest due now that nobody stored yet; seconds until the next is due."""
        now = self._clock()
        zone = self._preferences.default_timezone
        soonest = CHECK_SECONDS
        for owner, preferences in await self._preferences.with_digest():
            day = digest_due(preferences, zone, now)
            if day is not None and self._done.get(owner) != day:
                await self._send(owner, preferences, day, now)
                self._done[owner] = day
            upcoming = next_digest(preferences, zone, now)
            if upcoming is not None:
                soonest = min(soonest, (upcoming - now).total_seconds())
        return soonest

    async def _send(self, owner: int, preferences: Preferences, day: date, now: datetime) -> None:
        digest = await self._compose(owner, preferences, day, now)
        notification = digest_notification(digest, now)
        event = {
            "event_type": DIGEST_EVENT,
            "user_id": owner,
            "local_date": day.isoformat(),
            "correlation_id": "",
        }
        channels = [c for c in await self._channels.of_owner(owner) if c.type in self._kinds]
        taken = await self._digests.add(
            owner, digest, notification.model_dump(mode="json"), event, channels, now
        )
        if not taken:
            return
        if digest.empty:
            log.info("daily digest of user %d for %s: nothing to tell, none sent", owner, day)
            return
        log.info("daily digest of user %d for %s stored to send: %s", owner, day, summary(digest))
        self._courier.wake()

    async def _compose(
        self, owner: int, preferences: Preferences, day: date, now: datetime
    ) -> Digest:
        """The user's digest of their local `day` at `now`: pending tasks due before now
        (overdue), and due from now to the day's end."""
        zone = preferences.time_zone or self._preferences.default_timezone
        end = day_end(preferences, self._preferences.default_timezone, day)
        overdue = await self._tasks.query(owner, _pending_due(before=now, skip=0))
        until_end = await self._tasks.query(owner, _pending_due(before=end, skip=overdue.total))
        return Digest(
            day=day,
            time_zone=zone,
            overdue=_items(overdue.tasks),
            due_today=_items(until_end.tasks),
            overdue_count=overdue.total,
            due_today_count=max(until_end.total - overdue.total, 0),
        )


def _pending_due(before: datetime, skip: int) -> TaskQuery:
    """Pending tasks due before `before`, soonest first, past the `skip` soonest."""
    return TaskQuery(
        status=TaskStatus.PENDING,
        due_before=before,
        sort_by=SortField.DUE_DATE,
        order=SortOrder.ASC,
        limit=DIGEST_LISTED,
        offset=skip,
    )


def _items(tasks: list[Task]) -> list[DigestItem]:
    return [
        DigestItem(task_id=task.id, title=task.title, due_date=task.due_date)
        for task in tasks
        if task.due_date is not None
    ]
