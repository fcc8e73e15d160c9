"""Contract of /api/me/preferences: each user reads and replaces their own time zone, quiet
hours and digest time; a bad zone or time of day gets 422 naming the field, never a 500. With
a real SMTP server on loopback: a reminder in quiet hours is not mailed, and the mail gives the
due time in the user's zone."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.contract.helpers import assert_invalid, audit_of
from tests.support.accounts import READ, bearer, make_token
from tests.support.api import AppClient, api_client, sign_in
from tests.support.databases import migrated_database
from tests.support.mail import MailServer, bodies
from tests.support.tasks import create_task, eventually, unique

PATH = "/api/me/preferences"
NONE_SET = {"time_zone": None, "quiet_from": None, "quiet_to": None, "digest_at": None}


PAST = "2020-01-01T09:00:00Z"
# How long a test waits for a mail that must not come.
QUIET_SECONDS = 2.0


@pytest.fixture
def person(client: AppClient) -> Iterator[AppClient]:
    """A client of a new user of the API, with a read-write token."""
    person = sign_in(client, unique("p")).client
    yield person
    person.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def mailing(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smtp: MailServer
) -> Iterator[AppClient]:
    """The API with mail configured, on a database of its own."""
    folder: Path = tmp_path_factory.mktemp("preferences")
    with (
        migrated_database(request.param, folder, "taskflow_preferences") as url,
        api_client(url, TASKFLOW_SMTP_URL=smtp.url, TASKFLOW_MAIL_FROM="t@taskflow.test") as api,
    ):
        yield api


@pytest.fixture
def mailed(mailing: AppClient) -> Iterator[AppClient]:
    """A new user of the API with mail, with an email channel to `<their name>@example.org`."""
    person = sign_in(mailing, unique("p")).client
    response = person.post("/api/channels", json={"type": "email", "target": _address(person)})
    assert response.status_code == 201, response.text
    yield person
    person.close()


def _address(person: AppClient) -> str:
    return f"{person.get('/api/auth/me').json()['user']['username']}@example.org"


def _mails_to(smtp: MailServer, address: str) -> list[Any]:
    return [mail for mail in list(smtp.received) if mail["To"] == address]


def _put(client: AppClient, body: dict[str, Any]) -> Any:
    response = client.put(PATH, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_new_user_has_none_set(person: AppClient) -> None:
    response = person.get(PATH)
    assert response.status_code == 200, response.text
    assert response.json() == NONE_SET


def test_preferences_are_saved_read_back_and_replaced_whole(person: AppClient) -> None:
    saved = {
        "time_zone": "America/New_York",
        "quiet_from": "22:30",
        "quiet_to": "07:00",
        "digest_at": "06:45",
    }
    assert _put(person, saved) == saved
    assert person.get(PATH).json() == saved
    # A field left out is cleared.
    assert _put(person, {"time_zone": "Asia/Tokyo"}) == {**NONE_SET, "time_zone": "Asia/Tokyo"}
    assert _put(person, {}) == NONE_SET
    assert person.get(PATH).json() == NONE_SET


def test_each_user_has_their_own(person: AppClient, client: AppClient) -> None:
    _put(person, {"digest_at": "08:00"})
    assert person.get(PATH).json()["digest_at"] == "08:00"
    assert client.get(PATH).json()["digest_at"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "x" * 100}, "time_zone"),
        ({"time_zone": 5}, "time_zone"),
        ({"digest_at": "25:00"}, "digest_at"),
        ({"digest_at": "7:30"}, "digest_at"),
        ({"digest_at": 730}, "digest_at"),
        ({"digest_at": "07:30\x00"}, "digest_at"),
        ({"quiet_from": "22:00"}, "quiet_to"),
        ({"quiet_to": "07:00"}, "quiet_to"),
        ({"quiet_from": "07:00", "quiet_to": "07:00"}, "quiet_to"),
        ({"quiet_from": "noon", "quiet_to": "07:00"}, "quiet_from"),
        ({"quiet_from": "22:00", "quiet_to": "7"}, "quiet_to"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_value_gets_422_naming_the_field(
    person: AppClient, body: dict[str, Any], field: str
) -> None:
    _put(person, {"digest_at": "09:00"})
    assert_invalid(person.put(PATH, json=body), "body", field)
    assert person.get(PATH).json()["digest_at"] == "09:00"


def test_the_messages_say_what_is_wrong(person: AppClient) -> None:
    detail = person.put(PATH, json={"quiet_from": "22:00", "digest_at": "9"}).json()["detail"]
    messages = {error["loc"][-1]: error["msg"] for error in detail}
    assert "HH:MM" in messages["digest_at"]
    assert "both" in messages["quiet_to"]
    detail = person.put(PATH, json={"time_zone": "Berlin"}).json()["detail"]
    assert "IANA" in detail[0]["msg"]


def test_not_json_or_not_an_object_is_refused(person: AppClient) -> None:
    response = person.put(PATH, content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert person.put(PATH, json=["07:00"]).status_code == 422


def test_a_read_token_reads_but_may_not_change(person: AppClient) -> None:
    reader = make_token(person, READ)
    with person.signed_out() as client:
        client.headers.update(bearer(reader))
        assert client.get(PATH).status_code == 200
        assert client.put(PATH, json={}).status_code == 403


def test_nobody_signed_in_gets_401(person: AppClient) -> None:
    with person.signed_out() as client:
        assert client.get(PATH).status_code == 401
        assert client.put(PATH, json={}).status_code == 401


def test_the_mail_gives_the_due_time_in_the_users_zone(mailed: AppClient, smtp: MailServer) -> None:
    _put(mailed, {"time_zone": "Asia/Tokyo"})
    create_task(mailed, title="Call home", due_date=PAST, reminder_offset="0 minutes")
    [mail] = eventually(lambda: _mails_to(smtp, _address(mailed)), timeout=20)
    # 09:00 UTC on 1 January 2020 is 18:00 in Tokyo; the task's own zone is the server's.
    assert "Due: Wed 1 Jan 2020, 18:00 JST" in bodies(mail)[0]


def test_a_reminder_in_quiet_hours_is_not_mailed_at_once(
    mailed: AppClient, smtp: MailServer
) -> None:
    """Quiet from an hour ago to an hour from now on the clock of Tokyo (whatever the hour)."""
    now = datetime.now(UTC).astimezone(ZoneInfo("Asia/Tokyo"))
    quiet = {
        "time_zone": "Asia/Tokyo",
        "quiet_from": f"{now - timedelta(hours=1):%H:%M}",
        "quiet_to": f"{now + timedelta(hours=1):%H:%M}",
    }
    _put(mailed, quiet)
    task = create_task(mailed, title="Not now", due_date=PAST, reminder_offset="0 minutes")
    # It fired (and its owner's tabs were told), but its mail waits for the end.
    eventually(lambda: audit_of(mailed, task["id"], event_type="reminder.sent")[1], timeout=20)
    time.sleep(QUIET_SECONDS)
    assert _mails_to(smtp, _address(mailed)) == []
    assert audit_of(mailed, task["id"], event_type="notification.delivered")[1] == 0
