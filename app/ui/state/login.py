"""The sign-in page: sign in with a username and a password, or, on a fresh install (no user
yet), sign up the first user, the admin; single sign-on when a provider is configured.

The browser sends the request itself (app/ui/browser.py), so it receives the session cookie;
the page then starts over at the board, whose WebSocket carries that cookie."""

from typing import Any

import reflex as rx
from reflex.event import EventSpec

from app.domain import users
from app.ui import browser, routes
from app.ui.state.account import session_user
from app.ui.state.event import event
from app.web import current_app

_SIGNED_IN = frozenset({200, 201})


class LoginState(rx.State):
    first_run: rx.Field[bool] = rx.field(False)
    single_sign_on: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    sending: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    @event
    async def load(self) -> EventSpec | None:
        """on_load: a tab that is signed in already goes to the board."""
        if await session_user(self.router.headers.cookie) is not None:
            return rx.redirect(routes.BOARD)
        web_app = current_app()
        self.first_run = await web_app.accounts.needs_first_user()
        self.single_sign_on = web_app.runtime.settings.accounts.oidc
        self.sending = False
        self.loaded = True
        return None

    @event
    def submit(self, form: dict[str, Any]) -> EventSpec | None:
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        if not username or not password:
            self.error = "Enter your username and your password."
            return None
        if self.first_run:
            try:
                users.username(username)
                users.password(password)
            except ValueError as rule:
                self.error = f"{str(rule).capitalize()}."
                return None
        self.error = ""
        self.sending = True
        path = "/api/auth/signup" if self.first_run else "/api/auth/login"
        body = {"username": username, "password": password}
        return rx.call_script(browser.send("POST", path, body), callback=LoginState.answered)

    @event
    async def answered(self, answer: dict[str, Any]) -> EventSpec | None:
        status = answer.get("status")
        if status in _SIGNED_IN:
            return rx.call_script(browser.start_over(routes.BOARD))
        self.sending = False
        if status == 401:
            self.error = "Wrong username or password."
        elif status == 429:
            self.error = f"Too many failed attempts: try again in {answer.get('retry_after')} s."
        elif status == 403 and self.first_run:
            # Someone else made the first account meanwhile.
            self.first_run = False
            self.error = "An account exists now: sign in."
        else:
            self.error = f"Could not sign in ({_detail(answer)}). Try again."
        return None


def _detail(answer: dict[str, Any]) -> str:
    detail = answer.get("detail")
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        return str(detail[0].get("msg", ""))
    return str(detail or f"status {answer.get('status')}")
