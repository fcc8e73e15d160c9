"""The links a notification carries to act on its task: complete it, or snooze its reminder.

A link is `<claims>.<signature>`, both base64url: the claims (JSON) name the link, its owner,
task and action and when it expires; the signature is their HMAC-SHA256 with the server's
link key. Anyone holding the link may act with it, once, until it expires."""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError

LINK_DAYS = 7
# A link's id: 16 random bytes, base64url.
LINK_ID_BYTES = 16
# Far longer than any link this server signs, so a path parameter can refuse the rest.
TOKEN_MAX = 600
# Snoozed "until tomorrow" means this wall-clock time the next day.
TOMORROW_AT = time(9, 0)


class LinkAction(StrEnum):
    DONE = "done"
    SNOOZE_10_MINUTES = "snooze-10m"
    SNOOZE_1_HOUR = "snooze-1h"
    SNOOZE_TOMORROW = "snooze-tomorrow"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    LinkAction.DONE: "Mark as done",
    LinkAction.SNOOZE_10_MINUTES: "Snooze 10 minutes",
    LinkAction.SNOOZE_1_HOUR: "Snooze 1 hour",
    LinkAction.SNOOZE_TOMORROW: "Snooze until tomorrow 9:00",
}


class LinkClaims(BaseModel):
    model_config = ConfigDict(frozen=True)

    link_id: str
    owner_id: int
    task_id: int
    action: LinkAction
    expires_at: datetime


class BadLink(Exception):
    """Not a link this server signed: malformed, altered, or signed with another key."""


class ExpiredLink(Exception):
    def __init__(self, claims: LinkClaims) -> None:
        super().__init__(f"this link expired at {claims.expires_at:%Y-%m-%d %H:%M} UTC")
        self.claims = claims


def new_claims(owner_id: int, task_id: int, action: LinkAction, now: datetime) -> LinkClaims:
    """A new link's claims: a random id, expiring LINK_DAYS after `now`."""
    return LinkClaims(
        link_id=secrets.token_urlsafe(LINK_ID_BYTES),
        owner_id=owner_id,
        task_id=task_id,
        action=action,
        expires_at=(now + timedelta(days=LINK_DAYS)).astimezone(UTC).replace(microsecond=0),
    )


def sign(key: bytes, claims: LinkClaims) -> str:
    body = _encode(
        json.dumps(
            {
                "id": claims.link_id,
                "u": claims.owner_id,
                "t": claims.task_id,
                "a": claims.action.value,
                "exp": int(claims.expires_at.timestamp()),
            },
            separators=(",", ":"),
        ).encode()
    )
    return f"{body}.{_encode(_mac(key, body))}"


def verify(key: bytes, token: str, now: datetime) -> LinkClaims:
    """The claims of `token`; BadLink unless this key signed it, ExpiredLink after it expired."""
    body, dot, mac = token.partition(".")
    if not dot or len(token) > TOKEN_MAX:
        raise BadLink("not a link of this server")
    try:
        valid = hmac.compare_digest(_decode(mac), _mac(key, body))
    except (ValueError, binascii.Error):
        valid = False
    if not valid:
        raise BadLink("the link's signature does not match: it was altered or is not ours")
    try:
        data = json.loads(_decode(body))
        claims = LinkClaims(
            link_id=data["id"],
            owner_id=data["u"],
            task_id=data["t"],
            action=data["a"],
            expires_at=datetime.fromtimestamp(data["exp"], UTC),
        )
    except (ValueError, TypeError, KeyError, ValidationError, OverflowError) as error:
        raise BadLink("the link's contents cannot be read") from error
    if now >= claims.expires_at:
        raise ExpiredLink(claims)
    return claims


def snoozed_until(action: LinkAction, now: datetime, zone: str) -> datetime:
    """When a reminder snoozed by `action` at `now` fires again; tomorrow's 9:00 is on the
    wall clock of `zone`."""
    if action == LinkAction.SNOOZE_10_MINUTES:
        return now + timedelta(minutes=10)
    if action == LinkAction.SNOOZE_1_HOUR:
        return now + timedelta(hours=1)
    if action == LinkAction.SNOOZE_TOMORROW:
        local_zone = ZoneInfo(zone)
        tomorrow = now.astimezone(local_zone).date() + timedelta(days=1)
        return datetime.combine(tomorrow, TOMORROW_AT, local_zone).astimezone(UTC)
    raise ValueError(f"{action.value} is no snooze")


def new_key() -> bytes:
    return secrets.token_bytes(32)


def _mac(key: bytes, body: str) -> bytes:
    return hmac.digest(key, body.encode(), hashlib.sha256)


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    """Canonical base64url only: another spelling of the same bytes is an altered link."""
    if not text.isascii():
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _encode(raw) != text:
        raise ValueError("not canonical base64url")
    return raw
