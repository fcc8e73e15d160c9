"""The sign-in page, the one page open to everyone."""

import reflex as rx

from app.ui.components.sign_in import sign_in_card
from app.ui.state.login import LoginState

ON_LOAD = [LoginState.load]


def login() -> rx.Component:
    return rx.center(
        rx.cond(LoginState.loaded, sign_in_card(), rx.spinner(size="3")),
        min_height="100vh",
        padding="1em",
    )
