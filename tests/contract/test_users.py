"""Admins manage users: make them, list them, delete them with everything they own. Nobody
else may."""

import httpx
import pytest
import sqlalchemy as sa

from app.repositories.tables import API_TOKEN, APP_USER, USER_SESSION
from tests.contract.helpers import assert_invalid, assert_not_found
from tests.support.accounts import Credentials, bearer, log_in, make_token, make_user
from tests.support.api import AppClient

USER_FIELDS = {"id", "username", "display_name", "is_admin", "created_at"}


def _rows_of(database_url: str, user_id: int) -> dict[str, int]:
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    with engine.connect() as connection:
        return {
            table.name: connection.execute(
                sa.select(sa.func.count()).select_from(table).where(column == user_id)
            ).scalar_one()
            for table, column in [
                (APP_USER, APP_USER.c.id),
                (USER_SESSION, USER_SESSION.c.user_id),
                (API_TOKEN, API_TOKEN.c.user_id),
            ]
        }


def test_an_admin_makes_and_lists_users(admin_api: AppClient) -> None:
    made = admin_api.post(
        "/api/users",
        json={"username": "Bob.Smith", "password": "bobs-password", "display_name": "Bob"},
    )

    assert made.status_code == 201, made.text
    bob = made.json()
    assert set(bob) == USER_FIELDS
    assert bob["username"] == "bob.smith" and bob["display_name"] == "Bob"
    assert bob["is_admin"] is False
    listed = admin_api.get("/api/users")
    assert listed.status_code == 200
    assert [u["username"] for u in listed.json()] == ["admin", "bob.smith"]
    with admin_api.signed_out() as theirs:
        assert log_in(theirs, Credentials("BOB.smith", "bobs-password")).status_code == 200


def test_an_admin_can_make_another_admin(admin_api: AppClient) -> None:
    second = make_user(admin_api, "second-admin", is_admin=True)
    with admin_api.signed_out() as theirs:
        assert log_in(theirs, second).status_code == 200
        assert theirs.get("/api/users").status_code == 200


def test_a_username_is_taken_whatever_its_case(admin_api: AppClient) -> None:
    make_user(admin_api, "carol")
    again = admin_api.post("/api/users", json={"username": "CAROL", "password": "x" * 12})
    assert again.status_code == 409, again.text
    assert "carol" in again.json()["detail"]


def test_others_may_not_manage_users(admin_api: AppClient) -> None:
    someone = make_user(admin_api, "someone")
    admin_id = admin_api.get("/api/auth/me").json()["user"]["id"]
    with admin_api.signed_out() as theirs:
        assert log_in(theirs, someone).status_code == 200
        refusals = [
            theirs.get("/api/users"),
            theirs.post("/api/users", json={"username": "mine", "password": "y" * 12}),
            theirs.delete(f"/api/users/{admin_id}"),
        ]
        for refused in refusals:
            assert refused.status_code == 403, (refused.request.url, refused.text)
    assert [u["username"] for u in admin_api.get("/api/users").json()] == ["admin", "someone"]


def test_deleting_a_user_deletes_their_sessions_and_tokens(
    admin_api: AppClient, fresh_database: str
) -> None:
    doomed = make_user(admin_api, "doomed")
    with admin_api.signed_out() as theirs:
        assert log_in(theirs, doomed).status_code == 200
        user_id = theirs.get("/api/auth/me").json()["user"]["id"]
        token = make_token(theirs)
        assert _rows_of(fresh_database, user_id) == {
            "app_user": 1,
            "user_session": 1,
            "api_token": 1,
        }

        assert admin_api.delete(f"/api/users/{user_id}").status_code == 204

        assert _rows_of(fresh_database, user_id) == {
            "app_user": 0,
            "user_session": 0,
            "api_token": 0,
        }
        assert theirs.get("/api/tasks").status_code == 401
        assert theirs.get("/api/tasks", headers=bearer(token)).status_code == 401
        assert log_in(theirs, doomed).status_code == 401
    assert_not_found(admin_api.delete(f"/api/users/{user_id}"), "user", user_id)


def test_an_admin_cannot_delete_themselves(admin_api: AppClient) -> None:
    admin_id = admin_api.get("/api/auth/me").json()["user"]["id"]
    refused = admin_api.delete(f"/api/users/{admin_id}")
    assert refused.status_code == 409, refused.text
    assert admin_api.get("/api/auth/me").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "x", "password": "long-enough-pw"}, "username"),
        ({"username": "with space", "password": "long-enough-pw"}, "username"),
        ({"username": "dave", "password": "too-short"}, "password"),
        ({"username": "dave", "password": "long-enough-pw", "is_admin": "yes"}, "is_admin"),
        ({"username": "dave", "password": "long-enough-pw", "id": 7}, "id"),
    ],
)
def test_a_bad_user_names_the_field(
    client: httpx.Client, body: dict[str, object], field: str
) -> None:
    assert_invalid(client.post("/api/users", json=body), "body", field)


@pytest.mark.parametrize("user_id", ["0", "-1", "abc", str(2**31)])
def test_impossible_user_ids_are_refused(client: httpx.Client, user_id: str) -> None:
    answer = client.delete(f"/api/users/{user_id}")
    assert answer.status_code in (404, 422), answer.text


def test_only_admins_see_the_dead_letters_of_every_user(admin_api: AppClient) -> None:
    someone = make_user(admin_api, "someone")
    assert admin_api.get("/api/dead-letters").status_code == 200
    with admin_api.signed_out() as theirs:
        assert log_in(theirs, someone).status_code == 200
        assert theirs.get("/api/dead-letters").status_code == 403
