"""Contract of Web Push channels: a browser's subscription made a channel over /api/channels,
and what a real push service on loopback receives for it (the VAPID signature checked, the
payload decrypted with the subscription's keys); a subscription the push service says is gone
takes its channel with it."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.contract.helpers import assert_invalid, audit_of
from tests.support.api import AppClient, api_client, sign_in
from tests.support.databases import migrated_database
from tests.support.tasks import Json, create_task, eventually, poll, unique
from tests.support.webpush import PushService, Subscription, b64url, new_subscription, unb64url

PAST = "2020-01-01T09:00:00Z"
CHANNEL_FIELDS = {"id", "type", "target", "created_at"}
SENDER = "TaskFlow <reminders@taskflow.test>"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, push: PushService
) -> Iterator[AppClient]:
    """The API trusting the push service's certificate, pushing to loopback, on a database of
    its own."""
    folder: Path = tmp_path_factory.mktemp("webpush")
    with (
        migrated_database(request.param, folder, "taskflow_webpush") as url,
        api_client(
            url,
            SSL_CERT_FILE=str(push.trust_path),
            TASKFLOW_MAIL_FROM=SENDER,
            TASKFLOW_SMTP_URL="smtp://127.0.0.1:9",
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


def _subscribed(client: httpx.Client, push: PushService) -> tuple[Subscription, Json]:
    """A new subscription of this "browser", made a channel as the settings page makes it."""
    subscription = push.subscribe()
    response = client.post("/api/channels", json=subscription.channel())
    assert response.status_code == 201, response.text
    channel: Json = response.json()
    return subscription, channel


def _channel_ids(client: httpx.Client) -> list[int]:
    response = client.get("/api/channels")
    assert response.status_code == 200, response.text
    return [channel["id"] for channel in response.json()]


def _server_key(client: httpx.Client) -> str:
    response = client.get("/api/channels/webpush-key")
    assert response.status_code == 200, response.text
    key: str = response.json()["public_key"]
    return key


def test_a_subscription_is_a_channel_whose_keys_are_never_shown(
    person: AppClient, push: PushService
) -> None:
    subscription, made = _subscribed(person, push)
    assert set(made) == CHANNEL_FIELDS | {"secret"} and made["secret"] is None
    assert made["type"] == "webpush" and made["target"] == subscription.endpoint
    listing = person.get("/api/channels")
    assert [set(channel) for channel in listing.json()] == [CHANNEL_FIELDS]
    assert subscription.keys()["p256dh"] not in listing.text
    assert subscription.keys()["auth"] not in listing.text


def test_the_server_key_is_one_p256_point_for_every_user(api: AppClient, person: AppClient) -> None:
    key = _server_key(person)
    point = unb64url(key)
    assert len(point) == 65 and point[0] == 4
    assert _server_key(api) == key
    with api.signed_out() as anonymous:
        assert anonymous.get("/api/channels/webpush-key").status_code == 401


GOOD = new_subscription("https://push.example.net/send/1").keys()


@pytest.mark.parametrize(
    ("change", "loc", "says"),
    [
        ({"keys": None}, ("keys",), "required"),
        ({"keys": {"auth": GOOD["auth"]}}, ("keys", "p256dh"), ""),
        ({"keys": {**GOOD, "p256dh": b64url(b"\x04" + b"\x01" * 64)}}, ("keys", "p256dh"), "P-256"),
        ({"keys": {**GOOD, "auth": b64url(b"a" * 12)}}, ("keys", "auth"), "16 bytes"),
        ({"keys": {**GOOD, "extra": "x"}}, ("keys", "extra"), ""),
        ({"target": "http://push.example.net/send/1"}, ("target",), "https://"),
        ({"type": "webhook", "target": "https://hooks.example.org/1"}, ("keys",), "webpush"),
    ],
)
def test_a_subscription_that_cannot_work_is_422_naming_the_field(
    person: AppClient, push: PushService, change: Json, loc: tuple[str, ...], says: str
) -> None:
    response = person.post("/api/channels", json={**push.subscribe().channel(), **change})
    assert_invalid(response, "body", *loc)
    assert says in response.text
    assert _channel_ids(person) == []


def test_a_channel_test_is_pushed_signed_and_encrypted(
    person: AppClient, push: PushService
) -> None:
    subscription, channel = _subscribed(person, push)
    assert person.post(f"/api/channels/{channel['id']}/test").status_code == 202
    [pushed] = push.at(subscription)
    assert pushed.problem is None, pushed.problem
    assert pushed.server_key == _server_key(person)
    assert pushed.claims is not None and pushed.claims["sub"] == "mailto:reminders@taskflow.test"
    assert pushed.message is not None
    assert pushed.message["title"] == "TaskFlow: a test notification"
    assert "the channel works" in pushed.message["body"]
    assert pushed.headers["urgency"] == "normal" and int(pushed.headers["ttl"]) > 0

    push.answers[pushed.path] = [503]
    refused = person.post(f"/api/channels/{channel['id']}/test")
    assert refused.status_code == 502, refused.text
    assert "answered 503" in refused.json()["detail"]
    assert _channel_ids(person) == [channel["id"]]


def test_a_fired_reminder_is_pushed_with_its_links(person: AppClient, push: PushService) -> None:
    subscription, channel = _subscribed(person, push)
    task = create_task(
        person,
        title="Water the plants",
        due_date=PAST,
        timezone="America/New_York",
        reminder_offset="1 hour",
        priority="high",
    )

    [pushed] = push.wait_for(subscription, 1)
    assert pushed.problem is None, pushed.problem
    assert pushed.headers["urgency"] == "high"
    message = pushed.message
    assert message is not None
    assert message["title"] == "Reminder (late): Water the plants"
    # 09:00 UTC on 1 January 2020 is 04:00 in New York (EST).
    assert "Due: Wed 1 Jan 2020, 04:00 EST" in message["body"]
    assert message["task_id"] == task["id"]
    actions = message["actions"]
    assert [link["action"] for link in actions][:2] == ["done", "snooze-10m"]
    [delivered] = eventually(
        lambda: audit_of(person, task["id"], event_type="notification.delivered")[0], timeout=20
    )
    assert delivered["data"]["channel_type"] == "webpush"
    assert delivered["data"]["channel_id"] == channel["id"]

    # The notification's Done button: the service worker POSTs to the link.
    done = person.post(httpx.URL(actions[0]["url"]).path)
    assert done.status_code == 200, done.text
    assert person.get(f"/api/tasks/{task['id']}").json()["status"] == "completed"


def test_a_gone_subscription_removes_its_channel(person: AppClient, push: PushService) -> None:
    subscription, channel = _subscribed(person, push)
    push.answers[subscription.endpoint.removeprefix(push.base_url)] = [410]
    task = create_task(person, due_date=PAST, reminder_offset="0 minutes")

    [failed] = eventually(
        lambda: audit_of(person, task["id"], event_type="notification.failed")[0], timeout=20
    )
    assert failed["data"]["channel_id"] == channel["id"] and failed["data"]["attempts"] == 1
    assert "answered 410" in failed["data"]["error"]
    assert poll(lambda: _channel_ids(person), lambda ids: ids == [], timeout=10) == []
    assert len(push.at(subscription)) == 1

    # A test that finds the subscription gone removes the channel too.
    again, other = _subscribed(person, push)
    push.answers[again.endpoint.removeprefix(push.base_url)] = [404]
    refused = person.post(f"/api/channels/{other['id']}/test")
    assert refused.status_code == 502, refused.text
    assert "gone" in refused.json()["detail"]
    assert _channel_ids(person) == []


def _renewal(old: Subscription, new: Subscription) -> Json:
    """What the service worker sends when the browser replaced `old` with `new`."""
    return {
        "old": {"endpoint": old.endpoint, "keys": old.keys()},
        "new": {"endpoint": new.endpoint, "keys": new.keys()},
    }


def test_a_renewed_subscription_takes_the_old_ones_place_without_a_sign_in(
    api: AppClient, person: AppClient, push: PushService
) -> None:
    old, channel = _subscribed(person, push)
    new = push.subscribe()
    with api.signed_out() as worker:
        assert worker.post("/api/push-renewals", json=_renewal(old, new)).status_code == 204
        # The old subscription is nobody's now: the same renewal again finds nothing.
        again = worker.post("/api/push-renewals", json=_renewal(old, push.subscribe()))
    assert again.status_code == 404, again.text
    [renewed] = person.get("/api/channels").json()
    assert (renewed["id"], renewed["target"]) == (channel["id"], new.endpoint)

    assert person.post(f"/api/channels/{channel['id']}/test").status_code == 202
    [pushed] = push.at(new)
    assert pushed.problem is None and pushed.message is not None, pushed.problem
    assert push.at(old) == []


def test_a_renewal_without_the_old_subscriptions_secret_changes_nothing(
    api: AppClient, person: AppClient, push: PushService
) -> None:
    old, channel = _subscribed(person, push)
    stranger = push.subscribe()
    forged = _renewal(old, stranger)
    forged["old"]["keys"] = stranger.keys()  # the endpoint, known, but not the auth secret
    with api.signed_out() as worker:
        for body in (forged, _renewal(push.subscribe(), stranger)):
            refused = worker.post("/api/push-renewals", json=body)
            assert refused.status_code == 404, refused.text
            assert "push channel" in refused.json()["detail"]
    [kept] = person.get("/api/channels").json()
    assert (kept["id"], kept["target"]) == (channel["id"], old.endpoint)


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"new": None}, ("new",)),
        ({"new": {"endpoint": "https://push.example.net/send/2"}}, ("new", "keys")),
        (
            {"new": {"endpoint": "http://push.example.net/send/2", "keys": GOOD}},
            ("new", "endpoint"),
        ),
        (
            {"new": {"endpoint": "https://push.example.net/2", "keys": {**GOOD, "auth": "x"}}},
            ("new", "keys", "auth"),
        ),
        ({"old": {"endpoint": "", "keys": GOOD}}, ("old", "endpoint")),
        ({"extra": 1}, ("extra",)),
    ],
)
def test_a_renewal_that_cannot_work_is_422_naming_the_field(
    api: AppClient, person: AppClient, push: PushService, change: Json, loc: tuple[str, ...]
) -> None:
    old, _ = _subscribed(person, push)
    with api.signed_out() as worker:
        response = worker.post(
            "/api/push-renewals", json={**_renewal(old, push.subscribe()), **change}
        )
    assert_invalid(response, "body", *loc)
    [kept] = person.get("/api/channels").json()
    assert kept["target"] == old.endpoint
