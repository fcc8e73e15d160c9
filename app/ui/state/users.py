"""The admin page: the install's users; make one, delete one with everything they own."""

import contextlib
import dataclasses
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from app.domain import users
from app.domain.users import User
from app.services.errors import Conflict, NotFound
from app.ui import routes
from app.ui.format import wall_clock
from app.ui.state.account import AccountState
from app.ui.state.event import event
from app.web import current_app


@dataclasses.dataclass
class UserRow:
    id: int = 0
    username: str = ""
    display_name: str = ""
    is_admin: bool = False
    created: str = ""
    me: bool = False


class UsersState(rx.State):
    rows: rx.Field[list[UserRow]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    # The user whose deletion waits for the admin's confirmation.
    deleting_id: rx.Field[int] = rx.field(0)
    deleting_name: rx.Field[str] = rx.field("")
    confirming: rx.Field[bool] = rx.field(False)

    @event
    async def load(self) -> EventSpec | None:
        """on_load: admins only; anyone else goes to the board."""
        if not (await self._admin()):
            return rx.redirect(routes.BOARD)
        self.confirming = False
        await self._list()
        return None

    @event
    async def create(self, form: dict[str, Any]) -> list[EventSpec] | EventSpec | None:
        if not (await self._admin()):
            return rx.redirect(routes.BOARD)
        try:
            username = users.username(str(form.get("username", "")).strip())
            password = users.password(str(form.get("password", "")))
        except ValueError as rule:
            self.error = f"{str(rule).capitalize()}."
            return None
        is_admin = bool(form.get("is_admin"))
        try:
            made = await current_app().accounts.create_user(username, password, is_admin)
        except Conflict as taken:
            self.error = f"{str(taken).capitalize()}."
            return None
        self.error = ""
        await self._list()
        return [
            rx.set_value("new-username", ""),
            rx.set_value("new-password", ""),
            rx.toast.success(f"Made {made.username}"),
        ]

    @event
    def ask_delete(self, user_id: int) -> None:
        row = next((row for row in self.rows if row.id == user_id), None)
        if row is not None:
            self.deleting_id, self.deleting_name = row.id, row.username
            self.confirming = True

    @event
    def set_confirming(self, value: bool) -> None:
        self.confirming = value

    @event
    async def delete(self) -> EventSpec | None:
        self.confirming = False
        account = await self.get_state(AccountState)
        if not account.is_admin:
            return rx.redirect(routes.BOARD)
        try:
            with contextlib.suppress(NotFound):
                await current_app().accounts.delete_user(self.deleting_id, account.user)
        except Conflict as refused:
            self.error = f"{str(refused).capitalize()}."
            return None
        await self._list()
        return rx.toast.success(f"Deleted {self.deleting_name} and their data")

    async def _admin(self) -> bool:
        return (await self.get_state(AccountState)).is_admin

    async def _list(self) -> None:
        me = (await self.get_state(AccountState)).user_id
        web_app = current_app()
        zone = web_app.runtime.settings.timezone
        self.rows = [_row(user, me, zone) for user in await web_app.accounts.users()]


def _row(user: User, me: int, zone: str) -> UserRow:
    return UserRow(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        is_admin=user.is_admin,
        created=wall_clock(user.created_at, zone),
        me=user.id == me,
    )
