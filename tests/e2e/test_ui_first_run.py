"""A fresh install, with no user yet: the sign-in page offers exactly the first-run signup, and
the admin it makes is signed in and administers the install; afterwards the page offers signing
in, and single sign-on with the configured provider (a real one, on loopback)."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import Board, ContextMaker, fill_sign_in
from tests.e2e.conftest import Product, kept
from tests.support.accounts import Credentials
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, running_provider


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    """This module's own install, started with no user at all, its single sign-on at an OpenID
    provider that sends browsers back to it."""
    folder = tmp_path_factory.mktemp("fresh")
    port, web = kept("first run")
    callback = f"http://127.0.0.1:{port}/api/auth/oidc/callback"
    with running_provider(folder / "provider.log", callback) as provider:
        running = Product(
            f"sqlite:///{folder / 'taskflow.db'}",
            folder / "run.log",
            admin=False,
            port=port,
            web=web,
            TASKFLOW_OIDC_ISSUER=provider.issuer,
            TASKFLOW_OIDC_CLIENT_ID=CLIENT_ID,
            TASKFLOW_OIDC_CLIENT_SECRET=CLIENT_SECRET,
        )
        running.start()
        try:
            yield running
        finally:
            running.stop()


def sign_in_at_provider(page: Page, login: str) -> None:
    """The provider's development login page (any password) and its consent page."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]").click()


def test_a_fresh_install_offers_the_signup_of_the_admin_then_signing_in(
    product: Product, contexts: ContextMaker
) -> None:
    base_url = product.base_url
    login = re.compile(re.escape(f"{base_url}/login") + "/?$")
    page = contexts(None).new_page()
    page.goto(f"{base_url}/")
    expect(page).to_have_url(login)
    expect(page.get_by_role("heading", name="Create the admin account")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    expect(page.get_by_role("link", name="Sign in with single sign-on")).to_have_count(0)
    fill_sign_in(page, Credentials("Owner", "short"))
    expect(page.get_by_role("alert")).to_contain_text("10 to 1024 characters")

    fill_sign_in(page, Credentials("Owner", "the-owners-password"))
    Board(page, base_url).wait_until_listed()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_label("Signed in as")).to_have_text("owner")
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("row", name="owner")).to_contain_text("admin")

    other = contexts(None).new_page()
    other.goto(f"{base_url}/login")
    expect(other.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(other.get_by_role("heading", name="Create the admin account")).to_have_count(0)
    fill_sign_in(other, Credentials("owner", "the-owners-password"))
    Board(other, base_url).wait_until_listed()

    # Single sign-on: a provider account's first sign-in makes a user of its own, no admin.
    page = contexts(None).new_page()
    page.goto(f"{product.base_url}/login")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    sign_in_at_provider(page, "carol")
    Board(page, product.base_url).wait_until_listed()
    expect(page).to_have_url(f"{product.base_url}/")
    expect(page.get_by_label("Signed in as")).to_have_text(re.compile("carol"))
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
