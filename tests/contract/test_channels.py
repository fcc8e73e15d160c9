"""Contract of /api/channels, and of the notifications a fired reminder sends on them: a real
SMTP server and a real webhook receiver on loopback, each fired reminder once on every channel
of its owner, every outcome in the task's audit trail, a failure retried and then set aside
where an operator sees it."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.domain.notifications import MAX_ATTEMPTS
from app.repositories.channels import MAX_CHANNELS
from tests.contract.helpers import MISSING_ID, assert_invalid, assert_not_found, audit_of
from tests.support.accounts import READ, bearer, make_token
from tests.support.api import AppClient, api_client, sign_in
from tests.support.databases import migrated_database, migrated_sqlite_url
from tests.support.mail import MailServer, bodies
from tests.support.ntfy import NtfyServer
from tests.support.tasks import Json, create_task, eventually, poll, unique
from tests.support.webhooks import WebhookReceiver

CHANNEL_FIELDS = {"id", "type", "target", "created_at"}
SENDER = "TaskFlow <reminders@taskflow.test>"
PAST = "2020-01-01T09:00:00Z"
# How long a test waits for what must not come (a second delivery).
QUIET_SECONDS = 2.0


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def api(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    smtp: MailServer,
) -> Iterator[AppClient]:
    """The API with mail configured, quick retries, and webhooks allowed to private addresses
    (the receiver is on loopback), on a database of its own."""
    folder: Path = tmp_path_factory.mktemp("channels")
    with (
        migrated_database(request.param, folder, "taskflow_channels") as url,
        api_client(
            url,
            TASKFLOW_SMTP_URL=smtp.url,
            TASKFLOW_MAIL_FROM=SENDER,
            TASKFLOW_NOTIFY_RETRY_SECONDS="0.05",
            TASKFLOW_NOTIFY_ALLOW_PRIVATE="1",
        ) as client,
    ):
        yield client


@pytest.fixture
def person(api: AppClient) -> Iterator[AppClient]:
    """A client of a new user of the API, with a read-write token (channels of their own)."""
    client = sign_in(api, unique("u")).client
    yield client
    client.close()


def _create(client: httpx.Client, kind: str, target: str) -> Json:
    response = client.post("/api/channels", json={"type": kind, "target": target})
    assert response.status_code == 201, response.text
    channel: Json = response.json()
    return channel


def _webhook(client: httpx.Client, receiver: WebhookReceiver, path: str) -> Json:
    channel = _create(client, "webhook", receiver.url(path))
    receiver.secrets[path] = channel["secret"]
    return channel


def _ntfy(client: httpx.Client, ntfy: NtfyServer, token: str | None = None) -> Json:
    """A channel to a new topic of the ntfy server, which needs `token` when one is given."""
    topic = unique("topic")
    if token is not None:
        ntfy.tokens[topic] = token
    response = client.post(
        "/api/channels", json={"type": "ntfy", "target": ntfy.topic_url(topic), "token": token}
    )
    assert response.status_code == 201, response.text
    channel: Json = response.json()
    return channel


def _published(channel: Json) -> list[Json]:
    """What a subscriber of the channel's ntfy topic reads, as ntfy's clients poll it."""
    response = httpx.get(f"{channel['target']}/json", params={"poll": 1}, timeout=10)
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def _channels(client: httpx.Client) -> list[Json]:
    response = client.get("/api/channels")
    assert response.status_code == 200, response.text
    channels: list[Json] = response.json()
    return channels


def _mails_to(smtp: MailServer, address: str) -> list[Any]:
    return [mail for mail in list(smtp.received) if mail["To"] == address]


def _hooks_at(receiver: WebhookReceiver, path: str) -> list[Any]:
    return [hook for hook in list(receiver.received) if hook.path == path]


def test_an_email_channel_is_made_listed_and_removed(person: AppClient) -> None:
    made = _create(person, "email", "Me@Example.org")
    assert set(made) == CHANNEL_FIELDS | {"secret"}
    assert made["type"] == "email" and made["target"] == "Me@example.org"
    assert made["secret"] is None
    listed = _channels(person)
    assert listed == [{name: made[name] for name in CHANNEL_FIELDS}]

    assert person.delete(f"/api/channels/{made['id']}").status_code == 204
    assert _channels(person) == []
    assert_not_found(person.delete(f"/api/channels/{made['id']}"), "channel", made["id"])


def test_an_ntfy_channel_keeps_its_token_to_itself(person: AppClient, ntfy: NtfyServer) -> None:
    made = _ntfy(person, ntfy, token="tk_" + "a1" * 14 + "b")
    assert made["type"] == "ntfy" and made["secret"] is None
    assert "tk_" not in person.get("/api/channels").text
    trailing = _create(person, "ntfy", "https://ntfy.example.org/Reminders_1/")
    assert trailing["target"] == "https://ntfy.example.org/Reminders_1"


def test_a_webhook_channel_shows_its_secret_once(person: AppClient) -> None:
    made = _create(person, "webhook", "https://hooks.example.org/taskflow?x=1")
    secret = made["secret"]
    assert isinstance(secret, str) and len(secret) == 64 and int(secret, 16) >= 0
    assert made["target"] == "https://hooks.example.org/taskflow?x=1"
    listing = person.get("/api/channels")
    assert secret not in listing.text
    assert [set(channel) for channel in listing.json()] == [CHANNEL_FIELDS]


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"type": "pager", "target": "x"}, "type", ""),
        ({"type": "ntfy", "target": "https://ntfy.sh"}, "target", "ntfy topic"),
        ({"type": "ntfy", "target": "https://ntfy.sh/a/b c"}, "target", "http"),
        ({"type": "ntfy", "target": "https://ntfy.sh/mine?x=1"}, "target", "ntfy topic"),
        ({"type": "ntfy", "target": "https://ntfy.sh/" + "t" * 65}, "target", "ntfy topic"),
        ({"type": "ntfy", "target": "https://ntfy.sh/mine", "token": "tk a"}, "token", "spaces"),
        ({"type": "ntfy", "target": "https://ntfy.sh/mine", "token": "t" * 65}, "token", ""),
        ({"type": "email", "target": "me@example.org", "token": "tk_1"}, "token", "ntfy"),
        ({"type": "webpush", "target": "https://push.example"}, "keys", "required"),
        ({"type": "email", "target": "not an address"}, "target", "email address"),
        ({"type": "email", "target": "me@localhost"}, "target", "email address"),
        ({"type": "webhook", "target": "ftp://example.org/x"}, "target", "http"),
        ({"type": "webhook", "target": "https://"}, "target", "http"),
        ({"type": "webhook", "target": "http://example.org:99999/"}, "target", "http"),
        ({"type": "webhook", "target": "https://example.org/" + "x" * 500}, "target", ""),
        ({"type": "webhook"}, "target", ""),
        ({"type": "webhook", "target": "https://example.org", "secret": "mine"}, "secret", ""),
    ],
)
def test_a_channel_that_cannot_work_is_422_naming_the_field(
    person: AppClient, body: Json, field: str, says: str
) -> None:
    response = person.post("/api/channels", json=body)
    assert_invalid(response, "body", field)
    assert says in response.text
    assert _channels(person) == []


def test_email_is_refused_where_no_smtp_server_is_configured(tmp_path: Path) -> None:
    with api_client(
        migrated_sqlite_url(tmp_path), TASKFLOW_SMTP_URL="", TASKFLOW_NOTIFY_ALLOW_PRIVATE="1"
    ) as bare:
        response = bare.post("/api/channels", json={"type": "email", "target": "me@example.org"})
        assert_invalid(response, "body", "type")
        assert "not configured" in response.text
        assert _create(bare, "webhook", "http://127.0.0.1:9/")["type"] == "webhook"


def test_another_users_channel_answers_like_a_missing_one(
    api: AppClient, person: AppClient
) -> None:
    theirs = _create(person, "email", "theirs@example.org")
    for path in (f"/api/channels/{theirs['id']}", f"/api/channels/{MISSING_ID}"):
        ident = int(path.rsplit("/", 1)[1])
        assert_not_found(api.delete(path), "channel", ident)
        assert_not_found(api.post(f"{path}/test"), "channel", ident)
    assert theirs["id"] not in {channel["id"] for channel in _channels(api)}
    assert [channel["id"] for channel in _channels(person)] == [theirs["id"]]


def test_a_read_token_lists_channels_but_changes_none(person: AppClient) -> None:
    made = _create(person, "email", "me@example.org")
    with person.signed_out() as reader:
        reader.headers.update(bearer(make_token(person, READ)))
        assert len(_channels(reader)) == 1
        assert (
            reader.post("/api/channels", json={"type": "email", "target": "a@b.cd"}).status_code
            == 403
        )
        assert reader.delete(f"/api/channels/{made['id']}").status_code == 403
        assert reader.post(f"/api/channels/{made['id']}/test").status_code == 403
    assert person.get("/api/channels").json() == [{k: made[k] for k in CHANNEL_FIELDS}]


def test_a_channel_test_is_sent_at_once(
    person: AppClient, smtp: MailServer, receiver: WebhookReceiver
) -> None:
    address = f"{unique('t')}@example.org"
    mail = _create(person, "email", address)
    assert person.post(f"/api/channels/{mail['id']}/test").status_code == 202
    [sent] = eventually(lambda: _mails_to(smtp, address), timeout=10)
    assert sent["Subject"] == "TaskFlow: a test notification"
    assert sent["From"] == SENDER

    path = f"/{unique('test')}"
    hook = _webhook(person, receiver, path)
    assert person.post(f"/api/channels/{hook['id']}/test").status_code == 202
    [received] = eventually(lambda: _hooks_at(receiver, path), timeout=10)
    assert received.verified and received.body["event"] == "channel.test"

    receiver.answers[path] = [503]
    refused = person.post(f"/api/channels/{hook['id']}/test")
    assert refused.status_code == 502, refused.text
    assert "answered 503" in refused.json()["detail"]


def test_an_ntfy_test_is_published_with_its_token(person: AppClient, ntfy: NtfyServer) -> None:
    channel = _ntfy(person, ntfy, token="tk_right")
    assert person.post(f"/api/channels/{channel['id']}/test").status_code == 202
    [message] = _published(channel)
    assert message["title"] == "TaskFlow: a test notification"
    assert "the channel works" in message["message"] and message["priority"] == 3

    ntfy.tokens[channel["target"].rsplit("/", 1)[1]] = "tk_changed"
    refused = person.post(f"/api/channels/{channel['id']}/test")
    assert refused.status_code == 502, refused.text
    assert "answered 401" in refused.json()["detail"]
    assert len(_published(channel)) == 1


def _audited(client: httpx.Client, task_id: int, event_type: str) -> list[Json]:
    entries, _ = audit_of(client, task_id, event_type=event_type)
    return entries


def test_a_fired_reminder_reaches_every_channel_once_and_its_audit_trail(
    person: AppClient, smtp: MailServer, receiver: WebhookReceiver, ntfy: NtfyServer
) -> None:
    address = f"{unique('r')}@example.org"
    mail = _create(person, "email", address)
    path = f"/{unique('hook')}"
    hook = _webhook(person, receiver, path)
    phone = _ntfy(person, ntfy)
    task = create_task(
        person,
        title="Water the plants",
        due_date=PAST,
        timezone="America/New_York",
        reminder_offset="1 hour",
        priority="high",
    )

    [sent] = eventually(lambda: _mails_to(smtp, address), timeout=20)
    assert sent["Subject"] == "Reminder (late): Water the plants"
    text, _ = bodies(sent)
    # 09:00 UTC on 1 January 2020 is 04:00 in New York (EST).
    assert "Due: Wed 1 Jan 2020, 04:00 EST" in text
    [received] = eventually(lambda: _hooks_at(receiver, path), timeout=20)
    assert received.verified
    assert received.body["task"]["id"] == task["id"] and received.body["reminder"]["late"]

    [pushed] = eventually(lambda: _published(phone), timeout=20)
    assert pushed["title"] == "Reminder (late): Water the plants"
    assert pushed["priority"] == 4 and "Due: Wed 1 Jan 2020, 04:00 EST" in pushed["message"]
    buttons = pushed["actions"]
    assert [(b["action"], b["method"]) for b in buttons] == [("http", "POST")] * 3
    assert buttons[0]["label"] == "Mark as done"

    delivered = poll(
        lambda: _audited(person, task["id"], "notification.delivered"),
        lambda found: len(found) == 3,
        timeout=20,
    )
    assert {(e["data"]["channel_id"], e["data"]["channel_type"]) for e in delivered} == {
        (mail["id"], "email"),
        (hook["id"], "webhook"),
        (phone["id"], "ntfy"),
    }
    time.sleep(QUIET_SECONDS)
    assert len(_mails_to(smtp, address)) == 1 and len(_hooks_at(receiver, path)) == 1
    assert len(_published(phone)) == 1

    # The phone's "Mark as done" button: a POST to the link, as ntfy's app sends it.
    done = person.post(httpx.URL(buttons[0]["url"]).path)
    assert done.status_code == 200, done.text
    assert person.get(f"/api/tasks/{task['id']}").json()["status"] == "completed"


def test_a_webhook_that_keeps_failing_is_retried_then_set_aside_visibly(
    api: AppClient, person: AppClient, receiver: WebhookReceiver
) -> None:
    path = f"/{unique('down')}"
    hook = _webhook(person, receiver, path)
    receiver.answers[path] = [500] * MAX_ATTEMPTS
    task = create_task(person, due_date=PAST, reminder_offset="0 minutes")

    [failed] = eventually(lambda: _audited(person, task["id"], "notification.failed"), timeout=30)
    assert failed["data"]["channel_id"] == hook["id"]
    assert failed["data"]["attempts"] == MAX_ATTEMPTS
    assert "answered 500" in failed["data"]["error"]
    hooks = _hooks_at(receiver, path)
    assert len(hooks) == MAX_ATTEMPTS and all(h.verified for h in hooks)

    def set_aside() -> list[Json]:
        letters = api.get("/api/dead-letters", params={"limit": 500}).json()
        return [
            letter
            for letter in letters
            if letter["payload"].get("task_id") == task["id"]
            and f"webhook channel {hook['id']} failed" in letter["error"]
        ]

    [letter] = eventually(set_aside, timeout=10)
    assert letter["payload"]["event_type"] == "reminder.sent"
    assert int(api.get("/health").json()["checks"]["dead_letters"]) >= 1

    # Replayed, the reminder is sent again (the receiver answers now) and nothing else twice.
    assert api.post(f"/api/dead-letters/{letter['id']}/replay").status_code == 200
    eventually(lambda: _audited(person, task["id"], "notification.delivered"), timeout=20)
    assert len(poll(lambda: _hooks_at(receiver, path), timeout=QUIET_SECONDS)) == MAX_ATTEMPTS + 1


def test_a_user_has_at_most_so_many_channels(person: AppClient) -> None:
    for number in range(MAX_CHANNELS):
        _create(person, "webhook", f"https://hooks.example.org/{number}")
    refused = person.post("/api/channels", json={"type": "email", "target": "me@example.org"})
    assert refused.status_code == 409, refused.text
    assert str(MAX_CHANNELS) in refused.json()["detail"]
    assert len(_channels(person)) == MAX_CHANNELS
