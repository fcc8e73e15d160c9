"""Users, what they may do, and the rules for usernames and passwords.

Every door that takes a username or a password checks it here (the REST schemas, the UI), so
all of them accept the same values and refuse the others with the same message. Each check
returns the value in its canonical form or raises ValueError with that message.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

USERNAME_MIN = 3
USERNAME_MAX = 64
USERNAME_PATTERN = rf"^[A-Za-z0-9._-]{{{USERNAME_MIN},{USERNAME_MAX}}}$"
USERNAME_RULE = (
    f"a username is {USERNAME_MIN} to {USERNAME_MAX} of the letters a-z, the digits 0-9, "
    "'.', '_' and '-'"
)
PASSWORD_MIN = 10
# Hashing is slow on purpose; a longer password only costs the server time.
PASSWORD_MAX = 1024
PASSWORD_RULE = f"a password is {PASSWORD_MIN} to {PASSWORD_MAX} characters long"
DISPLAY_NAME_MAX = 100
TOKEN_NAME_MAX = 100
# How long an API token may live, when it expires at all.
TOKEN_DAYS_MAX = 3650

_USERNAME = re.compile(USERNAME_PATTERN)


def username(text: str) -> str:
    """The username in its canonical form: lower-cased, as it is stored and compared."""
    if not _USERNAME.fullmatch(text):
        raise ValueError(USERNAME_RULE)
    return text.lower()


def password(text: str) -> str:
    if not PASSWORD_MIN <= len(text) <= PASSWORD_MAX:
        raise ValueError(PASSWORD_RULE)
    return text


def derived_username(wanted: str) -> str:
    """A valid username made from `wanted` (say, a provider's preferred name or email):
    disallowed characters become '-', and it is padded or cut to the allowed length."""
    base = re.sub(r"[^a-z0-9._-]+", "-", wanted.lower()).strip("-") or "user"
    return base[:USERNAME_MAX].ljust(USERNAME_MIN, "0")


class User(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    username: str
    display_name: str
    is_admin: bool
    created_at: datetime


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"


SESSION_SCOPES = frozenset(Scope)


@dataclass(frozen=True)
class Principal:
    """Who is asking and what they may do: a session may do everything its user may; a token
    only what its scopes allow."""

    user: User
    scopes: frozenset[Scope]
    via: Literal["session", "token"]

    @property
    def can_write(self) -> bool:
        return Scope.WRITE in self.scopes


def token_scopes(scopes: list[Scope]) -> frozenset[Scope]:
    """A token reads, or reads and writes: writing without reading is not a choice."""
    chosen = frozenset(scopes)
    if len(chosen) != len(scopes) or Scope.READ not in chosen:
        raise ValueError('scopes are ["read"] or ["read", "write"]')
    return chosen


class ApiToken(BaseModel):
    """An API token as listed: never the token itself, which is shown once."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
