"""The board in a browser: under its Content-Security-Policy, create and edit in the dialog,
filter, search and sort (kept in the URL), delete with undo, the keyboard and a phone-width
screen."""

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import BrowserContext, expect

from tests.e2e.browser import Board
from tests.e2e.conftest import Product
from tests.support.tasks import create_task, unique


def test_the_board_works_under_its_content_security_policy(
    context: BrowserContext, product: Product
) -> None:
    """The page loads, its WebSocket connects, and what the server has the page run (a toast,
    the URL following the search; Reflex runs both with eval) runs. (`context` fails the test
    on any violation of the policy.)"""
    page = context.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    answer = page.goto(f"{product.base_url}/")
    assert answer is not None
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    board = Board(page, product.base_url)
    board.wait_until_listed()
    assert [url for url in sockets if "/_event" in url]

    word = unique("fern")
    board.search(word)
    expect(page).to_have_url(re.compile(f"q={word}"))
    line = page.get_by_label("Quick add a task")
    line.fill(f"water the fern {word}")
    line.press("Enter")
    expect(board.row(f"Water the fern {word}")).to_be_visible()
    expect(board.toasts().filter(has_text=f"Water the fern {word}")).to_be_visible()


def test_a_task_created_in_the_dialog_shows_on_the_board(
    open_board: Callable[..., Board],
) -> None:
    word = unique("passport")
    title = f"Renew passport {word}"
    board = open_board(f"?q={word}")
    expect(board.page.get_by_text("No tasks match this view.")).to_be_visible()

    board.press("n")
    dialog = board.dialog()
    expect(dialog.get_by_role("heading", name="New task")).to_be_visible()
    board.page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    board.press("n")
    dialog.get_by_label("Title", exact=True).fill(title)
    dialog.get_by_label("Description").fill("Photos from the booth on Main St.")
    dialog.get_by_label("Due date and time").fill("2030-05-01T09:30")
    dialog.get_by_label("Time zone").fill("Europe/Berlin")
    board.choose("Priority", "High")
    dialog.get_by_label("Tags", exact=True).fill(f"travel, {word}")
    board.choose("Repeat", "Custom rule (RRULE)")
    dialog.get_by_label("Recurrence rule").fill("FREQ=MONTHLY;BYMONTHDAY=1")
    berlin = ZoneInfo("Europe/Berlin")
    expected = [
        datetime(2030, month, 1, 9, 30, tzinfo=berlin).strftime("%a 1 %b 2030, 09:30")
        for month in (5, 6, 7)
    ]
    expect(dialog.get_by_label("Next dates of the series").get_by_role("listitem")).to_have_text(
        expected
    )
    dialog.get_by_label("Reminder before due").fill("1 day")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog).to_have_count(0)
    row = board.row(title)
    expect(row).to_be_visible()
    expect(row).to_contain_text("High")
    expect(row).to_contain_text(re.compile(r"in \d+ y"))
    expect(row).to_contain_text("Photos from the booth")
    expect(row.get_by_role("button", name="Show tasks tagged travel")).to_be_visible()
    expect(row.get_by_role("img", name="Repeats every month on the 1st")).to_be_attached()
    expect(row.get_by_role("img", name="Reminder 1 day before")).to_be_attached()


def test_editing_a_task_changes_its_row(
    open_board: Callable[..., Board], api: httpx.Client
) -> None:
    word = unique("edit")
    create_task(api, title=f"Book flights {word}", priority="medium", tags=["travel"])
    board = open_board(f"?q={word}")

    board.row(f"Book flights {word}").get_by_role(
        "button", name=f"Edit Book flights {word}"
    ).click()
    dialog = board.dialog()
    expect(dialog.get_by_role("heading", name="Edit task")).to_be_visible()
    title = dialog.get_by_label("Title", exact=True)
    expect(title).to_have_value(f"Book flights {word}")
    title.fill(f"Book trains {word}")
    board.choose("Priority", "Low")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog).to_have_count(0)
    expect(board.row(f"Book trains {word}")).to_contain_text("Low")
    expect(board.row(f"Book flights {word}")).to_have_count(0)
    [stored] = api.get("/api/tasks", params={"q": word}).json()
    assert (stored["title"], stored["priority"]) == (f"Book trains {word}", "low")


def test_a_bad_field_is_named_and_nothing_is_saved(
    open_board: Callable[..., Board], api: httpx.Client
) -> None:
    word = unique("invalid")
    board = open_board(f"?q={word}")
    board.page.get_by_role("button", name="New task").click()
    dialog = board.dialog()
    dialog.get_by_label("Title", exact=True).fill(f"Pick up keys {word}")
    dialog.get_by_label("Time zone").fill("Mars/Olympus")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog.get_by_role("alert")).to_contain_text("Timezone: unknown time zone")
    assert api.get("/api/tasks", params={"q": word}).json() == []


def test_filters_search_and_sort_are_kept_in_the_url(
    open_board: Callable[..., Board], api: httpx.Client
) -> None:
    tag = unique("filter")
    create_task(api, title=f"Alpha {tag}", priority="high", tags=[tag, "work"])
    create_task(api, title=f"Beta {tag}", priority="low", tags=[tag])
    gamma = create_task(api, title=f"Gamma {tag}", priority="high", tags=[tag])
    api.post(f"/api/tasks/{gamma['id']}/complete")

    board = open_board(f"?tags={tag}")
    expect(board.tasks).to_have_count(2)
    board.choose("Priority", "High")
    expect(board.tasks).to_have_count(1)
    expect(board.row(f"Alpha {tag}")).to_be_visible()
    expect(board.page).to_have_url(re.compile(r"priority=high"))

    board.choose("Status", "All tasks")
    expect(board.tasks).to_have_count(2)
    expect(
        board.row(f"Gamma {tag}").get_by_role("button", name=f"Reopen Gamma {tag}")
    ).to_be_visible()

    board.press("/")
    expect(board.page.get_by_label("Search tasks")).to_be_focused()
    board.page.keyboard.type("gamma")
    expect(board.tasks).to_have_count(1)
    expect(board.page).to_have_url(re.compile(r"q=gamma"))

    board.page.reload()
    board.wait_until_listed()
    expect(board.page.get_by_label("Search tasks")).to_have_value("gamma")
    expect(board.page.get_by_role("combobox", name="Priority")).to_have_text("High")
    expect(board.page.get_by_role("combobox", name="Status")).to_have_text("All tasks")
    expect(board.tasks).to_have_count(1)
    expect(board.row(f"Gamma {tag}")).to_be_visible()

    board.page.get_by_role("button", name="Clear filters").click()
    board.page.goto(f"{board.base_url}/?tags={tag}&status=all&sort_by=title&order=desc")
    board.wait_until_listed()
    expect(board.tasks).to_have_count(3)
    titles = [f"Gamma {tag}", f"Beta {tag}", f"Alpha {tag}"]
    assert [board.tasks.nth(n).get_attribute("aria-label") for n in range(3)] == titles


def test_a_tag_chip_filters_the_board(open_board: Callable[..., Board], api: httpx.Client) -> None:
    word = unique("chip")
    create_task(api, title=f"Mow the lawn {word}", tags=[f"garden{word}"])
    create_task(api, title=f"Fix the fence {word}", tags=["diy"])
    board = open_board(f"?q={word}")
    expect(board.tasks).to_have_count(2)

    board.row(f"Mow the lawn {word}").get_by_role(
        "button", name=f"Show tasks tagged garden{word}"
    ).click()
    expect(board.tasks).to_have_count(1)
    expect(board.page.get_by_label("Filter by tags")).to_have_value(f"garden{word}")
    expect(board.page).to_have_url(re.compile(rf"tags=garden{word}"))


def test_a_deleted_task_can_be_brought_back_for_a_few_seconds(
    open_board: Callable[..., Board], api: httpx.Client
) -> None:
    word = unique("delete")
    title = f"Shred old receipts {word}"
    task = create_task(api, title=title)
    board = open_board(f"?q={word}")

    board.row(title).get_by_role("button", name=f"Delete {title}").click()
    expect(board.row(title)).to_have_count(0)
    expect(board.page.get_by_role("status").filter(has_text="Deleted")).to_contain_text(title)
    board.page.get_by_role("button", name=f"Undo deleting {title}").click()
    expect(board.row(title)).to_be_visible()

    board.row(title).get_by_role("button", name=f"Delete {title}").click()
    expect(board.row(title)).to_have_count(0)
    expect(board.page.get_by_role("button", name=f"Undo deleting {title}")).to_have_count(0)
    assert api.get(f"/api/tasks/{task['id']}").status_code == 404
    expect(board.page.get_by_text("No tasks match this view.")).to_be_visible()


def test_the_board_fits_a_phone(context: BrowserContext, product: Product) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    board = Board(page, product.base_url).open()
    expect(page.get_by_role("button", name="New task")).to_be_visible()
    expect(page.get_by_label("Message the assistant")).to_be_attached()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px wide"
    board.press("n")
    expect(board.dialog().get_by_label("Title", exact=True)).to_be_visible()
