"""Contract of /api/me/preferences: each user reads and replaces their own time zone, quiet
hours and digest time; a bad zone or time of day gets 422 naming the field, never a 500."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.contract.helpers import assert_invalid
from tests.support.accounts import READ, bearer, log_in, make_token, make_user
from tests.support.api import AppClient
from tests.support.tasks import unique

PATH = "/api/me/preferences"
NONE_SET = {"time_zone": None, "quiet_from": None, "quiet_to": None, "digest_at": None}


@pytest.fixture
def person(client: AppClient) -> Iterator[AppClient]:
    """A client of a new user, with a read-write token."""
    credentials = make_user(client, unique("p"))
    with client.signed_out() as person:
        assert log_in(person, credentials).status_code == 200
        token = make_token(person)
        person.cookies.clear()
        person.headers.update(bearer(token))
        yield person


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
