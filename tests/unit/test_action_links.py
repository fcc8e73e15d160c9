"""The done and snooze links: signed, valid for 7 days on the clock the test moves, single
use, and acting through the task and reminder use cases on a real database."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.adapters.local.sql import EngineSql
from app.config import NotifySettings
from app.domain.action_links import (
    LINK_DAYS,
    TOKEN_MAX,
    BadLink,
    ExpiredLink,
    LinkAction,
    new_claims,
    new_key,
    sign,
    snoozed_until,
    verify,
)
from app.domain.enums import ReminderStatus, TaskStatus
from app.domain.models import Task
from app.domain.preferences import Preferences
from app.repositories.tables import ACTION_LINK_USE, OUTBOX, USER_PREFERENCE
from app.services.action_links import LINK_PATH, ActionLinks, UsedLink
from app.services.errors import Invalid, NotFound
from app.services.preferences import PreferenceService
from app.services.reminders import ReminderService
from app.services.tasks import TaskService
from tests.support.delivery import Clock
from tests.support.owners import OWNER, STRANGER

PUBLIC_URL = "https://todo.example.com"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _token(action: LinkAction = LinkAction.DONE, key: bytes = b"k" * 32) -> str:
    return sign(key, new_claims(OWNER, 7, action, NOW))


def test_a_signed_link_reads_back_its_claims_until_it_expires() -> None:
    key = new_key()
    claims = new_claims(OWNER, 7, LinkAction.SNOOZE_1_HOUR, NOW)
    token = sign(key, claims)
    assert verify(key, token, NOW) == claims
    assert claims.expires_at == NOW + timedelta(days=LINK_DAYS)
    last_moment = claims.expires_at - timedelta(seconds=1)
    assert verify(key, token, last_moment) == claims
    with pytest.raises(ExpiredLink):
        verify(key, token, claims.expires_at)
    assert len(token) < TOKEN_MAX and token.isascii() and "/" not in token


def test_two_links_for_the_same_action_differ() -> None:
    assert _token() != _token()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
        # The same bytes spelled otherwise: the last character's unused bits set.
        lambda token: token[:-1] + chr(ord(token[-1]) ^ 1),
        lambda token: "x" + token,
        lambda token: token.partition(".")[0],
        lambda token: token + "." + token,
        lambda token: token.replace(".", ".é"),
        lambda token: "",
        lambda token: "a" * (TOKEN_MAX + 1),
    ],
)
def test_an_altered_link_is_refused(tamper: object) -> None:
    assert callable(tamper)
    with pytest.raises(BadLink):
        verify(b"k" * 32, tamper(_token()), NOW)


def test_a_link_signed_with_another_key_is_refused() -> None:
    with pytest.raises(BadLink):
        verify(b"k" * 32, _token(key=b"other" * 8), NOW)


def test_a_link_with_changed_claims_is_refused() -> None:
    """Another task's id put in with the old signature."""
    done = _token()
    other = sign(b"k" * 32, new_claims(OWNER, 8, LinkAction.DONE, NOW))
    with pytest.raises(BadLink):
        verify(b"k" * 32, other.partition(".")[0] + "." + done.partition(".")[2], NOW)


def test_snoozes_move_by_ten_minutes_an_hour_or_to_tomorrow_9_in_the_zone() -> None:
    assert snoozed_until(LinkAction.SNOOZE_10_MINUTES, NOW, "UTC") == NOW + timedelta(minutes=10)
    assert snoozed_until(LinkAction.SNOOZE_1_HOUR, NOW, "UTC") == NOW + timedelta(hours=1)
    # 23:30 UTC on 1 March is already 2 March in Tokyo: tomorrow there is 3 March.
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    tokyo = snoozed_until(LinkAction.SNOOZE_TOMORROW, late, "Asia/Tokyo")
    assert tokyo == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    # Berlin turns the clocks forward on 29 March 2026: 9:00 the next day is 07:00 UTC.
    before_change = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
    berlin = snoozed_until(LinkAction.SNOOZE_TOMORROW, before_change, "Europe/Berlin")
    assert berlin == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        snoozed_until(LinkAction.DONE, NOW, "UTC")


def _written() -> None:
    """No outbox relay runs here: the tests read the outbox."""


class Setup:
    def __init__(self, sql: EngineSql) -> None:
        self.sql = sql
        self.clock = Clock()
        self.tasks = TaskService(sql, "UTC", _written)
        self.reminders = ReminderService(sql, self.tasks, _written, clock=self.clock)
        self.links = self.service()

    def service(self) -> ActionLinks:
        return ActionLinks(
            self.sql, self.tasks, self.reminders, PUBLIC_URL + "/", "Europe/Berlin", self.clock
        )

    async def task(self, **fields: object) -> Task:
        return await self.tasks.create(
            OWNER,
            {
                "title": "Water the fern",
                "due_date": self.clock() + timedelta(hours=3),
                "reminder_offset": "1 hour",
                **fields,
            },
        )

    async def link(self, task: Task, action: LinkAction) -> str:
        [found] = [a for a in await self.links.links(OWNER, task.id) if a.action == action]
        assert found.url.startswith(PUBLIC_URL + LINK_PATH)
        return found.url.removeprefix(PUBLIC_URL + LINK_PATH)

    async def event_types(self) -> list[str]:
        rows = await self.sql.fetch(sa.select(OUTBOX.c.payload).order_by(OUTBOX.c.id))
        return [row[0]["event_type"] for row in rows]


@pytest.fixture
def setup(sql: EngineSql) -> Setup:
    with sql.engine.begin() as connection:
        connection.execute(sa.delete(ACTION_LINK_USE))
        connection.execute(sa.delete(USER_PREFERENCE))
    return Setup(sql)


async def test_a_notification_gets_one_link_per_action(setup: Setup) -> None:
    task = await setup.task()
    links = await setup.links.links(OWNER, task.id)
    assert [(link.action, link.label) for link in links] == [
        ("done", "Mark as done"),
        ("snooze-10m", "Snooze 10 minutes"),
        ("snooze-1h", "Snooze 1 hour"),
        ("snooze-tomorrow", "Snooze until tomorrow 9:00"),
    ]


async def test_looking_at_a_link_changes_nothing(setup: Setup) -> None:
    task = await setup.task()
    token = await setup.link(task, LinkAction.DONE)
    before = await setup.event_types()
    for _ in range(3):
        view = await setup.links.look(token)
        assert view.task.id == task.id and view.claims.action == LinkAction.DONE
    assert (await setup.tasks.get(OWNER, task.id)).status == TaskStatus.PENDING
    assert await setup.event_types() == before


async def test_done_completes_the_task_once(setup: Setup) -> None:
    task = await setup.task()
    token = await setup.link(task, LinkAction.DONE)
    outcome = await setup.links.use(token)
    assert outcome.task.status == TaskStatus.COMPLETED and outcome.remind_at is None
    assert "task.completed" in await setup.event_types()
    with pytest.raises(UsedLink):
        await setup.links.use(token)
    with pytest.raises(UsedLink):
        await setup.links.look(token)


async def test_a_snooze_adds_a_pending_reminder_at_the_new_time_once(setup: Setup) -> None:
    task = await setup.task()
    token = await setup.link(task, LinkAction.SNOOZE_10_MINUTES)
    assert await setup.reminders.set_apart(OWNER, [task]) == {}, "only its own reminder"
    setup.clock.advance(120)
    outcome = await setup.links.use(token)
    expected = setup.clock() + timedelta(minutes=10)
    assert outcome.remind_at == expected
    pending = await setup.reminders.find(OWNER, task.id, ReminderStatus.PENDING)
    assert expected in [reminder.scheduled_at for reminder in pending]
    assert await setup.reminders.set_apart(OWNER, [task]) == {task.id: expected}
    assert (await setup.event_types()).count("reminder.scheduled") == 2
    with pytest.raises(UsedLink):
        await setup.links.use(token)
    assert len(await setup.reminders.find(OWNER, task.id, ReminderStatus.PENDING)) == 2


async def test_tomorrow_is_9_00_on_the_installs_wall_clock(setup: Setup) -> None:
    task = await setup.task(due_date=setup.clock() + timedelta(days=3))
    outcome = await setup.links.use(await setup.link(task, LinkAction.SNOOZE_TOMORROW))
    # 12:00 UTC on 1 March; 9:00 in Berlin (CET) on 2 March is 08:00 UTC.
    assert outcome.remind_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert outcome.zone == "Europe/Berlin"


async def test_tomorrow_is_9_00_on_the_owners_wall_clock_when_they_chose_a_zone(
    setup: Setup,
) -> None:
    await PreferenceService(setup.sql, "UTC").save(OWNER, Preferences(time_zone="America/New_York"))
    task = await setup.task(due_date=setup.clock() + timedelta(days=3))
    outcome = await setup.links.use(await setup.link(task, LinkAction.SNOOZE_TOMORROW))
    # 12:00 UTC on 1 March is 07:00 in New York; 9:00 there (EST) on 2 March is 14:00 UTC.
    assert outcome.remind_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert outcome.zone == "America/New_York"


async def test_a_link_expires_after_seven_days(setup: Setup) -> None:
    task = await setup.task(due_date=setup.clock() + timedelta(days=30))
    token = await setup.link(task, LinkAction.SNOOZE_1_HOUR)
    setup.clock.advance(LINK_DAYS * 86400 - 1)
    await setup.links.look(token)
    setup.clock.advance(1)
    with pytest.raises(ExpiredLink):
        await setup.links.use(token)
    assert len(await setup.reminders.find(OWNER, task.id, ReminderStatus.PENDING)) == 1


async def test_the_key_is_made_once_and_shared_by_every_process(setup: Setup) -> None:
    """A link made by one process (the notifier) is good in another (the app)."""
    task = await setup.task()
    token = await setup.link(task, LinkAction.DONE)
    other = setup.service()
    assert (await other.look(token)).task.id == task.id


async def test_a_snooze_of_a_completed_task_changes_nothing_and_stays_usable(
    setup: Setup,
) -> None:
    task = await setup.task()
    snooze = await setup.link(task, LinkAction.SNOOZE_1_HOUR)
    await setup.tasks.complete(OWNER, task.id)
    with pytest.raises(Invalid):
        await setup.links.use(snooze)
    await setup.links.look(snooze)


async def test_a_link_of_a_deleted_task_is_not_found(setup: Setup) -> None:
    task = await setup.task()
    token = await setup.link(task, LinkAction.DONE)
    await setup.tasks.delete(OWNER, task.id)
    with pytest.raises(NotFound):
        await setup.links.use(token)


async def test_a_link_acts_for_its_owner_only(setup: Setup) -> None:
    """The stranger's task of the same id is not the owner's."""
    task = await setup.task()
    [link] = [a for a in await setup.links.links(STRANGER, task.id) if a.action == "done"]
    with pytest.raises(NotFound):
        await setup.links.use(link.url.removeprefix(PUBLIC_URL + LINK_PATH))
    assert (await setup.tasks.get(OWNER, task.id)).status == TaskStatus.PENDING


def test_the_public_url_is_the_apps_own_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKFLOW_PUBLIC_URL", raising=False)
    assert NotifySettings.from_env(4000).public_url == "http://127.0.0.1:4000"
    monkeypatch.setenv("TASKFLOW_PUBLIC_URL", " https://todo.example.com/tasks/ ")
    assert NotifySettings.from_env().public_url == "https://todo.example.com/tasks"


@pytest.mark.parametrize(
    "value",
    [
        "todo.example.com",
        "ftp://todo.example.com",
        "https://",
        "https://a/?x=1",
        "http://a#b",
        "http://a:99999",
    ],
)
def test_a_public_url_that_cannot_be_linked_to_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TASKFLOW_PUBLIC_URL", value)
    with pytest.raises(ValueError, match="TASKFLOW_PUBLIC_URL"):
        NotifySettings.from_env()
