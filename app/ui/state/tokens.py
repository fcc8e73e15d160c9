"""The settings page's API tokens: make one (shown this once, with a copy button), list them,
revoke one. Tokens are for scripts and MCP clients; the page itself uses its session."""

import contextlib
import dataclasses
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from app.domain.users import TOKEN_DAYS_MAX, TOKEN_NAME_MAX, ApiToken, Scope
from app.services.errors import NotFound
from app.ui.format import wall_clock
from app.ui.state.account import AccountState
from app.ui.state.event import event
from app.web import current_app

READ = "read"
READ_WRITE = "read-write"
_SCOPES = {READ: frozenset({Scope.READ}), READ_WRITE: frozenset({Scope.READ, Scope.WRITE})}


@dataclasses.dataclass
class TokenRow:
    id: int = 0
    name: str = ""
    scopes: str = ""
    created: str = ""
    expires: str = ""
    last_used: str = ""


class TokensState(rx.State):
    rows: rx.Field[list[TokenRow]] = rx.field(default_factory=list)
    scope: rx.Field[str] = rx.field(READ)
    error: rx.Field[str] = rx.field("")
    # The token just made: shown until the user dismisses it, and never again.
    new_token: rx.Field[str] = rx.field("")
    new_token_name: rx.Field[str] = rx.field("")

    @event
    async def load(self) -> None:
        self.new_token = self.new_token_name = ""
        await self._list()

    @event
    def set_scope(self, value: str) -> None:
        if value in _SCOPES:
            self.scope = value

    @event
    async def create(self, form: dict[str, Any]) -> EventSpec | None:
        name = str(form.get("name", "")).strip()
        days_text = str(form.get("expires_in_days", "")).strip()
        if not 1 <= len(name) <= TOKEN_NAME_MAX:
            self.error = f"Name: 1 to {TOKEN_NAME_MAX} characters."
            return None
        days = None
        if days_text:
            if not days_text.isdigit() or not 1 <= int(days_text) <= TOKEN_DAYS_MAX:
                self.error = f"Expires in: a whole number of days from 1 to {TOKEN_DAYS_MAX}."
                return None
            days = int(days_text)
        account = await self.get_state(AccountState)
        stored, token = await current_app().accounts.create_token(
            account.user_id, name, _SCOPES[self.scope], days
        )
        self.error = ""
        self.new_token, self.new_token_name = token, stored.name
        await self._list()
        return rx.set_value("token-name", "")

    @event
    def dismiss_new_token(self) -> None:
        self.new_token = self.new_token_name = ""

    @event
    def copy_new_token(self) -> list[EventSpec]:
        return [rx.set_clipboard(self.new_token), rx.toast.success("Token copied")]

    @event
    async def revoke(self, token_id: int) -> EventSpec:
        account = await self.get_state(AccountState)
        with contextlib.suppress(NotFound):
            await current_app().accounts.revoke_token(account.user_id, int(token_id))
        await self._list()
        return rx.toast.success("Token revoked")

    async def _list(self) -> None:
        web_app = current_app()
        account = await self.get_state(AccountState)
        zone = web_app.runtime.settings.timezone
        tokens = await web_app.accounts.tokens(account.user_id)
        self.rows = [_row(token, zone) for token in tokens]


def _row(token: ApiToken, zone: str) -> TokenRow:
    return TokenRow(
        id=token.id,
        name=token.name,
        scopes=" + ".join(scope.value for scope in sorted(token.scopes)),
        created=wall_clock(token.created_at, zone),
        expires=wall_clock(token.expires_at, zone) if token.expires_at else "never",
        last_used=wall_clock(token.last_used_at, zone) if token.last_used_at else "never",
    )
