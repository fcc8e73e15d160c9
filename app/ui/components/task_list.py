"""The board's list: one row per task, with empty, loading and error states and paging."""

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from app.ui.state.board import BoardState, DeletedRow
from app.ui.state.editor import EditorState
from app.ui.state.history import HistoryState
from app.ui.state.rows import TaskRow

PRIORITY_COLORS = {"high": "red", "medium": "amber", "low": "gray"}


def priority_badge(priority: rx.Var[str]) -> rx.Component:
    return rx.badge(
        rx.match(priority, ("high", "High"), ("medium", "Medium"), ("low", "Low"), priority),
        color_scheme=rx.match(priority, *PRIORITY_COLORS.items(), "gray"),
        variant="soft",
        aria_label=f"{priority} priority",
    )


def due_badge(row: ObjectVar[TaskRow]) -> rx.Component:
    return rx.cond(
        row.due != "",
        rx.badge(
            rx.icon("calendar", size=12),
            row.due,
            color_scheme=rx.cond(row.overdue, "red", "gray"),
            variant=rx.cond(row.overdue, "solid", "surface"),
            title=row.due_exact,
        ),
    )


def next_reminder_badge(row: ObjectVar[TaskRow]) -> rx.Component:
    return rx.cond(
        row.next_reminder != "",
        rx.badge(
            rx.icon("alarm-clock", size=12), row.next_reminder, color_scheme="amber", variant="soft"
        ),
    )


def flag_icon(name: str, text: rx.Var[str]) -> rx.Component:
    """A small icon with the text as its accessible name and tooltip."""
    return rx.cond(
        text != "",
        rx.tooltip(
            rx.icon(name, size=14, aria_label=text, role="img", color=rx.color("gray", 10)),
            content=text,
        ),
    )


def tag_chip(tag: rx.Var[str]) -> rx.Component:
    return rx.button(
        f"#{tag}",
        size="1",
        variant="soft",
        radius="full",
        color_scheme="indigo",
        on_click=BoardState.filter_tag(tag),
        aria_label=f"Show tasks tagged {tag}",
    )


def _row_button(
    icon: str,
    action: str,
    row: ObjectVar[TaskRow],
    on_click: Any,
    *,
    color: str = "gray",
    size: int = 16,
    label: str | None = None,
) -> rx.Component:
    """A ghost icon button named, for screen readers, after what it does to this task."""
    return rx.icon_button(
        rx.icon(icon, size=size),
        variant="ghost",
        color_scheme=color,
        on_click=on_click,
        aria_label=f"{label or action} {row.title}",
        title=action,
    )


def row_actions(row: ObjectVar[TaskRow]) -> rx.Component:
    return rx.hstack(
        _row_button("pencil", "Edit", row, EditorState.open_edit(row.id)),
        _row_button("history", "History", row, HistoryState.open_for(row.id), label="History of"),
        _row_button("trash-2", "Delete", row, BoardState.delete(row.id), color="red"),
        spacing="1",
        flex_shrink="0",
    )


def done_toggle(row: ObjectVar[TaskRow]) -> rx.Component:
    return rx.cond(
        row.completed,
        _row_button(
            "circle-check", "Reopen", row, BoardState.reopen(row.id), color="green", size=20
        ),
        _row_button("circle", "Complete", row, BoardState.complete(row.id), size=20),
    )


def task_row(row: ObjectVar[TaskRow]) -> rx.Component:
    return rx.hstack(
        done_toggle(row),
        rx.vstack(
            rx.text(
                row.title,
                weight="medium",
                text_decoration=rx.cond(row.completed, "line-through", "none"),
                color=rx.cond(row.completed, rx.color("gray", 10), rx.color("gray", 12)),
                word_break="break-word",
            ),
            rx.cond(
                row.description != "",
                rx.text(row.description, size="1", color=rx.color("gray", 10), trim="both"),
            ),
            rx.flex(
                priority_badge(row.priority),
                due_badge(row),
                next_reminder_badge(row),
                flag_icon("repeat", row.repeats),
                flag_icon("bell", row.reminder),
                rx.foreach(row.tags, tag_chip),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            spacing="1",
            flex="1",
            min_width="0",
        ),
        row_actions(row),
        role="listitem",
        aria_label=row.title,
        align="start",
        padding="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        border_left=rx.cond(
            row.overdue, f"4px solid {rx.color('red', 9)}", "4px solid transparent"
        ),
        background=rx.cond(row.overdue, rx.color("red", 2), "transparent"),
        width="100%",
    )


def undo_banner(deleted: ObjectVar[DeletedRow]) -> rx.Component:
    return rx.callout.root(
        rx.hstack(
            rx.callout.text(f"Deleted “{deleted.title}”."),
            rx.button(
                "Undo",
                size="1",
                variant="soft",
                on_click=BoardState.undo_delete(deleted.id),
                aria_label=f"Undo deleting {deleted.title}",
            ),
            align="center",
            justify="between",
            width="100%",
        ),
        color_scheme="gray",
        size="1",
        role="status",
    )


def empty_state() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("list-todo", size=40, color=rx.color("gray", 8)),
            rx.cond(
                BoardState.filtered,
                rx.fragment(
                    rx.text("No tasks match this view.", weight="medium"),
                    rx.button("Clear filters", variant="soft", on_click=BoardState.clear_filters),
                ),
                rx.fragment(
                    rx.text("No tasks yet.", weight="medium"),
                    rx.text(
                        "Add one with New task (press n), the quick-add line, or ask the chat.",
                        size="2",
                        color=rx.color("gray", 10),
                        align="center",
                    ),
                ),
            ),
            align="center",
            spacing="2",
        ),
        padding="3em 1em",
    )


def loading_state() -> rx.Component:
    return rx.vstack(
        *[rx.skeleton(height="3.5em", width="100%", loading=True) for _ in range(5)],
        width="100%",
        spacing="2",
        padding="0.75em",
        aria_busy="true",
        aria_label="Loading tasks",
    )


def error_state() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle-alert")),
        rx.callout.text(BoardState.error),
        rx.button("Retry", size="1", variant="soft", on_click=BoardState.retry),
        color_scheme="red",
        role="alert",
        margin="0.75em",
    )


def pager() -> rx.Component:
    return rx.hstack(
        rx.text(BoardState.range_label, size="2", color=rx.color("gray", 11)),
        rx.spacer(),
        rx.icon_button(
            rx.icon("chevron-left", size=16),
            variant="soft",
            disabled=BoardState.page <= 1,
            on_click=BoardState.go_to_page(BoardState.page - 1),
            aria_label="Previous page",
        ),
        rx.text(
            f"Page {BoardState.page} of {BoardState.page_count}",
            size="2",
            aria_live="polite",
        ),
        rx.icon_button(
            rx.icon("chevron-right", size=16),
            variant="soft",
            disabled=BoardState.page >= BoardState.page_count,
            on_click=BoardState.go_to_page(BoardState.page + 1),
            aria_label="Next page",
        ),
        align="center",
        width="100%",
        padding="0.5em 0.75em",
        spacing="2",
    )


def task_list() -> rx.Component:
    return rx.vstack(
        rx.foreach(BoardState.deleted, undo_banner),
        rx.cond(
            BoardState.error != "",
            error_state(),
            rx.cond(
                BoardState.loading,
                loading_state(),
                rx.cond(
                    BoardState.total == 0,
                    empty_state(),
                    rx.box(
                        rx.foreach(BoardState.rows, task_row),
                        role="list",
                        aria_label="Tasks",
                        width="100%",
                    ),
                ),
            ),
        ),
        pager(),
        width="100%",
        spacing="2",
    )
