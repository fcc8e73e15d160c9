"""A task's history: the recurrence chain it belongs to and its audit trail."""

import reflex as rx
from reflex.vars import ObjectVar

from app.ui.components.view_dialog import view_dialog
from app.ui.state.history import AuditLine, ChainLink, HistoryState


def chain_link(link: ObjectVar[ChainLink]) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.cond(
                link.completed,
                rx.icon("circle-check", size=14, color=rx.color("green", 10), aria_label="done"),
                rx.icon("circle", size=14, color=rx.color("gray", 9), aria_label="open"),
            ),
            rx.cond(
                link.current,
                rx.text(link.title, weight="bold", size="2"),
                rx.button(
                    link.title,
                    variant="ghost",
                    size="1",
                    on_click=HistoryState.open_for(link.id),
                    title="Show this one's history",
                ),
            ),
            rx.text(link.due, size="1", color=rx.color("gray", 10)),
            rx.cond(link.current, rx.badge("this task", size="1")),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        padding_y="0.2em",
    )


def audit_line(line: ObjectVar[AuditLine]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(line.when, title=line.exact, size="1")),
        rx.table.cell(rx.text(line.what, size="2", weight="medium")),
        rx.table.cell(rx.text(line.detail, size="1", color=rx.color("gray", 11))),
    )


def history_body() -> rx.Component:
    return rx.vstack(
        rx.heading("Recurrence chain", size="3", as_="h3"),
        rx.cond(
            HistoryState.chain.length() > 1,
            rx.el.ol(
                rx.foreach(HistoryState.chain, chain_link),
                aria_label="Recurrence chain",
                padding_left="0.25em",
                margin="0",
                list_style="none",
            ),
            rx.text("This task is not part of a series yet.", size="2", color=rx.color("gray", 10)),
        ),
        rx.heading("Audit trail", size="3", as_="h3", margin_top="0.75em"),
        rx.cond(
            HistoryState.events.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("When"),
                        rx.table.column_header_cell("What"),
                        rx.table.column_header_cell("Details"),
                    )
                ),
                rx.table.body(rx.foreach(HistoryState.events, audit_line)),
                size="1",
                width="100%",
                aria_label="Audit trail",
            ),
            rx.text("No events recorded yet.", size="2", color=rx.color("gray", 10)),
        ),
        rx.cond(
            HistoryState.event_total > HistoryState.events.length(),
            rx.text(
                f"Showing the latest {HistoryState.events.length()} of "
                f"{HistoryState.event_total} events.",
                size="1",
                color=rx.color("gray", 10),
            ),
        ),
        spacing="2",
        width="100%",
    )


def history_dialog() -> rx.Component:
    return view_dialog(
        rx.dialog.title(f"History: {HistoryState.title}"),
        rx.dialog.description(
            "The series this task belongs to, and everything that happened to it.",
            size="2",
            margin_bottom="1em",
        ),
        error=HistoryState.error,
        body=history_body(),
        is_open=HistoryState.open,
        on_open_change=HistoryState.set_open,
        max_width="640px",
    )
