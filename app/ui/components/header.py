"""The top bar: the product's name and the actions that open a dialog."""

import reflex as rx

from app.ui.components.shortcuts import NEW_TASK_ID
from app.ui.state.editor import EditorState
from app.ui.state.stats import StatsState


def header() -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.icon("square-check-big", size=24, color=rx.color("accent", 9)),
            rx.heading("TaskFlow", size="6", as_="h1"),
            align="center",
            spacing="2",
        ),
        rx.spacer(),
        rx.button(
            rx.icon("chart-column", size=16),
            rx.text("Stats", display=rx.breakpoints(initial="none", sm="inline")),
            variant="soft",
            color_scheme="gray",
            on_click=StatsState.open_stats,
            aria_label="Stats",
        ),
        rx.button(
            rx.icon("plus", size=16),
            "New task",
            on_click=EditorState.open_new,
            id=NEW_TASK_ID,
            aria_label="New task",
            title="New task (n)",
        ),
        rx.link(
            "API",
            href="/api/docs",
            reload_document=True,
            size="2",
            display=rx.breakpoints(initial="none", sm="inline"),
        ),
        align="center",
        width="100%",
        padding="0.75em 1em",
        position="sticky",
        top="0",
        z_index="10",
        background=rx.color("gray", 1),
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )
