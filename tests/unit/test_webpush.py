"""Web Push's rules before anything is sent: a subscription's keys and endpoint, the payload
the service worker shows, who the pushes say they are from, and the server's VAPID key pair,
made once however many processes ask for it at the same time."""

import asyncio
import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from app.adapters.local.sql import EngineSql
from app.config import MailSettings, NotifySettings
from app.domain.channels import ChannelType, PushKeys, push_keys, target
from app.domain.enums import Priority
from app.domain.notifications import Notification, NotificationAction, push_message
from app.services.vapid_keys import VapidKeys, public_key_of
from tests.support.webpush import b64url, new_subscription, unb64url

ENDPOINT = "https://push.example.net/send/abc"
KEYS = new_subscription(ENDPOINT).keys()
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def _keys(**given: str) -> PushKeys:
    return PushKeys.model_validate({**KEYS, **given})


def test_a_browsers_keys_are_taken_padded_or_not() -> None:
    assert _keys() == PushKeys(**KEYS)
    padded = _keys(p256dh=KEYS["p256dh"] + "=", auth=KEYS["auth"] + "==")
    assert padded == PushKeys(**KEYS)


def _point(x: int, y: int) -> str:
    return b64url(b"\x04" + x.to_bytes(32) + y.to_bytes(32))


_PUBLIC = unb64url(KEYS["p256dh"])


@pytest.mark.parametrize(
    "p256dh",
    [
        "",
        b64url(_PUBLIC[:-1]),
        b64url(_PUBLIC + b"\x00"),
        # Compressed, and the right size but not on the curve.
        b64url(b"\x02" + _PUBLIC[1:33]),
        b64url(b"\x02" + _PUBLIC[1:]),
        _point(int.from_bytes(_PUBLIC[1:33]), int.from_bytes(_PUBLIC[33:]) ^ 1),
        _point(2**256 - 1, 1),
        # Plain base64's alphabet, and text around it.
        base64.b64encode(b"\x04" + b"\xff" * 64).decode(),
        KEYS["p256dh"] + " ",
        KEYS["p256dh"][:-2] + "=" + KEYS["p256dh"][-1],
    ],
)
def test_a_public_key_that_is_no_p256_point_is_refused(p256dh: str) -> None:
    with pytest.raises(ValidationError, match="p256dh must be"):
        _keys(p256dh=p256dh)


@pytest.mark.parametrize("auth", ["", b64url(b"x" * 15), b64url(b"x" * 17), "a+b/" * 5 + "ab"])
def test_an_auth_secret_that_is_not_16_bytes_is_refused(auth: str) -> None:
    with pytest.raises(ValidationError, match="auth must be"):
        _keys(auth=auth)


def test_keys_are_needed_for_webpush_and_refused_for_the_others() -> None:
    keys = _keys()
    assert push_keys(ChannelType.WEBPUSH, keys) == keys
    assert push_keys(ChannelType.WEBHOOK, None) is None
    with pytest.raises(ValueError, match="required for webpush"):
        push_keys(ChannelType.WEBPUSH, None)
    with pytest.raises(ValueError, match="webpush channels only"):
        push_keys(ChannelType.NTFY, keys)


def test_a_push_endpoint_is_an_https_url() -> None:
    assert target(ChannelType.WEBPUSH, f" {ENDPOINT} ") == ENDPOINT
    for text in ("http://push.example.net/send/abc", "push.example.net", "https://"):
        with pytest.raises(ValueError, match="https://"):
            target(ChannelType.WEBPUSH, text)


def test_the_push_carries_title_due_time_in_the_tasks_zone_and_the_links() -> None:
    done = NotificationAction(action="done", label="Mark as done", url="https://t.example/a")
    message = push_message(
        Notification(
            event="reminder.sent",
            reminder_id=7,
            task_id=3,
            title="Pay the rent",
            due_date=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
            timezone="Europe/Berlin",
            priority=Priority.HIGH,
            scheduled_at=NOW,
            fired_at=NOW,
            late=True,
            actions=[done],
        )
    )
    assert message == {
        "title": "Reminder (late): Pay the rent",
        "body": "Due: Mon 2 Mar 2026, 09:00 CET\nPriority: high",
        "task_id": 3,
        "reminder_id": 7,
        "actions": [{"action": "done", "label": "Mark as done", "url": "https://t.example/a"}],
    }


@pytest.mark.parametrize(
    ("mail", "subject"),
    [
        (None, "https://todo.example.com"),
        ("TaskFlow <reminders@example.com>", "mailto:reminders@example.com"),
        ("me@example.com", "mailto:me@example.com"),
    ],
)
def test_pushes_name_the_mail_sender_or_else_the_public_url(mail: str | None, subject: str) -> None:
    settings: dict[str, Any] = {"public_url": "https://todo.example.com"}
    if mail is not None:
        settings["mail"] = MailSettings(host="mail.example.com", port=25, sender=mail)
    assert NotifySettings(**settings).push_subject == subject


async def test_the_vapid_key_pair_is_made_once_and_shared(fresh_sqlite: EngineSql) -> None:
    first, second = VapidKeys(fresh_sqlite), VapidKeys(fresh_sqlite)
    private, other = await asyncio.gather(first.private_key(), second.private_key())
    assert private == other and len(unb64url(private)) == 32
    assert await VapidKeys(fresh_sqlite).private_key() == private

    public = await first.public_key()
    assert public == public_key_of(private)
    scalar = int.from_bytes(unb64url(private))
    numbers = ec.derive_private_key(scalar, ec.SECP256R1()).public_key().public_numbers()
    assert unb64url(public) == b"\x04" + numbers.x.to_bytes(32) + numbers.y.to_bytes(32)
