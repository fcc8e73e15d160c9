"""Errors the use cases raise; the API turns them into 404/409/422."""


class NotFound(Exception):
    def __init__(self, what: str, ident: int | str) -> None:
        super().__init__(f"{what} {ident} not found")


class Conflict(Exception):
    pass


class Invalid(Exception):
    """Input that is well-formed but not acceptable; `field` names what to fix (a dotted path
    for a field inside another)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class MalformedEvent(Exception):
    """An event handler can never process this event, however often it is delivered: it is
    set aside as a dead letter instead of being retried."""
