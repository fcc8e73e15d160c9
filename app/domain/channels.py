"""Where a user's reminders go besides the open tabs: their notification channels, and the
rules a channel's target follows. Each check returns the target in its canonical form or
raises ValueError with the message every door (REST, UI) shows."""

import re
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

TARGET_MAX = 500
TOKEN_MAX = 200


class ChannelType(StrEnum):
    EMAIL = "email"
    NTFY = "ntfy"
    WEBHOOK = "webhook"
    WEBPUSH = "webpush"


# The types a notification can be sent on today; the others are refused when a channel is made.
AVAILABLE = frozenset({ChannelType.EMAIL, ChannelType.WEBHOOK})

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_EMAIL = re.compile(rf"[^@\s\x00-\x1f\x7f\"(),:;<>\[\\\]]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")


def email(text: str) -> str:
    """An address a mail server accepts: local part @ a dotted domain (stored lower-cased)."""
    local, _, domain = text.strip().rpartition("@")
    address = f"{local}@{domain.lower()}"
    if len(address) > TARGET_MAX or not _EMAIL.fullmatch(address):
        raise ValueError("target must be an email address, like someone@example.com")
    return address


def http_url(text: str) -> str:
    """An http or https URL with a host, as given."""
    url = text.strip()
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port out of range, a malformed IPv6 address
        usable = False
    if (
        not usable
        or len(url) > TARGET_MAX
        or any(char.isspace() or not char.isprintable() for char in url)
    ):
        raise ValueError("target must be an http:// or https:// URL with a host")
    return url


def target(kind: ChannelType, text: str) -> str:
    """The target of a channel of `kind`, checked: an address for email, else a URL."""
    return email(text) if kind == ChannelType.EMAIL else http_url(text)


class Channel(BaseModel):
    """One place a user's reminders are sent. A webhook's `secret` signs what it is sent; it is
    shown once, when the channel is made."""

    model_config = ConfigDict(frozen=True)

    id: int
    owner_id: int
    type: ChannelType
    target: str
    secret: str | None = None
    created_at: datetime
