"""The notifier on a real database, with a real SMTP server and a real webhook receiver on
loopback: each fired reminder reaches each channel of its owner once, a failure is retried
with backoff on the clock the test moves, and the last failure is set aside as a dead letter.
Every outcome is stored with its event for the task's audit trail."""

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.adapters.local.sql import EngineSql
from app.adapters.notify.mail import SmtpMailer
from app.adapters.notify.targets import HttpTargets
from app.adapters.notify.webhook import WebhookPoster
from app.config import MailSettings
from app.domain.channels import Channel, ChannelType
from app.domain.enums import Priority
from app.domain.events import TASK_UPDATES, NotificationDelivered, ReminderSent
from app.domain.models import Reminder, Task
from app.domain.notifications import MAX_ATTEMPTS, DeliveryStatus
from app.domain.preferences import Preferences, clock_time
from app.ports import Sender
from app.repositories.deliveries import DeliveryRepository
from app.repositories.tables import (
    DEAD_LETTER,
    DIGEST,
    NOTIFICATION_CHANNEL,
    NOTIFICATION_DELIVERY,
    OUTBOX,
    USER_PREFERENCE,
)
from app.services.action_links import LINK_PATH, ActionLinks
from app.services.channels import ChannelService
from app.services.dead_letters import DeadLetterService
from app.services.digests import CHECK_SECONDS, DigestService
from app.services.notifier import PASSES, Courier
from app.services.preferences import PreferenceService
from app.services.reminders import ReminderService
from app.services.tasks import TaskService
from tests.support.delivery import Clock
from tests.support.mail import MailServer, bodies
from tests.support.owners import OWNER, STRANGER
from tests.support.servers import free_port
from tests.support.statements import statements_run
from tests.support.webhooks import WebhookReceiver

RETRY_SECONDS = 30.0
TIMEOUT_SECONDS = 5.0
SENDER = "reminders@taskflow.test"
PUBLIC_URL = "https://todo.example.com"


def _written() -> None:
    """These tests run no outbox relay: they read the outbox."""


class Setup:
    def __init__(self, sql: EngineSql, smtp: MailServer, clock: Clock) -> None:
        self.sql = sql
        self.clock = clock
        self.tasks = TaskService(sql, "UTC", _written)
        self.reminders = ReminderService(sql, self.tasks, _written, clock=clock)
        self.dead_letters = DeadLetterService(sql, _written, clock)
        mail = MailSettings(
            host="127.0.0.1", port=smtp.port, username="mailer", password="mail-password"
        )
        # The receiver is on loopback: private addresses are allowed.
        targets = HttpTargets(allow_private=True, timeout=TIMEOUT_SECONDS)
        self.senders: dict[ChannelType, Sender] = {
            ChannelType.EMAIL: SmtpMailer(
                MailSettings(**{**mail.__dict__, "sender": SENDER}), TIMEOUT_SECONDS
            ),
            ChannelType.WEBHOOK: WebhookPoster(clock, targets),
        }
        self.channels = ChannelService(sql, self.senders, "UTC", targets, clock)
        self.links = ActionLinks(sql, self.tasks, self.reminders, PUBLIC_URL, "UTC", clock)
        self.preferences = PreferenceService(sql, "UTC", clock)
        self.courier = self.new_courier()
        self.digests = self.new_digests(self.courier)

    def new_courier(self, timeout: float = TIMEOUT_SECONDS) -> Courier:
        return Courier(
            self.sql,
            self.tasks,
            self.senders,
            self.dead_letters,
            _written,
            RETRY_SECONDS,
            timeout,
            self.clock,
            links=self.links,
            preferences=self.preferences,
        )

    def new_digests(self, courier: Courier) -> DigestService:
        return DigestService(
            self.sql, self.tasks, self.preferences, courier, frozenset(self.senders), self.clock
        )

    async def fired(self, owner: int = OWNER, **fields: Any) -> tuple[Task, ReminderSent]:
        """A task due tomorrow at 09:00 in Berlin whose reminder fired: its reminder.sent."""
        due = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        task = await self.tasks.create(
            owner,
            {
                "title": "Pay the <rent>",
                "description": "before noon",
                "due_date": due,
                "timezone": "Europe/Berlin",
                "priority": Priority.HIGH,
                **fields,
            },
        )
        reminder: Reminder = await self.reminders.create(owner, task.id, "1 hour")
        sent = ReminderSent(
            task_id=task.id,
            user_id=owner,
            reminder_id=reminder.id,
            title=task.title,
            due_date=task.due_date,
            scheduled_at=reminder.scheduled_at,
            fired_at=self.clock(),
            late=False,
        )
        return task, sent

    async def deliveries(self) -> list[dict[str, Any]]:
        rows = await self.sql.fetch(
            sa.select(NOTIFICATION_DELIVERY).order_by(NOTIFICATION_DELIVERY.c.id)
        )
        return [dict(zip(NOTIFICATION_DELIVERY.c.keys(), row, strict=True)) for row in rows]

    async def outcomes(self) -> list[dict[str, Any]]:
        """The notification events stored in the outbox, oldest first."""
        rows = await self.sql.fetch(sa.select(OUTBOX.c.payload).order_by(OUTBOX.c.id))
        return [row[0] for row in rows if row[0]["event_type"].startswith("notification.")]


@pytest.fixture
async def setup(sql: EngineSql, smtp: MailServer, receiver: WebhookReceiver) -> Setup:
    with sql.engine.begin() as connection:
        for table in (
            NOTIFICATION_DELIVERY,
            NOTIFICATION_CHANNEL,
            DEAD_LETTER,
            DIGEST,
            USER_PREFERENCE,
        ):
            connection.execute(sa.delete(table))
    smtp.received.clear()
    smtp.envelopes.clear()
    smtp.refused.clear()
    receiver.received.clear()
    receiver.answers.clear()
    receiver.stalls.clear()
    return Setup(sql, smtp, Clock())


async def _webhook(
    setup: Setup, receiver: WebhookReceiver, path: str, owner: int = OWNER
) -> Channel:
    channel = await setup.channels.create(owner, ChannelType.WEBHOOK, receiver.url(path))
    assert channel.secret is not None
    receiver.secrets[path] = channel.secret
    return channel


async def test_a_fired_reminder_is_mailed_with_the_due_time_in_the_tasks_zone(
    setup: Setup, smtp: MailServer
) -> None:
    channel = await setup.channels.create(OWNER, ChannelType.EMAIL, "Someone@Example.COM")
    task, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    assert await setup.courier.drain() == 1

    [mail] = smtp.wait_for(1)
    assert smtp.envelopes == [(SENDER, ["Someone@example.com"])]
    assert mail["Subject"] == "Reminder: Pay the <rent>"
    assert mail["From"] == SENDER and mail["To"] == "Someone@example.com"
    text, html = bodies(mail)
    # 08:00 UTC on 2 March is 09:00 in Berlin (CET).
    assert "Due: Mon 2 Mar 2026, 09:00 CET" in text
    assert "Priority: high" in text and "before noon" in text
    assert "<h2>Pay the &lt;rent&gt;</h2>" in html and "Mon 2 Mar 2026, 09:00 CET" in html

    [delivery] = await setup.deliveries()
    assert delivery["status"] == DeliveryStatus.DELIVERED
    assert delivery["attempts"] == 1 and delivery["delivered_at"] == setup.clock()
    [delivered] = await setup.outcomes()
    assert delivered["event_type"] == "notification.delivered"
    assert (delivered["task_id"], delivered["user_id"]) == (task.id, OWNER)
    assert (delivered["channel_id"], delivered["channel_type"]) == (channel.id, "email")
    assert delivered["reminder_id"] == sent.reminder_id
    assert delivered["correlation_id"] == sent.correlation_id


async def test_a_redelivered_event_sends_nothing_twice(
    setup: Setup, smtp: MailServer, receiver: WebhookReceiver
) -> None:
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await _webhook(setup, receiver, "/twice")
    _, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    await setup.courier.enqueue(sent)
    assert await setup.courier.drain() == 2
    await setup.courier.enqueue(sent)
    assert await setup.courier.drain() == 0
    assert len(smtp.wait_for(1)) == 1
    assert len(receiver.wait_for(1)) == 1
    assert [d["status"] for d in await setup.deliveries()] == ["delivered", "delivered"]
    assert len(await setup.outcomes()) == 2


async def test_two_couriers_send_each_delivery_once(setup: Setup, smtp: MailServer) -> None:
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    _, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    other = setup.new_courier()
    assert sorted([await other.drain(), await setup.courier.drain()]) == [0, 1]
    assert len(smtp.wait_for(1)) == 1


async def test_a_claim_passes_over_deliveries_another_courier_is_claiming(
    setup: Setup, receiver: WebhookReceiver
) -> None:
    """Passes claim side by side: on PostgreSQL one takes the rows another has not locked,
    instead of waiting for that claim and then finding them taken."""
    if setup.sql.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer: no two claims run at once")
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await _webhook(setup, receiver, "/skip")
    _, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    first, second = [row["id"] for row in await setup.deliveries()]
    deliveries = DeliveryRepository(setup.sql)
    with setup.sql.engine.connect() as other:
        locked = sa.select(NOTIFICATION_DELIVERY.c.id).where(NOTIFICATION_DELIVERY.c.id == first)
        other.execute(locked.with_for_update())
        async with asyncio.timeout(10):
            claimed = await deliveries.claim(
                setup.clock(), setup.clock() + timedelta(seconds=60), 10
            )
        other.rollback()
    assert [delivery.id for delivery in claimed] == [second]


async def test_a_pass_marks_delivered_only_what_it_still_holds(
    setup: Setup, receiver: WebhookReceiver
) -> None:
    """A pass marks its sent deliveries in one write; one whose lease ran out and another
    courier took stays that courier's, and tells the audit nothing."""
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await _webhook(setup, receiver, "/lease")
    _, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    deliveries = DeliveryRepository(setup.sql)
    lease = timedelta(seconds=60)
    claimed = await deliveries.claim(setup.clock(), setup.clock() + lease, 10)
    assert len(claimed) == 2
    setup.clock.advance(61)
    [taken] = await deliveries.claim(setup.clock(), setup.clock() + lease, 1)
    events = [
        (delivery, NotificationDelivered(
            task_id=delivery.task_id, user_id=OWNER, reminder_id=delivery.reminder_id,
            channel_id=delivery.channel_id, channel_type="email", attempts=1,
        ))
        for delivery in claimed
    ]  # fmt: skip

    assert await deliveries.delivered(events, setup.clock()) == 1
    [kept] = [delivery for delivery in claimed if delivery.id != taken.id]
    status = {row["id"]: row["status"] for row in await setup.deliveries()}
    assert status == {kept.id: "delivered", taken.id: "pending"}
    assert [event["channel_id"] for event in await setup.outcomes()] == [kept.channel_id]


async def test_a_webhook_is_signed_and_carries_event_task_reminder_and_actions(
    setup: Setup, receiver: WebhookReceiver
) -> None:
    await _webhook(setup, receiver, "/hook")
    task, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    await setup.courier.drain()

    [hook] = receiver.wait_for(1)
    assert hook.verified, hook
    assert hook.timestamp == str(int(setup.clock().timestamp()))
    assert set(hook.body) == {"event", "task", "reminder", "actions"}
    assert hook.body["event"] == "reminder.sent"
    assert hook.body["task"] == {
        "id": task.id,
        "title": "Pay the <rent>",
        "description": "before noon",
        "due_date": "2026-03-02T08:00:00Z",
        "timezone": "Europe/Berlin",
        "priority": "high",
    }
    assert hook.body["reminder"]["id"] == sent.reminder_id
    assert datetime.fromisoformat(hook.body["reminder"]["scheduled_at"]) == sent.scheduled_at
    assert hook.body["reminder"]["late"] is False


async def test_a_failing_webhook_is_retried_with_backoff_then_dead_lettered(
    setup: Setup, receiver: WebhookReceiver
) -> None:
    channel = await _webhook(setup, receiver, "/down")
    receiver.answers["/down"] = [500] * MAX_ATTEMPTS
    task, sent = await setup.fired()
    await setup.courier.enqueue(sent)

    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await setup.courier.drain() == 1, attempt
        assert await setup.courier.drain() == 0, "not again before its time"
        [delivery] = await setup.deliveries()
        assert delivery["attempts"] == attempt
        assert "answered 500" in delivery["last_error"]
        if attempt < MAX_ATTEMPTS:
            assert delivery["status"] == DeliveryStatus.PENDING
            waits.append((delivery["next_attempt_at"] - setup.clock()).total_seconds())
            setup.clock.now = delivery["next_attempt_at"]
    assert waits == [RETRY_SECONDS * 2**n for n in range(MAX_ATTEMPTS - 1)]
    assert len(receiver.wait_for(MAX_ATTEMPTS)) == MAX_ATTEMPTS
    assert all(hook.verified for hook in receiver.received)

    [delivery] = await setup.deliveries()
    assert delivery["status"] == DeliveryStatus.FAILED
    [failed] = await setup.outcomes()
    assert failed["event_type"] == "notification.failed"
    assert (failed["task_id"], failed["channel_id"]) == (task.id, channel.id)
    assert failed["attempts"] == MAX_ATTEMPTS and "answered 500" in failed["error"]
    [letter], total = await setup.dead_letters.page()
    assert total == 1 and letter.topic == TASK_UPDATES
    assert letter.event_id == sent.event_id and letter.payload["event_type"] == "reminder.sent"
    assert f"webhook channel {channel.id} failed after {MAX_ATTEMPTS} attempts" in letter.error

    # The dead letter replayed: its reminder.sent arrives again and the delivery is retried.
    await setup.courier.enqueue(sent)
    assert await setup.courier.drain() == 1
    [delivery] = await setup.deliveries()
    assert delivery["status"] == DeliveryStatus.DELIVERED
    assert [e["event_type"] for e in await setup.outcomes()] == [
        "notification.failed",
        "notification.delivered",
    ]


async def test_an_attempt_that_gets_no_answer_in_time_is_retried(
    setup: Setup, receiver: WebhookReceiver
) -> None:
    await _webhook(setup, receiver, "/slow")
    receiver.stalls["/slow"] = 2.0
    _, sent = await setup.fired()
    courier = setup.new_courier(timeout=0.2)
    await courier.enqueue(sent)
    assert await courier.drain() == 1
    [delivery] = await setup.deliveries()
    assert delivery["status"] == DeliveryStatus.PENDING and delivery["attempts"] == 1
    assert delivery["last_error"] == "no answer within 0.2 s"
    assert delivery["claimed_until"] is None


async def test_a_refused_mailbox_and_a_server_down_are_retried(
    setup: Setup, smtp: MailServer
) -> None:
    await setup.channels.create(OWNER, ChannelType.EMAIL, "gone@example.com")
    smtp.refused.add("gone@example.com")
    _, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    await setup.courier.drain()
    [delivery] = await setup.deliveries()
    assert delivery["status"] == DeliveryStatus.PENDING and delivery["attempts"] == 1
    assert "550" in delivery["last_error"] and "gone@example.com" in delivery["last_error"]

    closed = MailSettings(host="127.0.0.1", port=free_port())
    setup.senders[ChannelType.EMAIL] = SmtpMailer(closed, TIMEOUT_SECONDS)
    setup.clock.now = delivery["next_attempt_at"]
    await setup.courier.drain()
    [delivery] = await setup.deliveries()
    assert delivery["status"] == DeliveryStatus.PENDING and delivery["attempts"] == 2
    assert smtp.received == []


async def test_only_the_owners_channels_are_sent_to(
    setup: Setup, smtp: MailServer, receiver: WebhookReceiver
) -> None:
    await setup.channels.create(STRANGER, ChannelType.EMAIL, "stranger@example.com")
    await _webhook(setup, receiver, "/stranger", owner=STRANGER)
    await setup.channels.create(OWNER, ChannelType.EMAIL, "owner@example.com")
    _, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    assert await setup.courier.drain() == 1
    assert smtp.envelopes[0][1] == ["owner@example.com"]
    assert receiver.received == []


async def test_a_deleted_task_or_channel_sends_nothing(setup: Setup, smtp: MailServer) -> None:
    channel = await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    task, sent = await setup.fired()
    await setup.tasks.delete(OWNER, task.id)
    await setup.courier.enqueue(sent)
    assert await setup.deliveries() == []

    _, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    await setup.channels.delete(OWNER, channel.id)
    assert await setup.courier.drain() == 0
    assert smtp.received == []


async def test_a_channel_test_is_sent_at_once(
    setup: Setup, smtp: MailServer, receiver: WebhookReceiver
) -> None:
    mail = await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    hook = await _webhook(setup, receiver, "/test")
    await setup.channels.test(OWNER, mail.id)
    await setup.channels.test(OWNER, hook.id)
    [sent] = smtp.wait_for(1)
    assert sent["Subject"] == "TaskFlow: a test notification"
    [received] = receiver.wait_for(1)
    assert received.verified and received.body["event"] == "channel.test"
    assert await setup.deliveries() == []


async def test_the_courier_stops_when_cancelled_as_it_is_woken(setup: Setup) -> None:
    """A shutdown that comes as a reminder fires must not be lost (the app would wait for ever)."""
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    _, sent = await setup.fired()
    running = asyncio.create_task(setup.courier.run())
    async with asyncio.timeout(10):
        while len(setup.courier._wake._waiters) < PASSES:
            await asyncio.sleep(0.01)
    await setup.courier.enqueue(sent)
    running.cancel()
    async with asyncio.timeout(10):
        await asyncio.wait([running])
    assert running.cancelled()


async def test_the_mail_and_the_webhook_carry_the_done_and_snooze_links(
    setup: Setup, smtp: MailServer, receiver: WebhookReceiver
) -> None:
    """Links under the public URL, each good for its action on the task; a channel's test
    carries none."""
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await _webhook(setup, receiver, "/links")
    task, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    assert await setup.courier.drain() == 2

    prefix = PUBLIC_URL + LINK_PATH
    [hook] = receiver.wait_for(1)
    actions = hook.body["actions"]
    assert [(a["action"], a["label"]) for a in actions] == [
        ("done", "Mark as done"),
        ("snooze-10m", "Snooze 10 minutes"),
        ("snooze-1h", "Snooze 1 hour"),
        ("snooze-tomorrow", "Snooze until tomorrow 9:00"),
    ]
    [mail] = smtp.wait_for(1)
    text, html = bodies(mail)
    for action in actions:
        assert action["url"].startswith(prefix)
        view = await setup.links.look(action["url"].removeprefix(prefix))
        assert (view.task.id, view.claims.action.value) == (task.id, action["action"])
    mailed = re.findall(r"^(.+?): (https://\S+)", text, re.MULTILINE)
    assert [label for label, _ in mailed] == [a["label"] for a in actions]
    for label, url in mailed:
        assert f'<a href="{url}">{label}</a>' in html
        await setup.links.look(url.removeprefix(prefix))

    [channel] = [c for c in await setup.channels.of(OWNER) if c.type == ChannelType.WEBHOOK]
    await setup.channels.test(OWNER, channel.id)
    [_, test] = receiver.wait_for(2)
    assert test.body["actions"] == []


def _prefs(**fields: str) -> Preferences:
    return Preferences(
        time_zone=fields.get("time_zone"),
        **{name: clock_time(value) for name, value in fields.items() if name != "time_zone"},
    )


async def test_a_reminder_fired_in_quiet_hours_is_sent_when_they_end(
    setup: Setup, smtp: MailServer
) -> None:
    """12:00 UTC is 13:00 in Berlin, in quiet hours from 11:00 to 14:00 (13:00 UTC)."""
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await setup.preferences.save(
        OWNER, _prefs(time_zone="Europe/Berlin", quiet_from="11:00", quiet_to="14:00")
    )
    _, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    assert await setup.courier.drain() == 0
    [delivery] = await setup.deliveries()
    end = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    assert delivery["status"] == DeliveryStatus.PENDING
    assert delivery["next_attempt_at"] == end

    setup.clock.now = end - timedelta(seconds=1)
    assert await setup.courier.drain() == 0
    assert smtp.received == []
    setup.clock.now = end
    assert await setup.courier.drain() == 1
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "Reminder: Pay the <rent>"


async def test_reminders_fired_side_by_side_are_stored_in_three_statements(
    setup: Setup, smtp: MailServer
) -> None:
    """A bulk delivery's events, enqueued side by side: one read of their tasks, one of their
    owners' settings, one insert, each owner's quiet hours kept; the same event twice and a
    deleted task store nothing more."""
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await setup.channels.create(STRANGER, ChannelType.EMAIL, "stranger@example.com")
    await setup.preferences.save(
        STRANGER, _prefs(time_zone="Europe/Berlin", quiet_from="11:00", quiet_to="14:00")
    )
    _, first = await setup.fired()
    _, second = await setup.fired()
    _, others = await setup.fired(STRANGER)
    deleted, gone = await setup.fired()
    await setup.tasks.delete(OWNER, deleted.id)
    await setup.links.links(OWNER, deleted.id)  # the signing key, read once for good
    with statements_run(setup.sql) as statements:
        await asyncio.gather(
            *(setup.courier.enqueue(sent) for sent in (first, second, others, first, gone))
        )
    assert len(statements) == 3, statements

    due = {row["reminder_id"]: row["next_attempt_at"] for row in await setup.deliveries()}
    quiet_end = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    assert due == {
        first.reminder_id: setup.clock(),
        second.reminder_id: setup.clock(),
        others.reminder_id: quiet_end,
    }
    assert await setup.courier.drain() == 2
    assert len(smtp.wait_for(2)) == 2


async def test_a_reminder_outside_quiet_hours_is_sent_at_once(
    setup: Setup, smtp: MailServer
) -> None:
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await setup.preferences.save(OWNER, _prefs(quiet_from="22:00", quiet_to="07:00"))
    _, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    assert await setup.courier.drain() == 1
    assert len(smtp.wait_for(1)) == 1


async def test_a_delivery_held_for_quiet_hours_is_retried_as_any_other(
    setup: Setup, receiver: WebhookReceiver
) -> None:
    await _webhook(setup, receiver, "/quiet")
    receiver.answers["/quiet"] = [500]
    await setup.preferences.save(OWNER, _prefs(quiet_from="11:30", quiet_to="12:30"))
    _, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    setup.clock.now = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert await setup.courier.drain() == 1
    [delivery] = await setup.deliveries()
    assert delivery["status"] == DeliveryStatus.PENDING and delivery["attempts"] == 1
    assert delivery["next_attempt_at"] == setup.clock() + timedelta(seconds=RETRY_SECONDS)
    setup.clock.now = delivery["next_attempt_at"]
    assert await setup.courier.drain() == 1
    [delivery] = await setup.deliveries()
    assert delivery["status"] == DeliveryStatus.DELIVERED


async def test_a_channel_test_is_sent_in_quiet_hours_too(setup: Setup, smtp: MailServer) -> None:
    channel = await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await setup.preferences.save(OWNER, _prefs(quiet_from="00:00", quiet_to="23:59"))
    await setup.channels.test(OWNER, channel.id)
    assert len(smtp.wait_for(1)) == 1


async def test_the_due_time_is_shown_in_the_owners_zone_when_they_chose_one(
    setup: Setup, smtp: MailServer, receiver: WebhookReceiver
) -> None:
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await _webhook(setup, receiver, "/zone")
    await setup.preferences.save(OWNER, _prefs(time_zone="America/New_York"))
    _, sent = await setup.fired()
    await setup.courier.enqueue(sent)
    await setup.courier.drain()
    [mail] = smtp.wait_for(1)
    text, html = bodies(mail)
    # 08:00 UTC on 2 March is 03:00 in New York (EST).
    assert "Due: Mon 2 Mar 2026, 03:00 EST" in text and "03:00 EST" in html
    [hook] = receiver.wait_for(1)
    assert hook.body["task"]["timezone"] == "Europe/Berlin"


async def _task(setup: Setup, owner: int, title: str, due: datetime | None) -> Task:
    return await setup.tasks.create(owner, {"title": title, "due_date": due})


async def test_the_daily_digest_is_sent_once_at_its_time_on_every_channel(
    setup: Setup, smtp: MailServer, receiver: WebhookReceiver
) -> None:
    """07:00 in Berlin (CET) on 2 March 2026 is 06:00 UTC: what is overdue then, and what is
    due from then to midnight in Berlin, soonest first."""
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await _webhook(setup, receiver, "/digest")
    await setup.preferences.save(OWNER, _prefs(time_zone="Europe/Berlin", digest_at="07:00"))
    overdue = await _task(setup, OWNER, "File the <taxes>", datetime(2026, 3, 1, 10, tzinfo=UTC))
    done = await _task(setup, OWNER, "Done already", datetime(2026, 3, 1, 9, tzinfo=UTC))
    await setup.tasks.complete(OWNER, done.id)
    await _task(setup, OWNER, "Late call", datetime(2026, 3, 2, 22, 30, tzinfo=UTC))
    await _task(setup, OWNER, "Dentist", datetime(2026, 3, 2, 16, tzinfo=UTC))
    # 00:30 on 3 March in Berlin: tomorrow, though still 2 March in UTC.
    await _task(setup, OWNER, "Tomorrow", datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    await _task(setup, OWNER, "Some day", None)
    await _task(setup, STRANGER, "Not mine", datetime(2026, 3, 1, 10, tzinfo=UTC))

    setup.clock.now = datetime(2026, 3, 2, 5, 59, tzinfo=UTC)
    await setup.digests.send_due()
    assert await setup.courier.drain() == 0
    setup.clock.now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    await setup.digests.send_due()
    assert await setup.courier.drain() == 2

    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "TaskFlow: 1 overdue, 2 due today"
    text, html = bodies(mail)
    assert text.splitlines()[:9] == [
        "1 overdue, 2 due today",
        "",
        "Monday 2 March 2026 (Europe/Berlin)",
        "",
        "Overdue (1):",
        "- Sun 1 Mar 11:00  File the <taxes>",
        "",
        "Due today (2):",
        "- 17:00  Dentist",
    ]
    assert "- 23:30  Late call" in text
    assert "Tomorrow" not in text and "Some day" not in text and "Done already" not in text
    assert "Not mine" not in text
    assert "<h2>1 overdue, 2 due today</h2>" in html and "File the &lt;taxes&gt;" in html

    [hook] = receiver.wait_for(1)
    assert hook.verified
    assert hook.body["event"] == "digest.daily"
    assert hook.body["digest"]["date"] == "2026-03-02"
    assert hook.body["digest"]["overdue"]["count"] == 1
    assert hook.body["digest"]["overdue"]["tasks"][0]["task_id"] == overdue.id
    assert [t["title"] for t in hook.body["digest"]["due_today"]["tasks"]] == [
        "Dentist",
        "Late call",
    ]
    outcomes = await setup.outcomes()
    assert [o["event_type"] for o in outcomes] == ["notification.delivered"] * 2
    assert all(o["reminder_id"] is None and o["user_id"] == OWNER for o in outcomes)

    # Not again: on the next pass, by another courier, or later the same day.
    setup.clock.now = datetime(2026, 3, 2, 18, tzinfo=UTC)
    await setup.digests.send_due()
    other = setup.new_courier()
    await setup.new_digests(other).send_due()
    assert await other.drain() == 0 and await setup.courier.drain() == 0
    assert len(smtp.received) == 1 and len(receiver.received) == 1


async def test_a_digest_missed_while_down_is_sent_later_the_same_day_only(
    setup: Setup, smtp: MailServer
) -> None:
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await setup.preferences.save(OWNER, _prefs(time_zone="Asia/Tokyo", digest_at="08:00"))
    await _task(setup, OWNER, "Overdue", datetime(2026, 3, 1, 0, tzinfo=UTC))
    # 14:59 UTC on 2 March is 23:59 in Tokyo: the 2nd's digest is still due.
    setup.clock.now = datetime(2026, 3, 2, 14, 59, tzinfo=UTC)
    await setup.digests.send_due()
    assert await setup.courier.drain() == 1
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "TaskFlow: 1 overdue, 0 due today"
    # Midnight in Tokyo: the 3rd's comes at 08:00 (23:00 UTC), not before.
    setup.clock.now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert await setup.digests.send_due() == CHECK_SECONDS
    assert await setup.courier.drain() == 0
    setup.clock.now = datetime(2026, 3, 2, 22, 59, 50, tzinfo=UTC)
    assert await setup.digests.send_due() == 10
    setup.clock.now = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    await setup.digests.send_due()
    assert await setup.courier.drain() == 1
    assert len(smtp.wait_for(2)) == 2


async def test_an_empty_digest_is_not_sent(setup: Setup, smtp: MailServer) -> None:
    await setup.channels.create(OWNER, ChannelType.EMAIL, "someone@example.com")
    await setup.preferences.save(OWNER, _prefs(digest_at="07:00"))
    await _task(setup, OWNER, "Next week", datetime(2026, 3, 9, 9, tzinfo=UTC))
    setup.clock.now = datetime(2026, 3, 2, 7, tzinfo=UTC)
    await setup.digests.send_due()
    assert await setup.courier.drain() == 0
    assert await setup.deliveries() == [] and smtp.received == []
    # The day is done: a task overdue later that day waits for the next digest.
    await _task(setup, OWNER, "Forgot", datetime(2026, 3, 2, 6, tzinfo=UTC))
    await setup.new_digests(setup.courier).send_due()
    assert await setup.deliveries() == []


async def test_a_digest_that_fails_for_good_is_reported_but_not_set_aside(
    setup: Setup, receiver: WebhookReceiver
) -> None:
    channel = await _webhook(setup, receiver, "/digest-down")
    receiver.answers["/digest-down"] = [500] * MAX_ATTEMPTS
    await setup.preferences.save(OWNER, _prefs(digest_at="07:00"))
    await _task(setup, OWNER, "Overdue", datetime(2026, 3, 1, 0, tzinfo=UTC))
    setup.clock.now = datetime(2026, 3, 2, 7, tzinfo=UTC)
    await setup.digests.send_due()
    for _ in range(MAX_ATTEMPTS):
        assert await setup.courier.drain() == 1
        [delivery] = await setup.deliveries()
        setup.clock.now = delivery["next_attempt_at"]
    assert delivery["status"] == DeliveryStatus.FAILED
    [failed] = await setup.outcomes()
    assert failed["event_type"] == "notification.failed"
    assert failed["channel_id"] == channel.id and failed["reminder_id"] is None
    assert await setup.dead_letters.page() == ([], 0)
