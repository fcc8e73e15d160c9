"""Done and snooze from a notification: the signed links a notification carries, what a link
shows before it is used, and using it (once) through the task and reminder use cases, whose
events tell the task's audit trail and history as any other change does."""

from dataclasses import dataclass
from datetime import datetime

from app.domain.action_links import (
    LinkAction,
    LinkClaims,
    new_claims,
    sign,
    snoozed_until,
    verify,
)
from app.domain.enums import TaskStatus
from app.domain.models import Task
from app.domain.notifications import NotificationAction
from app.ports import Clock, Sql, utc_now
from app.repositories.action_links import ActionLinkRepository
from app.repositories.preferences import PreferenceRepository
from app.services.errors import Invalid
from app.services.reminders import ReminderService
from app.services.tasks import TaskService

# Where a link points, under the public URL.
LINK_PATH = "/api/actions/"


class UsedLink(Exception):
    """The link acted once already."""


@dataclass(frozen=True)
class LinkView:
    """A valid, unused link: what it would do to which task."""

    claims: LinkClaims
    task: Task


@dataclass(frozen=True)
class Outcome:
    task: Task
    action: LinkAction
    # When the reminder fires again, for a snooze, and the zone whose clock "tomorrow" was on.
    remind_at: datetime | None = None
    zone: str | None = None


class ActionLinks:
    def __init__(
        self,
        sql: Sql,
        tasks: TaskService,
        reminders: ReminderService,
        public_url: str,
        timezone: str,
        clock: Clock = utc_now,
    ) -> None:
        self._links = ActionLinkRepository(sql)
        self._preferences = PreferenceRepository(sql)
        self._tasks = tasks
        self._reminders = reminders
        self._public_url = public_url.rstrip("/")
        # "Tomorrow 9:00" is on the owner's wall clock, or this zone's (the install's) when they
        # chose none.
        self.timezone = timezone
        self._clock = clock
        self._key: bytes | None = None

    async def links(self, owner: int, task_id: int) -> list[NotificationAction]:
        """A new link for each action on the task, valid for LINK_DAYS from now."""
        key = await self._signing_key()
        now = self._clock()
        base = self._public_url + LINK_PATH
        return [
            NotificationAction(
                action=action.value,
                label=action.label,
                url=base + sign(key, new_claims(owner, task_id, action, now)),
            )
            for action in LinkAction
        ]

    async def look(self, token: str) -> LinkView:
        """What the link would do; changes nothing. BadLink, ExpiredLink, UsedLink, or
        NotFound when the task is gone."""
        claims = verify(await self._signing_key(), token, self._clock())
        if await self._links.used(claims.link_id):
            raise UsedLink("this link was used already")
        return LinkView(claims, await self._tasks.get(claims.owner_id, claims.task_id))

    async def use(self, token: str) -> Outcome:
        """Act once: complete the task, or snooze its reminder. The same errors as `look`, and
        Invalid when a snoozed task is completed or has no due date any more."""
        view = await self.look(token)
        claims = view.claims
        now = self._clock()
        if claims.action == LinkAction.DONE:
            if not await self._links.claim(claims, now):
                raise UsedLink("this link was used already")
            if view.task.status == TaskStatus.COMPLETED:
                return Outcome(view.task, claims.action)
            task = await self._tasks.complete(claims.owner_id, claims.task_id)
            return Outcome(task, claims.action)
        if view.task.status == TaskStatus.COMPLETED or view.task.due_date is None:
            raise Invalid("task_id", "the task is completed or has no due date: nothing to snooze")
        zone = (await self._preferences.get(claims.owner_id)).time_zone or self.timezone
        until = snoozed_until(claims.action, now, zone)
        if not await self._links.claim(claims, now):
            raise UsedLink("this link was used already")
        reminder = await self._reminders.snooze(claims.owner_id, claims.task_id, until)
        return Outcome(view.task, claims.action, reminder.scheduled_at, zone)

    async def _signing_key(self) -> bytes:
        if self._key is None:
            self._key = await self._links.signing_key(self._clock())
        return self._key
