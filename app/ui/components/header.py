"""The top bar: the product's name, the page's own actions, and the signed-in user's (settings,
the admin page for admins, sign out)."""

import reflex as rx

from app.ui import routes
from app.ui.components.shortcuts import NEW_TASK_ID
from app.ui.state.account import AccountState
from app.ui.state.editor import EditorState
from app.ui.state.stats import StatsState


def wide_only(text: str) -> rx.Component:
    """A button's words, shown beside its icon on wider screens only."""
    return rx.text(text, display=rx.breakpoints(initial="none", sm="inline"))


def board_actions() -> list[rx.Component]:
    return [
        rx.button(
            rx.icon("chart-column", size=16),
            wide_only("Stats"),
            variant="soft",
            color_scheme="gray",
            on_click=StatsState.open_stats,
            aria_label="Stats",
        ),
        rx.button(
            rx.icon("plus", size=16),
            wide_only("New task"),
            on_click=EditorState.open_new,
            id=NEW_TASK_ID,
            aria_label="New task",
            title="New task (n)",
        ),
    ]


def page_link(icon: str, text: str, href: str) -> rx.Component:
    return rx.link(
        rx.button(rx.icon(icon, size=16), wide_only(text), variant="ghost", color_scheme="gray"),
        href=href,
        aria_label=text,
        display="inline-flex",
    )


def user_actions() -> rx.Component:
    return rx.hstack(
        rx.text(
            AccountState.display_name,
            size="2",
            weight="medium",
            aria_label="Signed in as",
            display=rx.breakpoints(initial="none", md="inline"),
        ),
        page_link("settings", "Settings", routes.SETTINGS),
        rx.cond(AccountState.is_admin, page_link("users", "Admin", routes.ADMIN)),
        rx.button(
            rx.icon("log-out", size=16),
            wide_only("Sign out"),
            variant="ghost",
            color_scheme="gray",
            on_click=AccountState.sign_out,
            aria_label="Sign out",
        ),
        align="center",
        spacing=rx.breakpoints(initial="2", sm="3"),
    )


def header(*actions: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.link(
            rx.hstack(
                rx.icon("square-check-big", size=24, color=rx.color("accent", 9)),
                rx.heading("TaskFlow", size="6", as_="h1"),
                align="center",
                spacing="2",
            ),
            href=routes.BOARD,
            underline="none",
            color="inherit",
            aria_label="TaskFlow board",
        ),
        rx.spacer(),
        *actions,
        rx.link(
            "API",
            href="/api/docs",
            reload_document=True,
            size="2",
            display=rx.breakpoints(initial="none", sm="inline"),
        ),
        user_actions(),
        align="center",
        spacing=rx.breakpoints(initial="2", sm="3"),
        width="100%",
        padding="0.75em 1em",
        position="sticky",
        top="0",
        z_index="10",
        background=rx.color("gray", 1),
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )
