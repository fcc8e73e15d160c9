"""The signed-in user's settings: API tokens, the password, the sessions."""

import reflex as rx

from app.ui.components.page_frame import page_frame
from app.ui.components.settings_panels import password_panel, sessions_panel, tokens_panel
from app.ui.state.tokens import TokensState

ON_LOAD = [TokensState.load]


def settings() -> rx.Component:
    return page_frame("Settings", tokens_panel(), password_panel(), sessions_panel())
