"""The web app on the Dapr stack: a change and a reminder reach every open tab of their owner
through the app's task-updates subscription (Kafka, the app's sidecar, /events/task-updates),
and no tab of another user."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.e2e.browser import VIEWPORT, Board, launch, sign_in
from tests.support.accounts import make_user
from tests.support.stack import Stack
from tests.support.tasks import create_task, unique


@pytest.fixture(scope="module")
def stack_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def test_changes_and_reminders_reach_every_open_tab_of_their_owner_only(
    stack: Stack, stack_browser: Browser
) -> None:
    word = unique("dapr")
    context = stack_browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    others = stack_browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    try:
        sign_in(context, stack.app_url)
        with stack.client() as admin:
            other = make_user(admin, unique("bob"))
        sign_in(others, stack.app_url, other)
        tabs = [Board(context.new_page(), stack.app_url).open(f"?q={word}") for _ in range(2)]
        # Searching for everything the test makes: the admin's rows must not come in either.
        other_tab = Board(others.new_page(), stack.app_url).open(f"?q={word}")
        with stack.client() as api:
            create_task(api, title=f"Chores {word}")
        # How soon is the benchmark's to say (docs/benchmarks.md), as in test_replicas.
        for tab in tabs:
            expect(tab.row(f"Chores {word}")).to_be_visible(timeout=30_000)

        tabs[0].row(f"Chores {word}").get_by_role("button", name=f"Complete Chores {word}").click()
        expect(tabs[1].row(f"Chores {word}")).to_have_count(0, timeout=30_000)

        # Due only now, so its toast (shown for 15 s) cannot have come and gone before this.
        due = datetime.now(UTC) + timedelta(minutes=1, seconds=6)
        with stack.client() as api:
            create_task(
                api,
                title=f"Call the bank {word}",
                due_date=due.isoformat(),
                reminder_offset="1 minute",
            )
        for tab in tabs:
            toast = tab.toasts().filter(has_text=f"Reminder: Call the bank {word}")
            expect(toast).to_be_visible(timeout=30_000)
        # The other user's tab was open all along, on the same app and the same Kafka topic.
        expect(other_tab.toasts().filter(has_text=word)).to_have_count(0)
        expect(other_tab.row(f"Chores {word}")).to_have_count(0)
        expect(other_tab.row(f"Call the bank {word}")).to_have_count(0)
    finally:
        context.close()
        others.close()
