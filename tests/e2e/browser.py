"""Browser tests' tools: Playwright for Python driving Debian's Chromium (never a browser
Playwright downloads), one browser per test session, a fresh context (its own storage and
cookies, so its own Reflex session) per test, signed in through the sign-in page, and the board
as a user sees it."""

import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from tests.support.accounts import ADMIN, Credentials

if TYPE_CHECKING:
    from tests.e2e.conftest import Product

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 860}
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


def chromium_path() -> str:
    return os.environ.get("TASKFLOW_CHROMIUM", "/usr/bin/chromium")


def launch(playwright: Any) -> Browser:
    path = chromium_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"no Chromium at {path}: run scripts/chromium.sh (make test does)")
    browser: Browser = playwright.chromium.launch(
        executable_path=path, args=CHROMIUM_ARGS, headless=True
    )
    return browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One browser per test module (a launch takes well under a second). Not one per session:
    while Playwright's sync API is open its event loop counts as running in this thread, and
    the async tests of the tiers collected after this one could not start."""
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


ContextMaker = Callable[..., BrowserContext]


@pytest.fixture
def contexts(browser: Browser, product: "Product") -> Iterator[ContextMaker]:
    """Make fresh contexts, each signed in as `who` (the test admin unless given; None: no one).
    Whatever their pages do that their Content-Security-Policy refuses (as the browser reports
    it on the console) fails the test."""
    made: list[BrowserContext] = []
    refused: list[str] = []

    def make(who: Credentials | None = ADMIN) -> BrowserContext:
        fresh = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
        fresh.set_default_timeout(TIMEOUT_MS)
        fresh.on("console", lambda message: _note_refusal(message.text, refused))
        made.append(fresh)
        if who is not None:
            sign_in(fresh, product.base_url, who)
        return fresh

    yield make
    for context in made:
        context.close()
    assert not refused, f"the page broke its Content-Security-Policy: {refused}"


@pytest.fixture
def context(contexts: ContextMaker) -> BrowserContext:
    """A fresh context signed in as the test admin."""
    return contexts()


@pytest.fixture
def anonymous_context(contexts: ContextMaker) -> BrowserContext:
    """A fresh context signed in as no one."""
    return contexts(None)


def _note_refusal(text: str, refused: list[str]) -> None:
    if "Content Security Policy" in text:
        refused.append(text)


def fill_sign_in(page: Page, who: Credentials) -> None:
    """Fill in the sign-in (or first-run) form on `page` and send it."""
    page.get_by_label("Username").fill(who.username)
    page.get_by_label("Password").fill(who.password)
    page.get_by_label("Password").press("Enter")


def sign_in(context: BrowserContext, base_url: str, who: Credentials = ADMIN) -> None:
    """Sign `who` in with the request the sign-in page sends, from the context itself: it then
    holds the session cookie, and every page opened in it is signed in. (Loading the sign-in
    page as well costs the browser a second or more of CPU a context; test_ui_accounts signs
    in through the page.)"""
    answer = context.request.post(
        f"{base_url}/api/auth/login", data={"username": who.username, "password": who.password}
    )
    assert answer.ok, f"signing in as {who.username}: {answer.status} {answer.text()}"


# "1-3 of 3" or "No tasks": the pager once the first listing is in.
_LISTED = re.compile(r"^(\d+-\d+ of [\d,]+|No tasks)$")
# A page's first listing waits for its script, its socket's handshake and the server: up to
# 4 s while every tier runs at once on 2 cores; more is left for a machine that stalls.
LISTED_WITHIN_MS = 30_000


class Board:
    """One browser tab on the board, driven the way a user would."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        # What the page says on its console (a socket that failed to connect, say), for the
        # message of a listing that never came.
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

    def open(self, query: str = "") -> "Board":
        self.page.goto(f"{self.base_url}/{query}")
        self.wait_until_listed()
        return self

    def wait_until_listed(self) -> None:
        try:
            expect(self.page.get_by_label("Loading tasks")).to_have_count(
                0, timeout=LISTED_WITHIN_MS
            )
            expect(self.page.get_by_text(_LISTED)).to_be_visible()
        except AssertionError as error:
            said = "\n".join(self.console[-20:]) or "nothing"
            raise AssertionError(f"{error}\n{self.page.url} said on its console:\n{said}") from None

    @property
    def tasks(self) -> Locator:
        return self.page.get_by_role("list", name="Tasks").get_by_role("listitem")

    def row(self, title: str) -> Locator:
        return self.page.get_by_role("listitem", name=title, exact=True)

    def press(self, key: str) -> None:
        self.page.locator("body").press(key)

    def choose(self, label: str, option: str) -> None:
        """Pick `option` in the drop-down named `label`."""
        self.page.get_by_role("combobox", name=label).click()
        self.page.get_by_role("option", name=option, exact=True).click()

    def search(self, text: str) -> None:
        self.page.get_by_label("Search tasks").fill(text)

    def dialog(self) -> Locator:
        return self.page.get_by_role("dialog")

    def toasts(self) -> Locator:
        return self.page.locator("[data-sonner-toast]")

    def page_marker(self) -> None:
        """Mark the page, so a test can tell later that it was never reloaded."""
        self.page.evaluate("window.__notReloaded = true")

    def was_not_reloaded(self) -> bool:
        return bool(self.page.evaluate("window.__notReloaded === true"))


@pytest.fixture
def open_board(context: BrowserContext, product: "Product") -> Callable[..., Board]:
    """Open the board (with a URL query, e.g. "?q=milk") in a new tab of this test's context;
    each tab is its own Reflex session."""

    def opener(query: str = "") -> Board:
        return Board(context.new_page(), product.base_url).open(query)

    return opener


@pytest.fixture
def api(product: "Product") -> Iterator[httpx.Client]:
    with product.client() as client:
        yield client
