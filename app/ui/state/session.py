"""Whether a browser tab is still connected to this process, and whom it acts for."""

import reflex as rx
from reflex.utils.prerequisites import get_and_validate_app

from app.ui.state.account import AccountState


def is_connected(token: str) -> bool:
    namespace = get_and_validate_app().app.event_namespace
    return namespace is None or token in namespace.token_to_sid


async def owner_of(state: rx.State) -> int:
    """The user the tab of `state` acts for: every list, change, chat and toast of the tab is
    theirs. (app/ui/state/guard.py has made sure a user is signed in before any event that
    acts.)"""
    return (await state.get_state(AccountState)).user_id
