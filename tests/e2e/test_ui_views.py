"""Quick add, a task's history (its recurrence chain and audit trail) and the stats view, both
following changes made elsewhere while open."""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import expect

from tests.e2e.browser import Board
from tests.support.tasks import create_task, unique


def test_quick_add_reads_one_line(open_board: Callable[..., Board]) -> None:
    word = unique("oat")
    board = open_board(f"?q={word}")
    line = board.page.get_by_label("Quick add a task")
    line.fill(f"buy oat milk {word} tomorrow at 5pm #errands high priority")
    line.press("Enter")

    row = board.row(f"Buy oat milk {word}")
    expect(row).to_contain_text("High")
    expect(row).to_contain_text(re.compile(r"in \d+ (h|d)"))
    expect(row.get_by_role("button", name="Show tasks tagged errands")).to_be_visible()
    expect(line).to_have_value("")


def test_history_shows_the_recurrence_chain_and_the_audit_trail(
    open_board: Callable[..., Board], api: httpx.Client
) -> None:
    word = unique("gym")
    title = f"Go to the gym {word}"
    due = datetime.now(UTC) - timedelta(hours=2)
    first = create_task(api, title=title, recurrence="daily", due_date=due.isoformat())
    api.put(f"/api/tasks/{first['id']}", json={"priority": "high"})
    api.post(f"/api/tasks/{first['id']}/complete")
    board = open_board(f"?q={word}")
    expect(board.row(title)).to_contain_text(re.compile(r"in \d+ (h|d)"))

    board.row(title).get_by_role("button", name=f"History of {title}").click()
    dialog = board.dialog()
    chain = dialog.get_by_role("list", name="Recurrence chain").get_by_role("listitem")
    expect(chain).to_have_count(2)
    expect(chain.nth(1)).to_contain_text("this task")
    expect(dialog.get_by_role("table")).to_contain_text(
        f"next in the series after task {first['id']}"
    )

    # Completed elsewhere while the dialog is open: its successor joins the chain shown.
    [successor] = api.get("/api/tasks", params={"q": word, "status": "pending"}).json()
    api.post(f"/api/tasks/{successor['id']}/complete").raise_for_status()
    expect(chain).to_have_count(3)

    chain.nth(0).get_by_role("button").click()
    trail = dialog.get_by_role("table")
    expect(trail).to_contain_text("Completed")
    expect(trail).to_contain_text("Changed")
    expect(trail).to_contain_text("priority")
    board.page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)


def test_stats_count_open_overdue_and_completed_tasks(
    open_board: Callable[..., Board], api: httpx.Client
) -> None:
    board = open_board()
    before = api.get("/api/tasks", params={"status": "pending", "limit": 1}).headers
    open_before = int(before["x-total-count"])
    late = datetime.now(UTC) - timedelta(days=2)
    # Tagged, so the chart of tags on open tasks has something to draw whatever ran before.
    create_task(
        api, title=f"Overdue {unique('stats')}", due_date=late.isoformat(), tags=["errands"]
    )

    # Exact: the new task's row buttons carry its title, which has "stats" in it.
    board.page.get_by_role("button", name="Stats", exact=True).click()
    dialog = board.dialog()
    expect(dialog.get_by_label("Open", exact=True)).to_contain_text(str(open_before + 1))
    expect(dialog.get_by_label("Overdue", exact=True)).not_to_contain_text(re.compile(r"^0$"))
    expect(dialog.get_by_text("Open and completed, last 30 days")).to_be_visible()
    expect(dialog.locator(".recharts-wrapper")).to_have_count(3)

    # Added elsewhere while the dialog is open: the figures follow.
    create_task(api, title=f"Added while open {unique('stats')}")
    expect(dialog.get_by_label("Open", exact=True)).to_contain_text(str(open_before + 2))
