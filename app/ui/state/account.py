"""Who a tab is signed in as: the holder of the session cookie its browser sent when the tab's
WebSocket connected. app/ui/state/guard.py checks that session again before every event, so a
session that ended (signed out, everywhere too) stops working in the tabs that are open."""

import reflex as rx
from reflex.event import EventSpec
from starlette.requests import cookie_parser

from app.api.deps import SESSION_COOKIE
from app.domain.users import User
from app.ui import browser, routes
from app.ui.state.event import event
from app.web import current_app


def session_cookie(cookie_header: str) -> str | None:
    return cookie_parser(cookie_header).get(SESSION_COOKIE) or None


async def session_user(cookie_header: str) -> User | None:
    """The user of the session in `cookie_header`, or None for none, or one that ended."""
    cookie = session_cookie(cookie_header)
    if cookie is None:
        return None
    principal = await current_app().accounts.session_principal(cookie)
    return None if principal is None else principal.user


class AccountState(rx.State):
    username: rx.Field[str] = rx.field("")
    display_name: rx.Field[str] = rx.field("")
    is_admin: rx.Field[bool] = rx.field(False)
    _user: User | None = None

    @property
    def user(self) -> User:
        """The signed-in user (the guard has made sure there is one before any event of a
        page that needs it)."""
        if self._user is None:
            raise LookupError("no user is signed in in this tab")
        return self._user

    @property
    def user_id(self) -> int:
        return self.user.id

    def _sign_in(self, user: User) -> None:
        if user != self._user:
            self._user = user
            self.username, self.display_name = user.username, user.display_name
            self.is_admin = user.is_admin

    @event
    def sign_out(self) -> EventSpec:
        return rx.call_script(
            browser.send_then_start_over("POST", "/api/auth/logout", routes.LOGIN)
        )

    @event
    def sign_out_everywhere(self) -> EventSpec:
        return rx.call_script(
            browser.send_then_start_over("POST", "/api/auth/logout-everywhere", routes.LOGIN)
        )
