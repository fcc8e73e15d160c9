"""Accounts in the browser: signing in and out, the settings page (API tokens, the password,
signing out everywhere), the admin page, a session that ends stopping the tabs it had, and
each user seeing only their own tasks."""

import re
from collections.abc import Callable

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.browser import Board, ContextMaker, fill_sign_in, sign_in
from tests.e2e.conftest import Product
from tests.support.accounts import Credentials, bearer, make_user
from tests.support.tasks import create_task, unique


def login_url(product: Product) -> re.Pattern[str]:
    return re.compile(re.escape(f"{product.base_url}/login") + r"/?$")


def sign_in_page(context: BrowserContext, product: Product) -> Page:
    """A new tab at the board, where one signed in as no one is sent to the sign-in page."""
    page = context.new_page()
    page.goto(f"{product.base_url}/")
    expect(page).to_have_url(login_url(product))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    return page


def test_a_wrong_password_shows_the_error_and_guessing_is_told_when_to_try_again(
    anonymous_context: BrowserContext, product: Product, api: httpx.Client
) -> None:
    who = make_user(api, unique("guess"))
    page = sign_in_page(anonymous_context, product)
    wrong = Credentials(who.username, "not-the-password")
    fill_sign_in(page, wrong)
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    # Four more wrong guesses (the fifth and last allowed for the username), then the page's.
    with httpx.Client(base_url=product.base_url, timeout=10) as client:
        for _ in range(4):
            guess = {"username": who.username, "password": wrong.password}
            assert client.post("/api/auth/login", json=guess).status_code == 401
    fill_sign_in(page, who)
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"Too many failed attempts: try again in \d+ s\.")
    )
    expect(page).to_have_url(login_url(product))


def test_signing_in_through_the_page_opens_the_board(
    anonymous_context: BrowserContext, product: Product, api: httpx.Client
) -> None:
    who = make_user(api, unique("in"))
    page = sign_in_page(anonymous_context, product)
    fill_sign_in(page, who)
    Board(page, product.base_url).wait_until_listed()
    expect(page.get_by_label("Signed in as")).to_have_text(who.username)
    assert [c for c in anonymous_context.cookies() if c["name"] == "taskflow_session"]


def test_signing_out_returns_to_the_sign_in_page_and_the_board_is_gone(
    context: BrowserContext, product: Product
) -> None:
    board = Board(context.new_page(), product.base_url).open()
    expect(board.page.get_by_label("Signed in as")).to_have_text("admin")
    board.page.get_by_role("button", name="Sign out").click()
    expect(board.page).to_have_url(login_url(product))
    expect(board.page.get_by_role("heading", name="Sign in")).to_be_visible()
    board.page.goto(f"{product.base_url}/")
    expect(board.page).to_have_url(login_url(product))
    assert not [c for c in context.cookies() if c["name"] == "taskflow_session"]


def test_an_api_token_is_shown_once_works_and_stops_when_revoked(
    context: BrowserContext, product: Product
) -> None:
    page = context.new_page()
    page.goto(f"{product.base_url}/settings")
    name = unique("script")
    tokens = page.get_by_role("region", name="API tokens")
    tokens.get_by_label("Name", exact=True).fill(name)
    tokens.get_by_label("Expires in (days)").fill("30")
    tokens.get_by_role("button", name="Create token").click()
    shown = tokens.get_by_label("New token")
    expect(shown).to_have_text(re.compile(r"^tf_"))
    token = shown.inner_text()
    row = tokens.get_by_role("row", name=name)
    expect(row).to_contain_text("read")
    expect(row).not_to_contain_text("write")
    expect(row).to_contain_text("never")  # not used yet
    with httpx.Client(base_url=product.base_url, timeout=10, headers=bearer(token)) as client:
        assert client.get("/api/tasks").status_code == 200
        assert client.post("/api/tasks", json={"title": "no"}).status_code == 403
        page.reload()
        expect(tokens.get_by_role("row", name=name)).to_be_visible()
        expect(tokens.get_by_label("New token")).to_have_count(0)
        tokens.get_by_role("button", name=f"Revoke {name}").click()
        expect(tokens.get_by_role("row", name=name)).to_have_count(0)
        assert client.get("/api/tasks").status_code == 401


def test_changing_the_password(
    anonymous_context: BrowserContext, product: Product, api: httpx.Client
) -> None:
    who = make_user(api, unique("pw"))
    sign_in(anonymous_context, product.base_url, who)
    page = anonymous_context.new_page()
    page.goto(f"{product.base_url}/settings")
    panel = page.get_by_role("region", name="Password")
    panel.get_by_label("Current password").fill(who.password)
    panel.get_by_label("New password").fill("short")
    panel.get_by_role("button", name="Change password").click()
    expect(panel.get_by_role("alert")).to_contain_text("10 to 1024 characters")
    panel.get_by_label("Current password").fill("not-my-password")
    panel.get_by_label("New password").fill("a-new-password-of-mine")
    panel.get_by_role("button", name="Change password").click()
    expect(panel.get_by_role("alert")).to_contain_text("current password is wrong")
    panel.get_by_label("Current password").fill(who.password)
    panel.get_by_label("New password").fill("a-new-password-of-mine")
    panel.get_by_role("button", name="Change password").click()
    expect(page.locator("[data-sonner-toast]")).to_contain_text("Password changed")
    expect(panel.get_by_role("alert")).to_have_count(0)
    with httpx.Client(base_url=product.base_url, timeout=10) as client:
        old = client.post(
            "/api/auth/login", json={"username": who.username, "password": who.password}
        )
        assert old.status_code == 401
        new = client.post(
            "/api/auth/login",
            json={"username": who.username, "password": "a-new-password-of-mine"},
        )
        assert new.status_code == 200


def test_signing_out_everywhere_stops_the_open_tabs(
    anonymous_context: BrowserContext, product: Product, api: httpx.Client
) -> None:
    who = make_user(api, unique("all"))
    sign_in(anonymous_context, product.base_url, who)
    board = Board(anonymous_context.new_page(), product.base_url).open()
    settings = anonymous_context.new_page()
    settings.goto(f"{product.base_url}/settings")
    settings.get_by_role("button", name="Sign out everywhere").click()
    expect(settings).to_have_url(login_url(product))
    # The open board's next event finds its session ended.
    board.search("anything")
    expect(board.page).to_have_url(login_url(product))


def test_an_admin_makes_a_user_who_can_sign_in_and_deletes_them(
    context: BrowserContext, product: Product, contexts: ContextMaker
) -> None:
    page = context.new_page()
    page.goto(f"{product.base_url}/admin")
    users = page.get_by_role("region", name="Users")
    username = unique("new")
    users.get_by_label("Username", exact=True).fill(username)
    users.get_by_label("Password", exact=True).fill("short")
    users.get_by_role("button", name="Create user").click()
    expect(users.get_by_role("alert")).to_contain_text("10 to 1024 characters")
    users.get_by_label("Password", exact=True).fill("their-first-password")
    users.get_by_role("button", name="Create user").click()
    expect(users.get_by_role("row", name=username)).to_be_visible()

    theirs = contexts(Credentials(username, "their-first-password"))
    their_board = Board(theirs.new_page(), product.base_url).open()
    expect(their_board.page.get_by_label("Signed in as")).to_have_text(username)
    expect(their_board.page.get_by_role("link", name="Admin")).to_have_count(0)
    their_board.page.goto(f"{product.base_url}/admin")
    expect(their_board.page).to_have_url(f"{product.base_url}/")

    users.get_by_role("button", name=f"Delete {username}").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("deleted with them")
    dialog.get_by_role("button", name="Delete user").click()
    expect(users.get_by_role("row", name=username)).to_have_count(0)
    their_board.search("anything")
    expect(their_board.page).to_have_url(login_url(product))


def test_a_second_user_sees_none_of_the_first_users_tasks(
    open_board: Callable[..., Board], contexts: ContextMaker, api: httpx.Client, product: Product
) -> None:
    word = unique("own")
    create_task(api, title=f"The admin's {word}")
    board = open_board(f"?q={word}")
    expect(board.row(f"The admin's {word}")).to_be_visible()

    other = make_user(api, unique("other"))
    theirs = Board(contexts(other).new_page(), product.base_url).open(f"?q={word}")
    expect(theirs.page.get_by_text("No tasks match this view.")).to_be_visible()
    line = theirs.page.get_by_label("Quick add a task")
    line.fill(f"their own {word}")
    line.press("Enter")
    expect(theirs.row(f"Their own {word}")).to_be_visible()
    expect(theirs.tasks).to_have_count(1)
    # The admin's open board lists again on every change it is told of: none of theirs.
    board.page.wait_for_timeout(2_000)
    expect(board.tasks).to_have_count(1)
    expect(board.row(f"Their own {word}")).to_have_count(0)
