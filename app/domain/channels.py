"""Where a user's reminders go besides the open tabs: their notification channels, and the
rules a channel's target follows. Each check returns the target in its canonical form or
raises ValueError with the message every door (REST, UI) shows."""

import base64
import binascii
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

TARGET_MAX = 500
# An ntfy access token (tk_ and 29 letters or digits today), kept to send with.
TOKEN_MAX = 64


class ChannelType(StrEnum):
    EMAIL = "email"
    NTFY = "ntfy"
    WEBHOOK = "webhook"
    WEBPUSH = "webpush"


_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_EMAIL = re.compile(rf"[^@\s\x00-\x1f\x7f\"(),:;<>\[\\\]]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")
# ntfy's own rule for a topic's name.
_NTFY_TOPIC = re.compile(r"[-_A-Za-z0-9]{1,64}")
_TOKEN = re.compile(rf"[!-~]{{1,{TOKEN_MAX}}}")


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


def ntfy_topic(text: str) -> str:
    """The URL of a topic on an ntfy server, like https://ntfy.sh/my-reminders."""
    url = http_url(text).rstrip("/")
    parts = urlsplit(url)
    if parts.query or parts.fragment or not _NTFY_TOPIC.fullmatch(parts.path.rpartition("/")[2]):
        raise ValueError(
            "target must be the URL of an ntfy topic, like https://ntfy.sh/my-reminders "
            "(the topic: 1 to 64 letters, digits, - or _)"
        )
    return url


def split_topic(url: str) -> tuple[str, str]:
    """An ntfy topic's URL as (the server's URL, the topic)."""
    server, _, topic = url.rpartition("/")
    return server, topic


def push_endpoint(text: str) -> str:
    """A push service's endpoint, as the browser's subscription names it: an https URL."""
    url = http_url(text)
    if urlsplit(url).scheme != "https":
        raise ValueError("target must be the https:// endpoint of the browser's push subscription")
    return url


def target(kind: ChannelType, text: str) -> str:
    """The target of a channel of `kind`, checked: an address for email, a topic's URL for
    ntfy, a push service's https endpoint for webpush, else a URL."""
    if kind == ChannelType.EMAIL:
        return email(text)
    if kind == ChannelType.NTFY:
        return ntfy_topic(text)
    if kind == ChannelType.WEBPUSH:
        return push_endpoint(text)
    return http_url(text)


def access_token(kind: ChannelType, text: str | None) -> str | None:
    """The access token a channel of `kind` sends with: only ntfy takes one, and needs none
    for a topic anyone may publish to."""
    if text is None or not text.strip():
        return None
    if kind != ChannelType.NTFY:
        raise ValueError("token is for ntfy channels only")
    token = text.strip()
    if not _TOKEN.fullmatch(token):
        raise ValueError(
            f"token must be an ntfy access token: up to {TOKEN_MAX} characters, no spaces"
        )
    return token


# The subscription's keys (RFC 8291): the browser's P-256 public key, uncompressed (0x04, x,
# y), and the authentication secret it shares with this server.
P256DH_BYTES = 65
AUTH_BYTES = 16
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
# NIST P-256 (SEC 2): y^2 = x^3 - 3x + b over the prime field of P.
_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


def base64url(text: str, size: int) -> bytes | None:
    """The `size` bytes `text` encodes in base64url (padded or not), or None."""
    if not _BASE64URL.fullmatch(text):
        return None
    bare = text.rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except binascii.Error:
        return None
    return raw if len(raw) == size else None


def base64url_length(size: int) -> int:
    """The length of `size` bytes in padded base64url."""
    return -(-size // 3) * 4


def on_p256(point: bytes) -> bool:
    """Whether `point` is an uncompressed point of the P-256 curve."""
    if len(point) != P256DH_BYTES or point[0] != 4:
        return False
    x, y = int.from_bytes(point[1:33]), int.from_bytes(point[33:])
    return x < _P and y < _P and (y * y - (x * x * x - 3 * x + _B)) % _P == 0


class PushKeys(BaseModel):
    """A browser's push subscription keys, as PushSubscription.toJSON() gives them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    p256dh: Annotated[str, Field(max_length=base64url_length(P256DH_BYTES))]
    auth: Annotated[str, Field(max_length=base64url_length(AUTH_BYTES))]

    @field_validator("p256dh")
    @classmethod
    def _public_key(cls, text: str) -> str:
        point = base64url(text, P256DH_BYTES)
        if point is None or not on_p256(point):
            raise ValueError(
                "p256dh must be the subscription's public key: base64url of an uncompressed "
                f"P-256 point ({P256DH_BYTES} bytes)"
            )
        return text.rstrip("=")

    @field_validator("auth")
    @classmethod
    def _secret(cls, text: str) -> str:
        if base64url(text, AUTH_BYTES) is None:
            raise ValueError(
                f"auth must be the subscription's secret: base64url of {AUTH_BYTES} bytes"
            )
        return text.rstrip("=")


def push_keys(kind: ChannelType, keys: PushKeys | None) -> PushKeys | None:
    """The keys a channel of `kind` encrypts with: a webpush channel needs them, no other
    takes any."""
    if kind == ChannelType.WEBPUSH and keys is None:
        raise ValueError("keys (p256dh and auth) are required for webpush channels")
    if kind != ChannelType.WEBPUSH and keys is not None:
        raise ValueError("keys are for webpush channels only")
    return keys


class Channel(BaseModel):
    """One place a user's reminders are sent. `secret` is a webhook's signing secret, made here
    and shown once, when the channel is made; or an ntfy channel's access token, given by its
    owner and never shown again."""

    model_config = ConfigDict(frozen=True)

    id: int
    owner_id: int
    type: ChannelType
    target: str
    secret: str | None = None
    # A webpush channel's subscription keys, never shown again.
    push_keys: PushKeys | None = None
    created_at: datetime

    @property
    def signing_secret(self) -> str | None:
        return self.secret if self.type == ChannelType.WEBHOOK else None
