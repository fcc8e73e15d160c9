"""Accounts for the tests: the admin every test server is started with, and helpers to sign up,
sign in, make API tokens and make more users over HTTP."""

import time
from dataclasses import dataclass

import httpx

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-password-for-tests"
# What makes a server under test ensure that admin at start-up.
ADMIN_ENV = {"TASKFLOW_ADMIN_USERNAME": ADMIN_USERNAME, "TASKFLOW_ADMIN_PASSWORD": ADMIN_PASSWORD}
WRITE = ("read", "write")
READ = ("read",)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


ADMIN = Credentials(ADMIN_USERNAME, ADMIN_PASSWORD)


def bearer(token: str) -> dict[str, str]:
    """The headers that authenticate a request with `token`."""
    return {"Authorization": f"Bearer {token}"}


def sign_up(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/api/auth/signup", json={"username": username, "password": password})


def log_in(client: httpx.Client, who: Credentials = ADMIN) -> httpx.Response:
    """Sign in as `who`: on success the client holds the session cookie."""
    return client.post("/api/auth/login", json={"username": who.username, "password": who.password})


def make_token(
    client: httpx.Client,
    scopes: tuple[str, ...] = WRITE,
    name: str = "tests",
    expires_in_days: int | None = None,
) -> str:
    """A new API token of the user `client` is signed in as."""
    body: dict[str, object] = {"name": name, "scopes": list(scopes)}
    if expires_in_days is not None:
        body["expires_in_days"] = expires_in_days
    response = client.post("/api/tokens", json=body)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def admin_token(base_url: str, scopes: tuple[str, ...] = WRITE, timeout: float = 120) -> str:
    """A token of the test admin on the server at `base_url` (started with ADMIN_ENV). In Dapr
    mode the app makes the admin once its sidecar answers: wait for a user to exist (failed
    sign-ins in the meantime would be throttled)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=30) as client:
        while client.get("/api/auth/status").json()["needs_first_user"]:
            assert time.monotonic() < deadline, f"no user on {base_url} after {timeout} s"
            time.sleep(1)
        signed_in = log_in(client)
        assert signed_in.status_code == 200, signed_in.text
        return make_token(client, scopes)


def make_user(
    admin: httpx.Client,
    username: str,
    password: str = "a-password-of-theirs",
    is_admin: bool = False,
) -> Credentials:
    """A new user, made by the admin `admin` is signed in as."""
    response = admin.post(
        "/api/users", json={"username": username, "password": password, "is_admin": is_admin}
    )
    assert response.status_code == 201, response.text
    return Credentials(username, password)
