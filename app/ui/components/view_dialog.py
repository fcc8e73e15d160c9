"""The frame of a read-only dialog: its heading, an error or its body, and a Close button."""

from typing import Any

import reflex as rx


def view_dialog(
    *heading: rx.Component,
    error: rx.Var[str],
    body: rx.Component,
    is_open: rx.Var[bool],
    on_open_change: Any,
    max_width: str,
) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            *heading,
            rx.cond(
                error != "",
                rx.callout.root(rx.callout.text(error), color_scheme="red"),
                body,
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                justify="end",
                margin_top="1em",
            ),
            max_width=max_width,
        ),
        open=is_open,
        on_open_change=on_open_change,
    )
