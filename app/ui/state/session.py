"""Whether a browser tab is still connected to this process, and whom it acts for."""

import reflex as rx
from reflex.utils.prerequisites import get_and_validate_app


def is_connected(token: str) -> bool:
    namespace = get_and_validate_app().app.event_namespace
    return namespace is None or token in namespace.token_to_sid


class SignedInState(rx.State):
    """The user a tab acts for: every list, change, chat and toast of the tab is theirs.

    The sign-in page sets it (the accounts UI of issue 11); until it does, 0: nobody, whose
    board is empty."""

    _user_id: int = 0


async def owner_of(state: rx.State) -> int:
    """The user the tab of `state` acts for."""
    return (await state.get_state(SignedInState))._user_id
