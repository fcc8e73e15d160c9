"""The signed-in user's settings: notification channels, quiet hours and digest, API tokens,
the password, the sessions."""

import reflex as rx

from app.ui.components.channel_panel import notifications_panel
from app.ui.components.page_frame import page_frame
from app.ui.components.preferences_panel import preferences_panel
from app.ui.components.settings_panels import password_panel, sessions_panel, tokens_panel
from app.ui.state.channels import ChannelsState
from app.ui.state.preferences import PreferencesState
from app.ui.state.tokens import TokensState

ON_LOAD = [ChannelsState.load, PreferencesState.load, TokensState.load]


def settings() -> rx.Component:
    return page_frame(
        "Settings",
        notifications_panel(),
        preferences_panel(),
        tokens_panel(),
        password_panel(),
        sessions_panel(),
    )
