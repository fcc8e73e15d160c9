"""The answers a route gives besides its success, declared once for every router's OpenAPI."""

from typing import Any

from fastapi import Response, status
from pydantic import BaseModel

from app.api.schemas import Health
from app.task_views import encode

Responses = dict[int | str, dict[str, Any]]


class ViewResponse(Response):
    """A body of task views (app.task_views), encoded as they are: the route's response_model
    declares it for the schema, and is not validated against it again."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return encode(content)


class Message(BaseModel):
    """An error told in one sentence."""

    detail: str


def _error(code: int, description: str) -> Responses:
    return {code: {"model": Message, "description": description}}


NOT_FOUND = _error(status.HTTP_404_NOT_FOUND, "No such resource")
CONFLICT = _error(
    status.HTTP_409_CONFLICT, "The resource changed meanwhile, or its state forbids the change"
)
MALFORMED_BODY = _error(status.HTTP_400_BAD_REQUEST, "The body is not readable JSON")

TOTAL_COUNT: Responses = {
    status.HTTP_200_OK: {
        "headers": {
            "X-Total-Count": {
                "description": "How many items match, across all pages",
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    }
}
UNHEALTHY: Responses = {
    status.HTTP_503_SERVICE_UNAVAILABLE: {
        "model": Health,
        "description": "A part the service needs is failing; `checks` names it",
    }
}
UNAUTHENTICATED: Responses = {
    status.HTTP_401_UNAUTHORIZED: {
        "model": Message,
        "description": "No valid session or token; the header says how to authenticate",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    }
}
FORBIDDEN = _error(
    status.HTTP_403_FORBIDDEN, "Signed in, but not allowed this (a read-only token writing...)"
)
THROTTLED: Responses = {
    status.HTTP_429_TOO_MANY_REQUESTS: {
        "model": Message,
        "description": "Too many failed attempts; Retry-After says how many seconds to wait",
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
    }
}
