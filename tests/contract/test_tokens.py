"""API tokens: shown once and stored hashed, read or read+write, revoked or expired at once,
their last use recorded."""

import hashlib
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.repositories.tables import API_TOKEN
from app.services.accounts import TOUCH_EVERY
from tests.contract.helpers import assert_invalid, assert_not_found
from tests.support.accounts import READ, bearer, log_in, make_token, make_user
from tests.support.api import AppClient
from tests.support.delivery import Clock
from tests.support.tasks import create_task

TOKEN_FIELDS = {"id", "name", "scopes", "created_at", "expires_at", "last_used_at"}


def _tokens(client: httpx.Client) -> list[dict[str, Any]]:
    listing = client.get("/api/tokens")
    assert listing.status_code == 200, listing.text
    tokens: list[dict[str, Any]] = listing.json()
    return tokens


def _moment(value: object) -> datetime:
    assert isinstance(value, str)
    return datetime.fromisoformat(value)


def _stored_hashes(database_url: str) -> list[str]:
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(sa.select(API_TOKEN.c.token_hash))]


def test_a_token_is_shown_once_and_stored_as_its_hash(
    admin_api: AppClient, fresh_database: str
) -> None:
    made = admin_api.post("/api/tokens", json={"name": "my script", "scopes": ["write", "read"]})

    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) == TOKEN_FIELDS | {"token"}
    assert body["name"] == "my script" and body["scopes"] == ["read", "write"]
    assert body["expires_at"] is None and body["last_used_at"] is None
    token = body["token"]
    assert token.startswith("tf_") and len(token) > 40
    listed = next(t for t in _tokens(admin_api) if t["id"] == body["id"])
    assert set(listed) == TOKEN_FIELDS
    assert token not in admin_api.get("/api/tokens").text
    hashes = _stored_hashes(fresh_database)
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert token not in hashes


def test_a_token_authenticates_and_records_its_last_use(admin_api: AppClient, clock: Clock) -> None:
    token = make_token(admin_api, name="used")
    with admin_api.signed_out() as script:
        assert script.get("/api/tasks", headers=bearer(token)).status_code == 200
        first_use = clock.now
        clock.advance(TOUCH_EVERY.total_seconds() / 2)
        assert script.get("/api/tasks", headers=bearer(token)).status_code == 200
        used = next(t for t in _tokens(admin_api) if t["name"] == "used")
        # Written at most once a minute.
        assert _moment(used["last_used_at"]) == first_use
        clock.advance(TOUCH_EVERY.total_seconds())
        assert script.get("/api/tasks", headers=bearer(token)).status_code == 200
        used = next(t for t in _tokens(admin_api) if t["name"] == "used")
        assert _moment(used["last_used_at"]) == clock.now


def test_a_revoked_token_stops_at_once(admin_api: AppClient) -> None:
    token = make_token(admin_api, name="revoked")
    token_id = next(t["id"] for t in _tokens(admin_api) if t["name"] == "revoked")
    with admin_api.signed_out() as script:
        assert script.get("/api/tasks", headers=bearer(token)).status_code == 200

        assert admin_api.delete(f"/api/tokens/{token_id}").status_code == 204

        refused = script.get("/api/tasks", headers=bearer(token))
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert all(t["id"] != token_id for t in _tokens(admin_api))
    assert_not_found(admin_api.delete(f"/api/tokens/{token_id}"), "token", token_id)


def test_an_expired_token_is_refused(admin_api: AppClient, clock: Clock) -> None:
    made = admin_api.post(
        "/api/tokens", json={"name": "short-lived", "scopes": ["read"], "expires_in_days": 2}
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert _moment(made.json()["expires_at"]) == clock.now + timedelta(days=2)
    with admin_api.signed_out() as script:
        clock.advance(2 * 86400 - 1)
        assert script.get("/api/tasks", headers=bearer(token)).status_code == 200
        clock.advance(1)
        assert script.get("/api/tasks", headers=bearer(token)).status_code == 401


def test_a_read_token_reads_but_never_writes(admin_api: AppClient) -> None:
    task = create_task(admin_api, title="only to look at")
    token = make_token(admin_api, READ)
    with admin_api.signed_out() as reader:
        reader.headers.update(bearer(token))
        assert reader.get("/api/tasks").status_code == 200
        assert reader.get(f"/api/tasks/{task['id']}").status_code == 200
        assert reader.get("/api/tokens").status_code == 200
        writes = [
            reader.post("/api/tasks", json={"title": "sneaky"}),
            reader.put(f"/api/tasks/{task['id']}", json={"title": "changed"}),
            reader.delete(f"/api/tasks/{task['id']}"),
            reader.post(f"/api/tasks/{task['id']}/complete"),
            reader.post("/api/tokens", json={"name": "more", "scopes": ["read", "write"]}),
            reader.post("/api/chat", json={"message": "delete everything"}),
        ]
        for refused in writes:
            assert refused.status_code == 403, (refused.request.url, refused.text)
    assert admin_api.get(f"/api/tasks/{task['id']}").json()["title"] == "only to look at"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["write"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["admin"]}, "scopes"),
        ({"name": "x", "scopes": ["read", "read"]}, "scopes"),
        ({"name": "x", "scopes": "read"}, "scopes"),
        ({"name": "x"}, "scopes"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "n" * 101, "scopes": ["read"]}, "name"),
        ({"scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": 3651}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": 1.5}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": True}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "token": "tf_mine"}, "token"),
    ],
)
def test_a_bad_token_request_names_the_field(
    client: AppClient, body: dict[str, object], field: str
) -> None:
    assert_invalid(client.post("/api/tokens", json=body), "body", field)


def test_tokens_are_their_owners_alone(admin_api: AppClient) -> None:
    admins = make_token(admin_api, name="the admin's")
    admins_id = next(t["id"] for t in _tokens(admin_api) if t["name"] == "the admin's")
    someone = make_user(admin_api, "someone")
    with admin_api.signed_out() as theirs:
        assert log_in(theirs, someone).status_code == 200
        assert _tokens(theirs) == []
        assert_not_found(theirs.delete(f"/api/tokens/{admins_id}"), "token", admins_id)
        me = theirs.get("/api/auth/me", headers=bearer(admins)).json()["user"]
        assert me["username"] == "admin"
