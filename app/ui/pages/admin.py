"""The admins' page: the install's users."""

import reflex as rx

from app.ui.components.page_frame import page_frame
from app.ui.components.user_admin import users_panel
from app.ui.state.users import UsersState

ON_LOAD = [UsersState.load]


def admin() -> rx.Component:
    return page_frame("Admin", users_panel())
