"""The rules a channel follows before anything is sent: its target per type, and the SMTP
server of TASKFLOW_SMTP_URL, read once at start-up."""

from datetime import UTC, datetime

import pytest

from app.config import MailSettings, NotifySettings
from app.domain.channels import ChannelType, access_token, split_topic, target
from app.domain.enums import Priority
from app.domain.notifications import Notification, due_text, ntfy_message, retry_delay, signature


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("me@example.org", "me@example.org"),
        ("  First.Last+tag@Mail.Example.ORG ", "First.Last+tag@mail.example.org"),
    ],
)
def test_an_email_target_is_an_address(text: str, stored: str) -> None:
    assert target(ChannelType.EMAIL, text) == stored


@pytest.mark.parametrize(
    "text",
    [
        "",
        "me",
        "me@",
        "@example.org",
        "me@localhost",
        "me@exa mple.org",
        "a@b@example.org",
        "me@-example.org",
        "<me@example.org>",
        "m\x00e@example.org",
        "m\x7fe@example.org",
        f"{'x' * 65}@example.org",
    ],
)
def test_an_email_target_that_is_no_address_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="email address"):
        target(ChannelType.EMAIL, text)


@pytest.mark.parametrize(
    "text",
    [
        "example.org/hook",
        "ftp://example.org",
        "https://",
        "http://:80/",
        "https://ex ample.org",
        "http://example.org:0/",
        "http://example.org:70000/",
        "http://[::1/",
        "javascript:x",
        "https://example.org/\x00",
        "https://exa\x00mple.org/",
    ],
)
def test_a_webhook_target_that_is_no_http_url_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="http"):
        target(ChannelType.WEBHOOK, text)


def test_a_webhook_target_is_kept_as_given() -> None:
    url = "https://hooks.example.org:8443/a/b?c=d"
    assert target(ChannelType.WEBHOOK, f" {url} ") == url


@pytest.mark.parametrize(
    ("text", "server", "topic"),
    [
        ("https://ntfy.sh/my-reminders", "https://ntfy.sh", "my-reminders"),
        (
            " https://push.example.org:8080/ntfy/Topic_1/ ",
            "https://push.example.org:8080/ntfy",
            "Topic_1",
        ),
    ],
)
def test_an_ntfy_target_is_a_topic_on_a_server(text: str, server: str, topic: str) -> None:
    assert split_topic(target(ChannelType.NTFY, text)) == (server, topic)


@pytest.mark.parametrize(
    "text",
    [
        "https://ntfy.sh",
        "https://ntfy.sh/",
        "https://ntfy.sh/a.b",
        "https://ntfy.sh/t?x=1",
        "https://ntfy.sh/t#x",
    ],
)
def test_an_ntfy_target_without_a_topic_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ntfy topic"):
        target(ChannelType.NTFY, text)


def test_only_ntfy_channels_take_an_access_token() -> None:
    assert access_token(ChannelType.NTFY, " tk_abc ") == "tk_abc"
    assert access_token(ChannelType.NTFY, "") is None
    assert access_token(ChannelType.WEBHOOK, None) is None
    with pytest.raises(ValueError, match="ntfy channels only"):
        access_token(ChannelType.EMAIL, "tk_abc")
    with pytest.raises(ValueError, match="no spaces"):
        access_token(ChannelType.NTFY, "tk abc")


@pytest.mark.parametrize(("priority", "ntfy_priority"), [("low", 2), ("medium", 3), ("high", 4)])
def test_ntfy_is_sent_the_title_due_time_and_priority(priority: str, ntfy_priority: int) -> None:
    due = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    notification = Notification(
        event="reminder.sent",
        reminder_id=1,
        task_id=1,
        title="Pay rent",
        description="Transfer to the landlord",
        due_date=due,
        timezone="Europe/Berlin",
        priority=Priority(priority),
        scheduled_at=due,
        fired_at=due,
    )
    assert ntfy_message(notification, "rent") == {
        "topic": "rent",
        "title": "Reminder: Pay rent",
        "message": (
            f"Due: Sun 29 Mar 2026, 03:30 CEST\nPriority: {priority}\n\nTransfer to the landlord"
        ),
        "priority": ntfy_priority,
        "tags": ["alarm_clock"],
        "actions": [],
    }


def test_the_signature_is_an_hmac_of_timestamp_dot_body() -> None:
    # Computed once with `printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac s3cret`.
    assert signature("s3cret", "1700000000", b'{"a":1}') == (
        "sha256=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940"
    )


def test_retries_wait_twice_as_long_each_time() -> None:
    assert [retry_delay(n, 30).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


@pytest.mark.parametrize(
    ("zone", "text"),
    [
        ("Europe/Berlin", "Sun 29 Mar 2026, 03:30 CEST"),
        ("America/New_York", "Sat 28 Mar 2026, 21:30 EDT"),
        ("Asia/Kolkata", "Sun 29 Mar 2026, 07:00 IST"),
    ],
)
def test_the_due_time_is_told_in_the_tasks_zone(zone: str, text: str) -> None:
    due = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    notification = Notification(
        event="reminder.sent",
        reminder_id=1,
        task_id=1,
        title="t",
        due_date=due,
        timezone=zone,
        priority=Priority.LOW,
        scheduled_at=due,
        fired_at=due,
    )
    assert due_text(notification) == text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mailer:p%40ss@mail.example.org:2525",
            MailSettings("mail.example.org", 2525, "mailer", "p@ss", sender="me@example.org"),
        ),
        (
            "smtp://mail.example.org?starttls=true",
            MailSettings("mail.example.org", 25, starttls=True, sender="me@example.org"),
        ),
        (
            "smtps://u:p@mail.example.org",
            MailSettings("mail.example.org", 465, "u", "p", tls=True, sender="me@example.org"),
        ),
    ],
)
def test_the_smtp_url_says_server_credentials_and_tls(
    monkeypatch: pytest.MonkeyPatch, url: str, expected: MailSettings
) -> None:
    monkeypatch.setenv("TASKFLOW_SMTP_URL", url)
    monkeypatch.setenv("TASKFLOW_MAIL_FROM", "me@example.org")
    assert NotifySettings.from_env().mail == expected


def test_without_an_smtp_url_no_mail_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKFLOW_SMTP_URL", raising=False)
    assert NotifySettings.from_env().mail is None


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.org",
        "smtp://",
        "smtp://mail.example.org:99999",
        "smtp://mail.example.org?tls=yes",
        "smtp://mail.example.org?starttls=maybe",
        "smtps://mail.example.org?starttls=true",
    ],
)
def test_an_smtp_url_that_cannot_work_stops_the_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("TASKFLOW_SMTP_URL", url)
    with pytest.raises(ValueError, match="TASKFLOW_SMTP_URL"):
        NotifySettings.from_env()
