"""Whether a browser tab is still connected to this process, and whom it acts for."""

import functools

import reflex as rx
from reflex.utils.prerequisites import get_and_validate_app

from app.ui.state.account import AccountState


@functools.cache
def _reflex_app() -> rx.App:
    """The process's Reflex app, looked up once: each lookup adds an entry to sys.path."""
    return get_and_validate_app().app


async def is_connected(token: str) -> bool:
    namespace = _reflex_app().event_namespace
    # The token manager's own check: a look-up, where `token_to_sid` copies every tab's entry.
    return namespace is None or await namespace._token_manager.is_token_connected(token)


async def owner_of(state: rx.State) -> int:
    """The user the tab of `state` acts for: every list, change, chat and toast of the tab is
    theirs. (app/ui/state/guard.py has made sure a user is signed in before any event that
    acts.)"""
    return (await state.get_state(AccountState)).user_id
