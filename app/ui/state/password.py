"""The settings page's password change: the current password and a new one that keeps the
password rule. The user's other sessions end; this tab's stays."""

from typing import Any

import reflex as rx
from reflex.event import EventSpec

from app.domain import users
from app.services.accounts import Throttled
from app.services.errors import Invalid
from app.ui.state.account import AccountState, session_cookie
from app.ui.state.event import event
from app.web import current_app


class PasswordState(rx.State):
    error: rx.Field[str] = rx.field("")

    @event
    async def change(self, form: dict[str, Any]) -> list[EventSpec] | None:
        current = str(form.get("current_password", ""))
        new = str(form.get("new_password", ""))
        if not current:
            self.error = "Enter your current password."
            return None
        try:
            users.password(new)
        except ValueError as rule:
            self.error = f"New password: {rule}."
            return None
        account = await self.get_state(AccountState)
        keep = session_cookie(self.router.headers.cookie)
        try:
            await current_app().accounts.change_password(account.user, current, new, keep)
        except Invalid as wrong:
            self.error = f"{str(wrong).capitalize()}."
            return None
        except Throttled as throttled:
            self.error = f"Too many failed attempts: try again in {throttled.retry_after} s."
            return None
        self.error = ""
        return [
            rx.set_value("current-password", ""),
            rx.set_value("new-password", ""),
            rx.toast.success("Password changed; your other sessions have ended"),
        ]
