"""The README's screenshots, taken from the real product with a few example tasks:
`.venv/bin/python -m tests.e2e.screenshots [folder]` (default docs/screenshots) starts
`make run` on a fresh database and a free port, and saves board.png, dialog.png, chat.png
and toast.png."""

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

from tests.e2e.browser import VIEWPORT, Board, launch, sign_in
from tests.e2e.conftest import Product
from tests.support.servers import ROOT

ZONE = "Europe/Berlin"


def examples(now: datetime) -> list[dict[str, Any]]:
    def at(**delta: float) -> str:
        return (now + timedelta(**delta)).isoformat()

    return [
        {
            "title": "Submit the tax return",
            "description": "Receipts are in the blue folder",
            "due_date": at(days=-1, hours=-3),
            "priority": "high",
            "tags": ["money"],
        },
        {
            "title": "Call the dentist",
            "due_date": at(minutes=50),
            "reminder_offset": "30 minutes",
            "tags": ["health"],
        },
        {
            "title": "Water the plants",
            "due_date": at(hours=3),
            "recurrence": "daily",
            "priority": "low",
            "tags": ["home"],
        },
        {
            "title": "Renew the car insurance",
            "due_date": at(days=4),
            "recurrence": "custom",
            "rrule": "FREQ=YEARLY",
            "priority": "high",
            "tags": ["car", "money"],
            "reminder_offset": "1 day",
        },
        {
            "title": "Team retro",
            "description": "Collect topics in the shared doc",
            "due_date": at(days=6),
            "recurrence": "custom",
            "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
            "tags": ["work"],
        },
        {"title": "Book train tickets", "due_date": at(days=12), "tags": ["travel"]},
        {"title": "Buy milk", "tags": ["errands"]},
    ]


def shoot(page: Page, folder: Path, name: str) -> None:
    page.wait_for_timeout(600)  # let transitions settle
    page.screenshot(path=folder / name)


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        product = Product(f"sqlite:///{scratch}/taskflow.db", Path(scratch) / "run.log")
        product.start()
        try:
            take(product, folder)
        finally:
            product.stop()


def take(product: Product, folder: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with product.client() as api:
        for fields in examples(now):
            api.post("/api/tasks", json={"timezone": ZONE, **fields}).raise_for_status()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
        sign_in(context, product.base_url)
        page = context.new_page()
        board = Board(page, product.base_url).open()
        shoot(page, folder, "board.png")

        board.row("Team retro").get_by_role("button", name="Edit Team retro").click()
        expect(board.dialog().get_by_label("Next dates of the series")).to_be_visible()
        shoot(page, folder, "dialog.png")
        page.keyboard.press("Escape")
        page.mouse.move(0, VIEWPORT["height"] - 1)
        page.evaluate("document.activeElement?.blur()")

        message = page.get_by_label("Message the assistant")
        replies = page.get_by_role("article", name="Assistant said")
        for said, text in enumerate(
            ("add pay rent on the 1st every month with high priority", "what's due today?"), 1
        ):
            message.fill(text)
            message.press("Enter")
            expect(replies).to_have_count(said)
        shoot(page, folder, "chat.png")

        due = datetime.now(UTC) + timedelta(minutes=1, seconds=3)
        with product.client() as api:
            api.post(
                "/api/tasks",
                json={
                    "title": "Leave for the airport",
                    "due_date": due.isoformat(),
                    "timezone": ZONE,
                    "reminder_offset": "1 minute",
                    "priority": "high",
                },
            ).raise_for_status()
        expect(board.toasts()).to_contain_text("Reminder", timeout=20_000)
        shoot(page, folder, "toast.png")
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
