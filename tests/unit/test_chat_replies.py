"""How the offline assistant puts dates and repetitions into words."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.chat.offline.replies import describe_rule, due_text

NOW = datetime(2025, 11, 19, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=DAILY", "every day"),
        ("FREQ=DAILY;INTERVAL=3", "every 3 days"),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
        ("FREQ=WEEKLY;BYDAY=SA,SU", "every weekend"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "every Monday and Thursday"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "every 2 weeks on Friday"),
        ("FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("FREQ=MONTHLY;BYMONTHDAY=1", "every month on the 1st"),
        ("FREQ=MONTHLY;BYMONTHDAY=22", "every month on the 22nd"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "every month on the last day"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "every last Friday of the month"),
        ("FREQ=MONTHLY;BYDAY=1MO", "every first Monday of the month"),
        ("FREQ=YEARLY", "every year"),
        ("FREQ=DAILY;COUNT=5", "every day, 5 times"),
        ("FREQ=WEEKLY;UNTIL=20251231", "every week, until 2025-12-31"),
    ],
)
def test_rules_in_words(rule: str, words: str) -> None:
    assert describe_rule(rule) == words


@pytest.mark.parametrize(
    ("iso", "words"),
    [
        ("2025-11-19T09:00:00+01:00", "today"),
        ("2025-11-20T17:00:00+01:00", "tomorrow at 5 PM"),
        ("2025-11-20T16:00:00Z", "tomorrow at 5 PM"),
        ("2025-12-01T09:00:00+01:00", "Dec 1"),
        ("2025-12-01T12:30:00+01:00", "Dec 1 at 12:30 PM"),
        ("2026-01-05T00:00:00+01:00", "Jan 5, 2026 at 12 AM"),
    ],
)
def test_due_dates_in_words(iso: str, words: str) -> None:
    assert due_text(iso, NOW) == words
