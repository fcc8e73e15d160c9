"""A daily digest as each channel shows it: the mail's subject and bodies, an ntfy message and
a webhook's JSON, with due times on the user's clock and the tasks beyond the listed ones
counted."""

from datetime import UTC, date, datetime, timedelta

from app.domain.digests import DIGEST_LISTED, Digest, DigestItem
from app.domain.notifications import (
    Notification,
    digest_notification,
    html_body,
    ntfy_message,
    subject,
    text_body,
    webhook_body,
)

MORNING = datetime(2026, 7, 1, 5, tzinfo=UTC)


def _digest(overdue: int, today: int) -> Digest:
    return Digest(
        day=date(2026, 7, 1),
        time_zone="Europe/Berlin",
        overdue=[
            DigestItem(task_id=n, title=f"late {n}", due_date=MORNING - timedelta(days=1, hours=n))
            for n in range(min(overdue, DIGEST_LISTED))
        ],
        due_today=[
            DigestItem(task_id=100 + n, title=f"today {n}", due_date=MORNING + timedelta(hours=n))
            for n in range(min(today, DIGEST_LISTED))
        ],
        overdue_count=overdue,
        due_today_count=today,
    )


def _notification(digest: Digest) -> Notification:
    return digest_notification(digest, MORNING)


def test_the_mail_counts_both_parts_and_lists_times_on_the_users_clock() -> None:
    notification = _notification(_digest(2, 1))
    assert subject(notification) == "TaskFlow: 2 overdue, 1 due today"
    assert text_body(notification) == (
        "2 overdue, 1 due today\n"
        "\n"
        "Wednesday 1 July 2026 (Europe/Berlin)\n"
        "\n"
        "Overdue (2):\n"
        "- Tue 30 Jun 07:00  late 0\n"
        "- Tue 30 Jun 06:00  late 1\n"
        "\n"
        "Due today (1):\n"
        "- 07:00  today 0\n"
    )
    html = html_body(notification)
    assert "<h3>Overdue (2)</h3><ul><li>Tue 30 Jun 07:00 late 0</li>" in html
    assert "<h3>Due today (1)</h3><ul><li>07:00 today 0</li></ul>" in html


def test_a_part_with_nothing_is_left_out_and_a_long_one_says_how_many_more() -> None:
    notification = _notification(_digest(0, DIGEST_LISTED + 5))
    text = text_body(notification)
    assert "Overdue" not in text
    assert f"Due today ({DIGEST_LISTED + 5}):" in text and text.endswith("- and 5 more\n")
    assert "<li>and 5 more</li>" in html_body(notification)


def test_ntfy_gets_the_summary_as_title_and_the_lines_as_message() -> None:
    message = ntfy_message(_notification(_digest(1, 0)), "my-topic")
    assert message["topic"] == "my-topic"
    assert message["title"] == "TaskFlow: 1 overdue, 0 due today"
    assert message["message"].splitlines()[2:] == ["Overdue (1):", "- Tue 30 Jun 07:00  late 0"]
    assert message["priority"] == 3 and message["actions"] == []


def test_a_webhook_gets_the_digest_as_json() -> None:
    body = webhook_body(_notification(_digest(1, 1)))
    assert body == {
        "event": "digest.daily",
        "digest": {
            "date": "2026-07-01",
            "time_zone": "Europe/Berlin",
            "overdue": {
                "count": 1,
                "tasks": [{"task_id": 0, "title": "late 0", "due_date": "2026-06-30T05:00:00Z"}],
            },
            "due_today": {
                "count": 1,
                "tasks": [{"task_id": 100, "title": "today 0", "due_date": "2026-07-01T05:00:00Z"}],
            },
        },
    }
