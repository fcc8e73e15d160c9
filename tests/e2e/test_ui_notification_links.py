"""A reminder reaches its owner by mail, and its snooze link works in the browser: the link
opens a page with one button (under the app's Content-Security-Policy, no script needed), the
button snoozes the reminder, and the board shows when it fires again."""

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser

import httpx
from playwright.sync_api import BrowserContext, expect

from app.ui.format import wall_clock
from tests.e2e.browser import Board
from tests.e2e.conftest import Product
from tests.support.mail import MailServer, bodies
from tests.support.tasks import create_task, eventually, unique

MAIL_SECONDS = 60


class _Links(HTMLParser):
    """The links of an HTML body: label -> address."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.links[data] = self._href
            self._href = None


def _mail_to(mail: MailServer, address: str) -> EmailMessage | None:
    return next((m for m in list(mail.received) if m["To"] == address), None)


def test_a_snooze_from_the_mailed_link_moves_the_reminder_on_the_board(
    api: httpx.Client,
    context: BrowserContext,
    product: Product,
    product_smtp: MailServer,
) -> None:
    word = unique("snooze")
    address = f"{word}@example.com"
    channel = api.post("/api/channels", json={"type": "email", "target": address})
    assert channel.status_code == 201, channel.text
    title = f"Call the plumber {word}"
    due = datetime.now(UTC) + timedelta(seconds=2)
    task = create_task(api, title=title, due_date=due.isoformat(), reminder_offset="at due time")

    mail = eventually(lambda: _mail_to(product_smtp, address), timeout=MAIL_SECONDS)
    assert mail["Subject"].endswith(title)
    finder = _Links()
    finder.feed(bodies(mail)[1])
    link = finder.links["Snooze 1 hour"]
    assert link.startswith(product.base_url + "/api/actions/")

    page = context.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Snooze 1 hour?")).to_be_visible()
    expect(page.get_by_text(title)).to_be_visible()
    clicked = datetime.now(UTC)
    page.get_by_role("button", name="Snooze 1 hour").click()
    expect(page.get_by_role("heading", name="Snoozed")).to_be_visible()

    pending = api.get("/api/reminders", params={"task_id": task["id"], "status": "pending"})
    [snoozed] = pending.json()
    at = datetime.fromisoformat(snoozed["scheduled_at"])
    assert clicked + timedelta(minutes=59) < at <= datetime.now(UTC) + timedelta(hours=1)

    board = Board(context.new_page(), product.base_url).open(f"?q={word}")
    expected = f"Next reminder {wall_clock(at, task['timezone'])}"
    expect(board.row(title).get_by_text(expected)).to_be_visible()

    again = context.new_page()
    again.goto(link)
    expect(again.get_by_role("heading", name="This link was already used")).to_be_visible()
