"""The frame of a page of panels (settings, admin): the top bar, a heading, the panels."""

import reflex as rx

from app.ui.components.header import header


def page_frame(title: str, *panels: rx.Component) -> rx.Component:
    return rx.box(
        header(),
        rx.vstack(
            rx.heading(title, size="6", as_="h2"),
            *panels,
            spacing="4",
            padding="1em",
            max_width="60em",
            margin="0 auto",
        ),
        min_height="100vh",
    )
