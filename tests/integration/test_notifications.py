"""Notifications in Dapr mode: the notifier processor, behind a sidecar of its own and with its
own consumer group, sends each fired reminder once on every channel of its owner (a real SMTP
server, a webhook receiver that checks signatures, an ntfy server, a Web Push service that
checks the VAPID signature against the key the app gives browsers and decrypts); SIGKILLed
while reminders fire, it loses none, and sends twice only what was in flight when it died."""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.accounts import bearer, log_in, make_token, make_user
from tests.support.mail import MailServer
from tests.support.ntfy import NtfyServer
from tests.support.stack import Stack
from tests.support.tasks import create_task, eventually, unique
from tests.support.webhooks import WebhookReceiver
from tests.support.webpush import PushService

Record = Callable[[str], None]


@pytest.fixture
def notifier_mails(stack: Stack, stack_smtp: MailServer) -> Stack:
    """The stack, its notifier mailing through the test SMTP server (a stack that was already
    running may have been started without it)."""
    if stack.environment_of("notifier").get("TASKFLOW_SMTP_URL") != stack_smtp.url:
        stack.kill("notifier")
        stack.start("notifier")
    return stack


@pytest.fixture
def notifier_pushes(notifier_mails: Stack, stack_push: PushService) -> Stack:
    """The stack, its notifier trusting the test push service's certificate."""
    if notifier_mails.environment_of("notifier").get("SSL_CERT_FILE") != str(stack_push.trust_path):
        notifier_mails.kill("notifier")
        notifier_mails.start("notifier")
    return notifier_mails


@pytest.fixture
def person(notifier_mails: Stack) -> Iterator[httpx.Client]:
    """A new user of the stack's app (their own channels), with a read-write token."""
    with notifier_mails.client() as admin:
        credentials = make_user(admin, unique("n"))
    with httpx.Client(base_url=notifier_mails.app_url, timeout=30) as client:
        assert log_in(client, credentials).status_code == 200
        token = make_token(client)
        client.cookies.clear()
        client.headers.update(bearer(token))
        yield client


class Channels:
    """One channel of each kind for `person`, and what each one received."""

    def __init__(
        self,
        person: httpx.Client,
        smtp: MailServer,
        receiver: WebhookReceiver,
        ntfy: NtfyServer,
    ) -> None:
        self.address = f"{unique('r')}@example.org"
        self.path = f"/{unique('hook')}"
        self.topic = unique("topic")
        self._smtp, self._receiver, self._ntfy = smtp, receiver, ntfy
        for kind, target in (
            ("email", self.address),
            ("webhook", receiver.url(self.path)),
            ("ntfy", ntfy.topic_url(self.topic)),
        ):
            response = person.post("/api/channels", json={"type": kind, "target": target})
            assert response.status_code == 201, response.text
            if kind == "webhook":
                receiver.secrets[self.path] = response.json()["secret"]

    def received(self) -> dict[str, Counter[str]]:
        """Per channel, how often each task title arrived."""
        mails = [m for m in list(self._smtp.received) if m["To"] == self.address]
        hooks = [h for h in list(self._receiver.received) if h.path == self.path]
        assert all(hook.verified for hook in hooks)
        return {
            "email": Counter(str(mail["Subject"]).split(": ", 1)[1] for mail in mails),
            "webhook": Counter(hook.body["task"]["title"] for hook in hooks),
            "ntfy": Counter(
                message["title"].split(": ", 1)[1] for message in self._ntfy.poll(self.topic)
            ),
        }


def reminders_due(
    person: httpx.Client, tag: str, first: datetime, count: int, every: float
) -> list[str]:
    """`count` tasks whose reminders fire `every` seconds from `first` on; their titles."""
    titles = []
    for n in range(count):
        at = first + timedelta(seconds=every * n)
        title = f"{tag} reminder {n}"
        create_task(
            person,
            title=title,
            due_date=(at + timedelta(minutes=1)).isoformat(),
            reminder_offset="1 minute",
        )
        titles.append(title)
    return titles


def test_a_fired_reminder_reaches_every_channel_once(
    person: httpx.Client,
    stack_smtp: MailServer,
    receiver: WebhookReceiver,
    ntfy: NtfyServer,
    figures: Record,
) -> None:
    channels = Channels(person, stack_smtp, receiver, ntfy)
    first = datetime.now(UTC) + timedelta(seconds=5)
    titles = reminders_due(person, unique("t"), first, 3, 2)
    expected = Counter(titles)

    eventually(lambda: all(got == expected for got in channels.received().values()), 60)
    late = (datetime.now(UTC) - first).total_seconds()
    figures(f"3 reminders, 2 s apart, on 3 channels: all received {late:.1f} s after the first")
    time.sleep(3)
    assert all(got == expected for got in channels.received().values()), channels.received()


def test_a_fired_reminder_is_pushed_signed_with_the_key_the_app_gives(
    notifier_pushes: Stack, person: httpx.Client, stack_push: PushService
) -> None:
    subscription = stack_push.subscribe()
    made = person.post("/api/channels", json=subscription.channel())
    assert made.status_code == 201, made.text
    [title] = reminders_due(person, unique("p"), datetime.now(UTC) + timedelta(seconds=3), 1, 0)

    [pushed] = stack_push.wait_for(subscription, 1, timeout=60)
    assert pushed.problem is None, pushed.problem
    assert pushed.message is not None and pushed.message["title"] == f"Reminder: {title}"
    key = person.get("/api/channels/webpush-key").json()["public_key"]
    assert pushed.server_key == key


def test_the_notifier_killed_while_reminders_fire_loses_none(
    notifier_mails: Stack,
    person: httpx.Client,
    stack_smtp: MailServer,
    receiver: WebhookReceiver,
    ntfy: NtfyServer,
    figures: Record,
) -> None:
    channels = Channels(person, stack_smtp, receiver, ntfy)
    first = datetime.now(UTC) + timedelta(seconds=10)
    titles = reminders_due(person, unique("k"), first, 20, 2)
    time.sleep(max(0.0, (first - datetime.now(UTC)).total_seconds()) + 9)

    notifier_mails.kill("notifier")
    killed = time.monotonic()
    # What the notifier sent before it died; some of it maybe not yet marked as delivered.
    before = channels.received()
    time.sleep(20)
    notifier_mails.start("notifier")
    back = time.monotonic() - killed

    expected = Counter(titles)

    def all_arrived() -> bool:
        return all(set(got) >= set(expected) for got in channels.received().values())

    eventually(all_arrived, 180)
    time.sleep(3)
    after = channels.received()
    lost = {kind: sorted(set(expected) - set(got)) for kind, got in after.items()}
    doubled = {kind: sorted(t for t, n in got.items() if n > 1) for kind, got in after.items()}
    figures(
        f"notifier down {back:.1f} s; before the kill {sum(map(len, before.values()))} of "
        f"{3 * len(titles)} sent; lost {lost}; doubled {doubled}"
    )
    assert not any(lost.values()), lost
    # A second copy only of what had arrived before the kill (sent, not yet marked), and no
    # more than was in flight: one reminder fires every 2 s.
    for kind, titles_twice in doubled.items():
        assert set(titles_twice) <= set(before[kind]), (kind, titles_twice)
    assert sum(map(len, doubled.values())) <= 3, doubled


def test_the_notifier_mails_a_daily_digest_once(
    notifier_mails: Stack, person: httpx.Client, stack_smtp: MailServer
) -> None:
    title = unique("overdue")
    create_task(person, title=title, due_date=(datetime.now(UTC) - timedelta(hours=1)).isoformat())
    address = f"{unique('d')}@example.org"
    made = person.post("/api/channels", json={"type": "email", "target": address})
    assert made.status_code == 201, made.text
    # Due from midnight on: whatever the hour, today's digest is due as soon as it is set.
    chosen = person.put("/api/me/preferences", json={"time_zone": "UTC", "digest_at": "00:00"})
    assert chosen.status_code == 200, chosen.text

    def digests() -> list[str]:
        return [str(m["Subject"]) for m in list(stack_smtp.received) if m["To"] == address]

    [subject] = eventually(digests, 90)
    assert subject.startswith("TaskFlow: 1 overdue"), subject
    time.sleep(5)
    assert len(digests()) == 1, digests()
