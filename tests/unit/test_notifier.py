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
from app.ports import Sender
from app.repositories.deliveries import DeliveryRepository
from app.repositories.tables import DEAD_LETTER, NOTIFICATION_CHANNEL, NOTIFICATION_DELIVERY, OUTBOX
from app.services.action_links import LINK_PATH, ActionLinks
from app.services.channels import ChannelService
from app.services.dead_letters import DeadLetterService
from app.services.notifier import Courier
from app.services.reminders import ReminderService
from app.services.tasks import TaskService
from tests.support.delivery import Clock
from tests.support.mail import MailServer, bodies
from tests.support.owners import OWNER, STRANGER
from tests.support.servers import free_port
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
            ChannelType.WEBHOOK: WebhookPoster(clock, TIMEOUT_SECONDS, targets),
        }
        self.channels = ChannelService(sql, self.senders, "UTC", targets, clock)
        self.links = ActionLinks(sql, self.tasks, self.reminders, PUBLIC_URL, "UTC", clock)
        self.courier = self.new_courier()

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
        for table in (NOTIFICATION_DELIVERY, NOTIFICATION_CHANNEL, DEAD_LETTER):
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
        while getattr(running.get_coro().cr_await, "__name__", "") != "wait":  # type: ignore[union-attr]
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
