"""Live updates in the browser: a recurring task's successor appears without a reload, a change
made elsewhere shows within a second, and a reminder toasts in every open tab."""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import expect

from tests.e2e.browser import Board
from tests.support.tasks import create_task, unique


def test_completing_a_daily_task_shows_its_successor_without_a_reload(
    open_board: Callable[..., Board], api: httpx.Client
) -> None:
    word = unique("plants")
    title = f"Water the plants {word}"
    yesterday = datetime.now(UTC) - timedelta(days=1)
    task = create_task(api, title=title, recurrence="daily", due_date=yesterday.isoformat())
    board = open_board(f"?q={word}")
    expect(board.row(title)).to_contain_text("overdue 1 d")
    board.page_marker()

    board.row(title).get_by_role("button", name=f"Complete {title}").click()

    # The open board drops the completed task and shows the next one, due in the future.
    expect(board.row(title)).to_contain_text(re.compile(r"in \d+ (min|h|d)"))
    expect(board.tasks).to_have_count(1)
    assert board.was_not_reloaded()
    [successor] = api.get("/api/tasks", params={"q": word, "status": "pending"}).json()
    assert successor["parent_task_id"] == task["id"]


def test_a_change_made_elsewhere_shows_within_a_second(
    open_board: Callable[..., Board], api: httpx.Client
) -> None:
    word = unique("elsewhere")
    board = open_board(f"?q={word}")
    other_tab = open_board(f"?q={word}")
    other_tab.page_marker()

    create_task(api, title=f"Added through the API {word}")
    # Within a second, give or take the browser's polling on a busy machine.
    expect(other_tab.row(f"Added through the API {word}")).to_be_visible(timeout=2_000)

    board.row(f"Added through the API {word}").get_by_role(
        "button", name=f"Complete Added through the API {word}"
    ).click()
    expect(other_tab.tasks).to_have_count(0, timeout=2_000)
    assert other_tab.was_not_reloaded()


def test_a_reminder_toasts_in_every_open_tab(
    open_board: Callable[..., Board], api: httpx.Client
) -> None:
    word = unique("bank")
    tabs = [open_board(), open_board()]
    due = datetime.now(UTC) + timedelta(minutes=1, seconds=4)
    create_task(
        api, title=f"Call the bank {word}", due_date=due.isoformat(), reminder_offset="1 minute"
    )

    for tab in tabs:
        toast = tab.toasts().filter(has_text=f"Reminder: Call the bank {word}")
        expect(toast).to_be_visible(timeout=15_000)
        expect(toast).to_contain_text(f"Due {due:%a} {due.day} {due:%b %Y, %H:%M}")
        expect(toast).not_to_contain_text("late")


def test_a_reminder_that_fires_after_its_time_says_it_is_late(
    open_board: Callable[..., Board], api: httpx.Client
) -> None:
    word = unique("late")
    board = open_board()
    due = datetime.now(UTC) + timedelta(seconds=30)
    create_task(
        api, title=f"Feed the cat {word}", due_date=due.isoformat(), reminder_offset="1 minute"
    )

    toast = board.toasts().filter(has_text=f"Reminder: Feed the cat {word}")
    expect(toast).to_contain_text("late", timeout=15_000)
