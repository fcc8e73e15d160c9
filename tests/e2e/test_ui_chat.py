"""The chat panel: the assistant's actions appear as cards and the board follows at once."""

from collections.abc import Callable

from playwright.sync_api import expect

from tests.e2e.browser import Board


def test_a_task_added_in_the_chat_appears_on_the_board(open_board: Callable[..., Board]) -> None:
    board = open_board("?q=pay+rent")
    expect(board.page.get_by_text("No tasks match this view.")).to_be_visible()
    board.page_marker()

    message = board.page.get_by_label("Message the assistant")
    message.fill("add pay rent on the 1st every month with high priority")
    message.press("Enter")

    conversation = board.page.get_by_role("log", name="Conversation")
    expect(conversation.get_by_role("article", name="You said")).to_contain_text("add pay rent")
    expect(conversation.get_by_role("article", name="Assistant said")).to_contain_text("Added")
    expect(conversation.get_by_role("note", name="Added Pay rent")).to_contain_text("high priority")
    row = board.row("Pay rent")
    expect(row).to_contain_text("High")
    expect(row.get_by_role("img", name="Repeats every month")).to_be_attached()
    expect(message).to_have_value("")
    assert board.was_not_reloaded()
