"""The board's toolbar: quick add, search, filters and sort."""

import reflex as rx

from app.domain.task_fields import SEARCH_TEXT_MAX
from app.ui.state.board import BoardState

SEARCH_ID = "search-input"
QUICK_ADD_ID = "quick-add"

SORT_FIELDS = (
    ("due_date", "Due date"),
    ("priority", "Priority"),
    ("created_at", "Created"),
    ("updated_at", "Updated"),
    ("title", "Title"),
)


def labelled_select(
    label: str, items: list[tuple[str, str]], value: rx.Var[str], on_change: rx.EventHandler
) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label, title=label, min_width="7.5em"),
        rx.select.content(*[rx.select.item(text, value=key) for key, text in items]),
        value=value,
        on_change=on_change,
        size="2",
    )


def quick_add() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                rx.input.slot(rx.icon("zap", size=16)),
                name="line",
                id=QUICK_ADD_ID,
                placeholder="Quick add: pay rent on the 1st every month #home high priority",
                aria_label="Quick add a task",
                max_length=500,
                auto_complete="off",
                flex="1",
            ),
            rx.button("Add", type="submit", variant="soft"),
            width="100%",
        ),
        rx.cond(
            BoardState.quick_error != "",
            rx.text(BoardState.quick_error, color=rx.color("red", 11), size="1", role="alert"),
        ),
        on_submit=BoardState.quick_add,
        reset_on_submit=False,
        width="100%",
    )


def search_box() -> rx.Component:
    return rx.input(
        rx.input.slot(rx.icon("search", size=16)),
        value=BoardState.search,
        on_change=BoardState.set_search,
        id=SEARCH_ID,
        type="search",
        placeholder="Search tasks (press /)",
        aria_label="Search tasks",
        max_length=SEARCH_TEXT_MAX,
        flex="1",
        min_width="12em",
    )


def filter_bar() -> rx.Component:
    return rx.flex(
        search_box(),
        labelled_select(
            "Status",
            [("pending", "Open"), ("completed", "Completed"), ("all", "All tasks")],
            BoardState.status,
            BoardState.set_status,
        ),
        labelled_select(
            "Priority",
            [("any", "Any priority"), ("high", "High"), ("medium", "Medium"), ("low", "Low")],
            BoardState.priority,
            BoardState.set_priority,
        ),
        rx.input(
            rx.input.slot(rx.icon("tag", size=14)),
            value=BoardState.tags,
            on_change=BoardState.set_tags,
            placeholder="Tags",
            aria_label="Filter by tags",
            width="9em",
        ),
        rx.hstack(
            rx.text("Due", size="2", color=rx.color("gray", 11)),
            rx.input(
                type="date",
                value=BoardState.due_from,
                on_change=BoardState.set_due_from,
                aria_label="Due from",
                title="Due from",
            ),
            rx.text("to", size="1", color=rx.color("gray", 10)),
            rx.input(
                type="date",
                value=BoardState.due_to,
                on_change=BoardState.set_due_to,
                aria_label="Due until",
                title="Due until",
            ),
            align="center",
            spacing="1",
        ),
        rx.hstack(
            labelled_select(
                "Sort by", list(SORT_FIELDS), BoardState.sort_by, BoardState.set_sort_by
            ),
            rx.icon_button(
                rx.cond(
                    BoardState.order == "asc",
                    rx.icon("arrow-up-narrow-wide", size=16),
                    rx.icon("arrow-down-wide-narrow", size=16),
                ),
                variant="soft",
                on_click=BoardState.toggle_order,
                aria_label=rx.cond(
                    BoardState.order == "asc", "Sorted ascending", "Sorted descending"
                ),
                title=rx.cond(BoardState.order == "asc", "Ascending", "Descending"),
            ),
            spacing="1",
        ),
        rx.cond(
            BoardState.filtered,
            rx.button(
                rx.icon("x", size=14),
                "Clear",
                variant="ghost",
                on_click=BoardState.clear_filters,
                aria_label="Clear filters",
            ),
        ),
        wrap="wrap",
        spacing="2",
        align="center",
        width="100%",
    )
