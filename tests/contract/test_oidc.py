"""Single sign-on, the whole way: from /api/auth/oidc/login on the API to the real OpenID
provider (oidc-provider on loopback), through its login and consent pages, back to the
callback, signed in."""

from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest

from tests.support.accounts import ADMIN_USERNAME
from tests.support.api import AppClient, api_client
from tests.support.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    OpenIDProvider,
    sign_in_at_provider,
)
from tests.support.servers import free_port

PENDING_COOKIE = "taskflow_oidc"


@pytest.fixture(scope="module")
def api(database_url: str, oidc_provider: OpenIDProvider) -> Iterator[AppClient]:
    """The API with single sign-on at the test provider."""
    with api_client(
        database_url,
        TASKFLOW_OIDC_ISSUER=oidc_provider.issuer,
        TASKFLOW_OIDC_CLIENT_ID=CLIENT_ID,
        TASKFLOW_OIDC_CLIENT_SECRET=CLIENT_SECRET,
    ) as client:
        yield client


@pytest.fixture
def browser(api: AppClient) -> Iterator[AppClient]:
    """A browser that has not signed in yet."""
    with api.signed_out() as client:
        yield client


def set_cookies(response: httpx.Response) -> dict[str, Any]:
    cookies = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        cookies.load(header)
    return {name: morsel for name, morsel in cookies.items()}


def begin(browser: AppClient) -> httpx.Response:
    started = browser.get("/api/auth/oidc/login")
    assert started.status_code == 302, started.text
    return started


def sign_in(browser: AppClient, login: str) -> dict[str, Any]:
    """Sign in as `login` at the provider; the user the app then says is signed in."""
    callback = sign_in_at_provider(begin(browser).headers["location"], login)
    back = browser.get(callback)
    assert back.status_code == 303, back.text
    assert back.headers["location"] == "/"
    me = browser.get("/api/auth/me")
    assert me.status_code == 200, me.text
    user: dict[str, Any] = me.json()["user"]
    return user


def test_a_person_signs_in_at_the_provider_and_lands_in_the_app(
    browser: AppClient, oidc_provider: OpenIDProvider
) -> None:
    started = begin(browser)
    assert started.headers["location"].startswith(f"{oidc_provider.issuer}/")
    pending = set_cookies(started)[PENDING_COOKIE]
    assert pending["httponly"]
    assert pending["samesite"].lower() == "lax"
    assert pending["path"] == "/api/auth/oidc"
    assert 0 < int(pending["max-age"]) <= 600

    back = browser.get(sign_in_at_provider(started.headers["location"], "grace"))

    assert back.status_code == 303, back.text
    assert back.headers["location"] == "/"
    cookies = set_cookies(back)
    session = cookies["taskflow_session"]
    assert session["httponly"]
    assert session["samesite"].lower() == "lax"
    assert cookies[PENDING_COOKIE]["max-age"] == "0"
    user = browser.get("/api/auth/me").json()["user"]
    assert user["username"] == "grace"
    assert user["display_name"] == "grace (test provider)"
    assert not user["is_admin"]
    assert browser.get("/api/tasks").status_code == 200


def test_signing_in_again_is_the_same_user(api: AppClient) -> None:
    with api.signed_out() as first, api.signed_out() as second:
        assert sign_in(first, "linus") == sign_in(second, "linus")
        # Both sessions stay signed in.
        assert first.get("/api/auth/me").status_code == 200


def test_a_provider_account_named_like_a_local_user_is_a_user_of_its_own(api: AppClient) -> None:
    admin = api.get("/api/auth/me").json()["user"]
    with api.signed_out() as browser:
        user = sign_in(browser, ADMIN_USERNAME)
    assert user["id"] != admin["id"]
    assert user["username"] != ADMIN_USERNAME
    assert not user["is_admin"]


def test_a_tampered_state_is_refused(browser: AppClient) -> None:
    callback = httpx.URL(sign_in_at_provider(begin(browser).headers["location"], "mallory"))
    pending = browser.cookies[PENDING_COOKIE]
    for state in (callback.params["state"] + "x", "\u00e9t\u00e9"):
        browser.cookies.set(PENDING_COOKIE, pending, path="/api/auth/oidc")

        refused = browser.get(callback.copy_set_param("state", state))

        assert refused.status_code == 400
        assert "state" in refused.json()["detail"]
        assert browser.get("/api/auth/me").status_code == 401


def test_a_replayed_code_is_refused(browser: AppClient) -> None:
    started = begin(browser)
    pending = browser.cookies[PENDING_COOKIE]
    callback = sign_in_at_provider(started.headers["location"], "replay")
    assert browser.get(callback).status_code == 303

    with browser.signed_out() as attacker:
        attacker.cookies.set(PENDING_COOKIE, pending, path="/api/auth/oidc")
        replayed = attacker.get(callback)

        assert replayed.status_code == 400
        assert "invalid_grant" in replayed.json()["detail"]
        assert attacker.get("/api/auth/me").status_code == 401


def test_a_code_meant_for_another_browser_is_refused(api: AppClient) -> None:
    with api.signed_out() as victim, api.signed_out() as attacker:
        callback = sign_in_at_provider(begin(victim).headers["location"], "victim")
        refused = attacker.get(callback)
        assert refused.status_code == 400
        assert "no sign-in was begun" in refused.json()["detail"]
        begin(attacker)
        assert attacker.get(callback).status_code == 400
        assert attacker.get("/api/auth/me").status_code == 401


def test_an_error_from_the_provider_is_refused_by_name(browser: AppClient) -> None:
    callback = sign_in_at_provider(begin(browser).headers["location"], "shy", cancel=True)
    assert callback.startswith(f"{REDIRECT_URI}?")

    refused = browser.get(callback)

    assert refused.status_code == 400
    assert "access_denied" in refused.json()["detail"]
    assert browser.get("/api/auth/me").status_code == 401


def test_without_settings_single_sign_on_is_not_there(database_url: str) -> None:
    with (
        api_client(
            database_url,
            TASKFLOW_OIDC_ISSUER="",
            TASKFLOW_OIDC_CLIENT_ID="",
            TASKFLOW_OIDC_CLIENT_SECRET="",
        ) as api,
        api.signed_out() as browser,
    ):
        for path in ("/api/auth/oidc/login", "/api/auth/oidc/callback?code=x&state=y"):
            response = browser.get(path)
            assert response.status_code == 404
            assert "TASKFLOW_OIDC_ISSUER" in response.json()["detail"]


def test_an_unreachable_provider_is_a_bad_gateway(database_url: str) -> None:
    with (
        api_client(
            database_url,
            TASKFLOW_OIDC_ISSUER=f"http://127.0.0.1:{free_port()}",
            TASKFLOW_OIDC_CLIENT_ID=CLIENT_ID,
            TASKFLOW_OIDC_CLIENT_SECRET=CLIENT_SECRET,
        ) as api,
        api.signed_out() as browser,
    ):
        response = browser.get("/api/auth/oidc/login")
    assert response.status_code == 502
    assert "discovery document" in response.json()["detail"]
