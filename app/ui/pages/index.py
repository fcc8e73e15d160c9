"""The landing page."""

import reflex as rx


def index() -> rx.Component:
    return rx.container(
        rx.vstack(
            rx.heading("TaskFlow", size="8"),
            rx.text("A self-hostable, chat-first todo service with reminders and recurring tasks."),
            # A full page load: /api/docs is served by FastAPI, not by the client router.
            rx.link("API documentation", href="/api/docs", reload_document=True),
            spacing="4",
            padding_y="8",
        ),
    )
