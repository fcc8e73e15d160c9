"""Whether a browser tab is still connected to this process."""

from reflex.utils.prerequisites import get_and_validate_app


def is_connected(token: str) -> bool:
    namespace = get_and_validate_app().app.event_namespace
    return namespace is None or token in namespace.token_to_sid
