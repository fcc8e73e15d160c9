"""What a fired reminder (or a daily digest) tells its owner on a channel: the notification, its
mail subject and bodies, the webhook's JSON and signature, and the state of one delivery."""

import hashlib
import hmac
import html
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from app.domain.digests import (
    DIGEST_EVENT,
    Digest,
    digest_html,
    digest_json,
    digest_lines,
    digest_subject,
    summary,
)
from app.domain.enums import Priority

# Attempts at one delivery before it is given up and set aside as a dead letter.
MAX_ATTEMPTS = 5
SIGNATURE_HEADER = "X-TaskFlow-Signature"
TIMESTAMP_HEADER = "X-TaskFlow-Timestamp"
# The event a channel's test notification names.
TEST_EVENT = "channel.test"


class NotificationAction(BaseModel):
    """A link the notification offers: done, or a snooze (app.domain.action_links)."""

    model_config = ConfigDict(frozen=True)

    action: str
    label: str
    url: str


class Notification(BaseModel):
    """One reminder as it is sent: what the task was when the reminder fired."""

    model_config = ConfigDict(frozen=True)

    # "reminder.sent" for a fired reminder; "channel.test" for a channel's test; "digest.daily"
    # for a digest (which the task's fields only summarize).
    event: str
    reminder_id: int | None
    task_id: int | None
    title: str
    description: str = ""
    due_date: datetime | None
    timezone: str
    priority: Priority
    scheduled_at: datetime
    fired_at: datetime
    late: bool = False
    # Links to complete the task or snooze its reminder; none on a channel's test.
    actions: list[NotificationAction] = []
    # The owner's own zone, when they chose one: the due time is shown on their clock.
    user_timezone: str | None = None
    digest: Digest | None = None


def digest_notification(digest: Digest, at: datetime) -> Notification:
    """The notification that carries a daily digest, composed at `at`."""
    return Notification(
        event=DIGEST_EVENT,
        reminder_id=None,
        task_id=None,
        title=summary(digest),
        due_date=None,
        timezone=digest.time_zone,
        priority=Priority.MEDIUM,
        scheduled_at=at,
        fired_at=at,
        digest=digest,
    )


def due_text(notification: Notification) -> str:
    """When the task is due, in its owner's zone or else the task's: 'Tue 3 Mar 2026, 09:00
    CET'."""
    if notification.due_date is None:
        return "no due date"
    zone = ZoneInfo(notification.user_timezone or notification.timezone)
    local = notification.due_date.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def subject(notification: Notification) -> str:
    if notification.digest is not None:
        return digest_subject(notification.digest)
    if notification.event == TEST_EVENT:
        return "TaskFlow: a test notification"
    late = " (late)" if notification.late else ""
    return f"Reminder{late}: {notification.title}"


def _details(notification: Notification) -> list[str]:
    """The lines under the title of a plain-text notification."""
    if notification.digest is not None:
        return digest_lines(notification.digest)
    lines = [f"Due: {due_text(notification)}", f"Priority: {notification.priority.value}"]
    if notification.description:
        lines += ["", notification.description]
    if notification.event == TEST_EVENT:
        lines += ["", "This is a test: the channel works."]
    return lines


def text_body(notification: Notification) -> str:
    lines = [notification.title, "", *_details(notification)]
    if notification.actions:
        lines += ["", *(f"{link.label}: {link.url}" for link in notification.actions)]
    return "\n".join(lines) + "\n"


def html_body(notification: Notification) -> str:
    if notification.digest is not None:
        return digest_html(notification.digest)
    parts = [
        f"<h2>{html.escape(notification.title)}</h2>",
        f"<p>Due: <strong>{html.escape(due_text(notification))}</strong><br>",
        f"Priority: {html.escape(notification.priority.value)}</p>",
    ]
    if notification.description:
        parts.append(f"<p>{html.escape(notification.description)}</p>")
    if notification.event == TEST_EVENT:
        parts.append("<p>This is a test: the channel works.</p>")
    if notification.actions:
        links = " | ".join(
            f'<a href="{html.escape(link.url)}">{html.escape(link.label)}</a>'
            for link in notification.actions
        )
        parts.append(f"<p>{links}</p>")
    return "<!DOCTYPE html>\n<html><body>" + "".join(parts) + "</body></html>\n"


def webhook_body(notification: Notification) -> dict[str, Any]:
    """The JSON a webhook is sent: `{event, task, reminder, actions}`, or `{event, digest}`."""
    if notification.digest is not None:
        return {"event": notification.event, "digest": digest_json(notification.digest)}
    data = notification.model_dump(mode="json")
    return {
        "event": notification.event,
        "task": {
            "id": notification.task_id,
            "title": notification.title,
            "description": notification.description,
            "due_date": data["due_date"],
            "timezone": notification.timezone,
            "priority": notification.priority.value,
        },
        "reminder": {
            "id": notification.reminder_id,
            "scheduled_at": data["scheduled_at"],
            "fired_at": data["fired_at"],
            "late": notification.late,
        },
        # Each link shows a page to confirm on (GET); only a POST to it acts.
        "actions": [link.model_dump() for link in notification.actions],
    }


# ntfy's priorities run from 1 (min) through 3 (default) to 5 (max).
NTFY_PRIORITY = {Priority.LOW: 2, Priority.MEDIUM: 3, Priority.HIGH: 4}
NTFY_MAX_ACTIONS = 3


def ntfy_message(notification: Notification, topic: str) -> dict[str, Any]:
    """What ntfy is sent to publish the notification to `topic` (its JSON publishing)."""
    return {
        "topic": topic,
        "title": subject(notification),
        "message": "\n".join(_details(notification)),
        "priority": NTFY_PRIORITY[notification.priority],
        "tags": ["alarm_clock" if notification.digest is None else "spiral_calendar"],
        # Buttons that act at once from the phone (a POST to the link), as many as ntfy shows.
        "actions": [
            {
                "action": "http",
                "label": link.label,
                "url": link.url,
                "method": "POST",
                "clear": True,
            }
            for link in notification.actions[:NTFY_MAX_ACTIONS]
        ],
    }


# How long a push service keeps a notification for a device that is offline (the TTL header).
PUSH_TTL_SECONDS = 24 * 3600
# Web Push's Urgency header (RFC 8030): how soon a push service wakes a device for it.
PUSH_URGENCY = {Priority.LOW: "low", Priority.MEDIUM: "normal", Priority.HIGH: "high"}


def push_message(notification: Notification) -> dict[str, Any]:
    """What a Web Push carries to the service worker (assets/sw.js), which shows it: the title,
    the lines under it, the task, and the links its buttons POST to."""
    return {
        "title": subject(notification),
        "body": "\n".join(_details(notification)),
        "task_id": notification.task_id,
        "reminder_id": notification.reminder_id,
        "actions": [link.model_dump() for link in notification.actions],
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, keyed with the channel's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def retry_delay(attempts: int, first: float) -> timedelta:
    """How long to wait after `attempts` failed attempts: `first` seconds, then twice as long
    each time."""
    return timedelta(seconds=first * 2 ** max(attempts - 1, 0))


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Delivery(BaseModel):
    """One reminder (or digest) on one channel: sent once, retried with backoff until it is
    delivered or the attempts run out."""

    id: int | None = None
    reminder_id: int | None
    # A digest's: the local date it tells of.
    digest_date: date | None = None
    channel_id: int
    owner_id: int
    task_id: int | None
    notification: dict[str, Any]
    # The event that asked for it (reminder.sent), set aside with it if it fails for good; a
    # digest's names the digest (and is not set aside: the next day's digest tells again).
    event: dict[str, Any]
    status: DeliveryStatus
    attempts: int = 0
    next_attempt_at: datetime
    claimed_until: datetime | None = None
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None
