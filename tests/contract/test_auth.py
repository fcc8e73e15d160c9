"""Signing up and in: the first run's admin, sessions, the same 401 for every wrong sign-in,
throttled guessing, and no /api route answering without credentials."""

import re

import httpx
import pytest

from app.api.deps import SESSION_COOKIE
from app.services.accounts import FAILURE_WINDOW, FAILURES_PER_CLIENT, FAILURES_PER_USERNAME
from tests.contract.helpers import assert_invalid
from tests.support.accounts import (
    ADMIN,
    Credentials,
    bearer,
    log_in,
    make_token,
    make_user,
    sign_up,
)
from tests.support.api import AppClient, api_client
from tests.support.delivery import Clock

USER_FIELDS = {"id", "username", "display_name", "is_admin", "created_at"}
OWNER = Credentials("owner", "a-long-enough-password")


def _assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, (response.request.url, response.text)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert isinstance(response.json()["detail"], str)


def _protected(client: AppClient) -> list[tuple[str, str]]:
    """Every method and path of the app's /api routes (as its OpenAPI document lists them) but
    /api/auth/* and /api/push-renewals (its body is its credential), ids filled in."""
    found = []
    for path, operations in client.app.openapi()["paths"].items():
        if path.startswith("/api/") and not path.startswith(("/api/auth/", "/api/push-renewals")):
            filled = re.sub(r"\{[^}]+\}", "1", path)
            found += [(method.upper(), filled) for method in sorted(operations)]
    return found


def test_every_api_route_but_auth_needs_credentials(client: AppClient) -> None:
    routes = _protected(client)
    assert ("GET", "/api/tasks") in routes and ("DELETE", "/api/users/1") in routes
    assert len(routes) > 20
    with client.signed_out() as anonymous:
        for method, path in routes:
            _assert_unauthenticated(anonymous.request(method, path, json={}))
        for method, path in [
            ("GET", "/api/auth/me"),
            ("POST", "/api/auth/password"),
            ("POST", "/api/auth/logout-everywhere"),
        ]:
            _assert_unauthenticated(anonymous.request(method, path, json={}))


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer tf_not-a-token"},
        {"Authorization": "Bearer not-even-ours"},
        {"Authorization": "Bearer " + "tf_" + "x" * 5000},
        {"Authorization": "Bearer"},
        {"Cookie": f"{SESSION_COOKIE}=made-up"},
        {"Cookie": f"{SESSION_COOKIE}=" + "y" * 5000},
    ],
    ids=["unknown-token", "foreign-token", "huge-token", "no-token", "bad-cookie", "huge-cookie"],
)
def test_a_wrong_credential_is_a_401(client: AppClient, headers: dict[str, str]) -> None:
    with client.signed_out() as anonymous:
        _assert_unauthenticated(anonymous.get("/api/tasks", headers=headers))


def test_a_non_ascii_authorization_header_is_a_401_not_a_500(client: AppClient) -> None:
    with client.signed_out() as anonymous:
        for raw in ["Bearer tf_é".encode("latin-1"), b"Bearer \xff\xfe", "Bearer tf_✓".encode()]:
            _assert_unauthenticated(anonymous.get("/api/tasks", headers=[(b"Authorization", raw)]))


def test_health_stays_open(client: AppClient) -> None:
    with client.signed_out() as anonymous:
        for path in ["/health", "/health/live", "/health/ready"]:
            assert anonymous.get(path).status_code == 200


def test_the_signed_in_user_is_the_admin(client: AppClient) -> None:
    me = client.get("/api/auth/me")
    assert me.status_code == 200, me.text
    user = me.json()["user"]
    assert set(user) == USER_FIELDS
    assert user["username"] == ADMIN.username and user["is_admin"] is True


def test_a_fresh_install_asks_for_its_first_user_an_admin(first_run: AppClient) -> None:
    assert first_run.get("/api/auth/status").json() == {
        "signup_open": False,
        "needs_first_user": True,
        "oidc": False,
    }
    _assert_unauthenticated(first_run.get("/api/tasks"))

    created = sign_up(first_run, "Owner", OWNER.password)

    assert created.status_code == 201, created.text
    user = created.json()["user"]
    assert user["username"] == "owner" and user["display_name"] == "owner"
    assert user["is_admin"] is True
    # Signed up is signed in: the session cookie came with the answer.
    assert first_run.get("/api/auth/me").json()["user"] == user
    assert first_run.get("/api/tasks").status_code == 200
    assert first_run.get("/api/auth/status").json()["needs_first_user"] is False


def test_signup_is_closed_after_the_first_user(first_run: AppClient) -> None:
    assert sign_up(first_run, OWNER.username, OWNER.password).status_code == 201
    with first_run.signed_out() as stranger:
        refused = sign_up(stranger, "stranger", "another-long-password")
        assert refused.status_code == 403, refused.text
        assert log_in(stranger, Credentials("stranger", "another-long-password")).status_code == 401


def test_open_signup_makes_ordinary_users(fresh_database: str, clock: Clock) -> None:
    with api_client(fresh_database, clock, TASKFLOW_SIGNUP="open") as admin:
        assert admin.get("/api/auth/status").json()["signup_open"] is True
        with admin.signed_out() as newcomer:
            created = sign_up(newcomer, "newcomer", "newcomer-password")
            assert created.status_code == 201, created.text
            assert created.json()["user"]["is_admin"] is False
            assert newcomer.get("/api/tasks").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ab", "password": "long-enough-pw"}, "username"),
        ({"username": "a" * 65, "password": "long-enough-pw"}, "username"),
        ({"username": "has space", "password": "long-enough-pw"}, "username"),
        ({"username": "üser", "password": "long-enough-pw"}, "username"),
        ({"username": "a/b", "password": "long-enough-pw"}, "username"),
        ({"username": 5, "password": "long-enough-pw"}, "username"),
        ({"password": "long-enough-pw"}, "username"),
        ({"username": "someone", "password": "123456789"}, "password"),
        ({"username": "someone", "password": "p" * 1025}, "password"),
        ({"username": "someone"}, "password"),
        ({"username": "someone", "password": "long-enough-pw", "role": "admin"}, "role"),
        ({"username": "someone", "password": "long-enough-pw", "display_name": ""}, "display_name"),
    ],
)
def test_signup_names_the_field_it_refuses(
    first_run: AppClient, body: dict[str, object], field: str
) -> None:
    assert_invalid(first_run.post("/api/auth/signup", json=body), "body", field)
    assert first_run.get("/api/auth/status").json()["needs_first_user"] is True


def test_the_username_rule_is_said(first_run: AppClient) -> None:
    refused = sign_up(first_run, "a!", OWNER.password)
    assert "3 to 64" in refused.json()["detail"][0]["msg"]
    short = sign_up(first_run, OWNER.username, "short")
    assert "10" in short.json()["detail"][0]["msg"]


def test_malformed_bodies_are_4xx_never_500(client: AppClient) -> None:
    with client.signed_out() as anonymous:
        for content in [b"\xff\xfe{", b"{", b"[]", b"null", b'{"username": "\\ud800"}']:
            answer = anonymous.post(
                "/api/auth/login", content=content, headers={"Content-Type": "application/json"}
            )
            assert 400 <= answer.status_code < 500, (content, answer.text)
        huge = anonymous.post(
            "/api/auth/login", json={"username": "admin", "password": "p" * 2_000_000}
        )
        assert_invalid(huge, "body", "password")


def test_an_unknown_user_and_a_wrong_password_get_the_same_401(admin_api: AppClient) -> None:
    with admin_api.signed_out() as anonymous:
        unknown = log_in(anonymous, Credentials("nobody-here", ADMIN.password))
        wrong = log_in(anonymous, Credentials(ADMIN.username, "not-the-password"))
        odd = log_in(anonymous, Credentials("not a valid name!", "whatever"))
        for answer in (unknown, wrong, odd):
            _assert_unauthenticated(answer)
        assert unknown.json() == wrong.json() == odd.json()
        assert SESSION_COOKIE not in anonymous.cookies


def test_usernames_ignore_case(admin_api: AppClient) -> None:
    with admin_api.signed_out() as anonymous:
        signed_in = log_in(anonymous, Credentials(ADMIN.username.upper(), ADMIN.password))
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["user"]["username"] == ADMIN.username


def test_the_session_cookie_is_http_only_and_same_site(admin_api: AppClient) -> None:
    with admin_api.signed_out() as anonymous:
        cookie = log_in(anonymous).headers["set-cookie"].lower()
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie  # plain HTTP here; Secure behind HTTPS


def test_guessing_one_username_is_throttled(admin_api: AppClient, clock: Clock) -> None:
    with admin_api.signed_out() as guesser:
        for attempt in range(FAILURES_PER_USERNAME):
            guess = Credentials(ADMIN.username, f"guess-number-{attempt}")
            assert log_in(guesser, guess).status_code == 401

        throttled = log_in(guesser)  # even the right password, now

        assert throttled.status_code == 429, throttled.text
        retry_after = int(throttled.headers["Retry-After"])
        assert 1 <= retry_after <= FAILURE_WINDOW.total_seconds()
        clock.advance(retry_after - 1)
        assert log_in(guesser).status_code == 429
        clock.advance(1)
        assert log_in(guesser).status_code == 200


def test_guessing_from_one_client_is_throttled(admin_api: AppClient, clock: Clock) -> None:
    with admin_api.signed_out() as guesser:
        for attempt in range(FAILURES_PER_CLIENT):
            guess = Credentials(f"someone-{attempt}", "some-password")
            assert log_in(guesser, guess).status_code == 401
        throttled = log_in(guesser)
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) >= 1
        clock.advance(FAILURE_WINDOW.total_seconds())
        assert log_in(guesser).status_code == 200


def test_logout_kills_the_session(admin_api: AppClient) -> None:
    with admin_api.signed_out() as browser:
        assert log_in(browser).status_code == 200
        cookie = browser.cookies[SESSION_COOKIE]
        assert browser.get("/api/tasks").status_code == 200

        assert browser.post("/api/auth/logout").status_code == 204

        assert SESSION_COOKIE not in browser.cookies
        with admin_api.signed_out() as thief:
            stale = thief.get("/api/tasks", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
            _assert_unauthenticated(stale)


def test_logout_without_a_session_is_harmless(client: AppClient) -> None:
    with client.signed_out() as anonymous:
        assert anonymous.post("/api/auth/logout").status_code == 204


def test_sign_out_everywhere_ends_every_session_but_not_tokens(admin_api: AppClient) -> None:
    with admin_api.signed_out() as laptop, admin_api.signed_out() as phone:
        assert log_in(laptop).status_code == 200
        assert log_in(phone).status_code == 200
        token = make_token(laptop)

        assert phone.post("/api/auth/logout-everywhere").status_code == 204

        _assert_unauthenticated(laptop.get("/api/tasks"))
        _assert_unauthenticated(phone.get("/api/tasks"))
        assert laptop.get("/api/tasks", headers=bearer(token)).status_code == 200


def test_a_session_expires_when_unused_and_slides_when_used(
    admin_api: AppClient, clock: Clock
) -> None:
    with admin_api.signed_out() as browser:
        assert log_in(browser).status_code == 200
        for _ in range(3):  # used every ten days: alive after thirty
            clock.advance(10 * 86400)
            assert browser.get("/api/auth/me").status_code == 200
        clock.advance(14 * 86400 + 1)
        _assert_unauthenticated(browser.get("/api/auth/me"))


def test_a_session_ends_after_ninety_days_however_used(admin_api: AppClient, clock: Clock) -> None:
    with admin_api.signed_out() as browser:
        assert log_in(browser).status_code == 200
        for _ in range(8):
            clock.advance(10 * 86400)
            assert browser.get("/api/auth/me").status_code == 200
        clock.advance(10 * 86400 - 1)
        assert browser.get("/api/auth/me").status_code == 200
        clock.advance(1)
        _assert_unauthenticated(browser.get("/api/auth/me"))


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(
    admin_api: AppClient,
) -> None:
    new = "a-brand-new-password"
    with admin_api.signed_out() as here, admin_api.signed_out() as elsewhere:
        assert log_in(here).status_code == 200
        assert log_in(elsewhere).status_code == 200

        wrong = here.post(
            "/api/auth/password", json={"current_password": "not-it", "new_password": new}
        )
        assert_invalid(wrong, "body", "current_password")
        short = here.post(
            "/api/auth/password",
            json={"current_password": ADMIN.password, "new_password": "short"},
        )
        assert_invalid(short, "body", "new_password")

        changed = here.post(
            "/api/auth/password", json={"current_password": ADMIN.password, "new_password": new}
        )

        assert changed.status_code == 204, changed.text
        assert here.get("/api/auth/me").status_code == 200
        _assert_unauthenticated(elsewhere.get("/api/auth/me"))
        assert log_in(elsewhere).status_code == 401
        assert log_in(elsewhere, Credentials(ADMIN.username, new)).status_code == 200


def test_a_read_token_cannot_change_the_password(admin_api: AppClient) -> None:
    with admin_api.signed_out() as reader:
        assert log_in(reader).status_code == 200
        token = make_token(reader, ("read",))
    with admin_api.signed_out() as script:
        refused = script.post(
            "/api/auth/password",
            json={"current_password": ADMIN.password, "new_password": "a-brand-new-password"},
            headers=bearer(token),
        )
        assert refused.status_code == 403, refused.text


def test_a_second_user_signs_in_as_themselves(admin_api: AppClient) -> None:
    someone = make_user(admin_api, "someone")
    with admin_api.signed_out() as theirs:
        signed_in = log_in(theirs, someone)
        assert signed_in.status_code == 200
        me = theirs.get("/api/auth/me").json()["user"]
        assert me["username"] == "someone" and me["is_admin"] is False
