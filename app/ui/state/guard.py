"""Every event of a page that needs a signed-in user passes here first: without a live session
(none, or one that ended) the tab is sent to the sign-in page and the event is dropped.

Deny by default: only the events of the states below run without a user (Reflex's own, which
load pages and run their on_load events, which are checked in turn, and the sign-in page's)."""

import reflex as rx
from reflex.event import Event
from reflex.state import (
    BaseState,
    FrontendEventExceptionState,
    OnLoadInternalState,
    State,
    StateUpdate,
    UpdateVarsInternalState,
)

from app.ui import browser, routes
from app.ui.state.account import AccountState, session_user
from app.ui.state.login import LoginState

_OPEN_STATES = frozenset(
    state.get_full_name()
    for state in (
        State,
        FrontendEventExceptionState,
        OnLoadInternalState,
        UpdateVarsInternalState,
        LoginState,
    )
)


class SignInRequired(rx.Middleware):
    async def preprocess(self, app: rx.App, state: BaseState, event: Event) -> StateUpdate | None:
        state_name = event.name.rpartition(".")[0]
        if state_name in _OPEN_STATES:
            return None
        user = await session_user(state.router.headers.cookie)
        if user is None:
            return StateUpdate(events=Event.from_event_type(rx.redirect(routes.LOGIN)))
        account = await state.get_state(AccountState)
        if account._user is not None and account._user.id != user.id:
            # The tab reconnected with another user's cookie: nothing of the first may stay.
            return StateUpdate(
                events=Event.from_event_type(rx.call_script(browser.start_over(routes.BOARD)))
            )
        account._sign_in(user)
        return None
