import re
from datetime import timedelta

import pytest

from app.domain.offsets import format_offset, parse_offset


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30 minutes", timedelta(minutes=30)),
        ("30 minute", timedelta(minutes=30)),
        ("30 min", timedelta(minutes=30)),
        ("30 mins", timedelta(minutes=30)),
        ("30m", timedelta(minutes=30)),
        ("1 minute", timedelta(minutes=1)),
        ("1 hour", timedelta(hours=1)),
        ("2 hours", timedelta(hours=2)),
        ("1 hr", timedelta(hours=1)),
        ("3 hrs", timedelta(hours=3)),
        ("1h", timedelta(hours=1)),
        ("1 day", timedelta(days=1)),
        ("2 days", timedelta(days=2)),
        ("2d", timedelta(days=2)),
        ("1 week", timedelta(weeks=1)),
        ("2 weeks", timedelta(weeks=2)),
        ("1w", timedelta(weeks=1)),
        ("1 day 2 hours", timedelta(days=1, hours=2)),
        ("1 day, 2 hours", timedelta(days=1, hours=2)),
        ("1 day and 2 hours", timedelta(days=1, hours=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1w 2d 3h 4m", timedelta(weeks=1, days=2, hours=3, minutes=4)),
        ("90 minutes", timedelta(minutes=90)),
        ("365 days", timedelta(days=365)),
        ("52 weeks", timedelta(weeks=52)),
        ("PT30M", timedelta(minutes=30)),
        ("PT1H", timedelta(hours=1)),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("P1D", timedelta(days=1)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("P1W", timedelta(weeks=1)),
        ("P1W2D", timedelta(days=9)),
        ("P365D", timedelta(days=365)),
        ("30 seconds", timedelta(seconds=30)),
        ("45s", timedelta(seconds=45)),
        ("90 secs", timedelta(seconds=90)),
        ("1 minute 30 seconds", timedelta(minutes=1, seconds=30)),
        ("1m30s", timedelta(minutes=1, seconds=30)),
        ("PT30S", timedelta(seconds=30)),
        ("PT1M30S", timedelta(minutes=1, seconds=30)),
        ("P364DT23H59M59S", timedelta(days=365, seconds=-1)),
        ("at due time", timedelta(0)),
        ("At the due time", timedelta(0)),
        ("when due", timedelta(0)),
        ("0", timedelta(0)),
        ("0 minutes", timedelta(0)),
        ("0 seconds", timedelta(0)),
        ("0m 0h", timedelta(0)),
        ("PT0S", timedelta(0)),
        ("PT0M", timedelta(0)),
        ("P0D", timedelta(0)),
    ],
)
def test_accepted_forms(text: str, expected: timedelta) -> None:
    assert parse_offset(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30 MINUTES", timedelta(minutes=30)),
        ("1 Hour", timedelta(hours=1)),
        ("2D", timedelta(days=2)),
        ("pt30m", timedelta(minutes=30)),
        ("p1dt2h", timedelta(days=1, hours=2)),
        ("  1 week\n", timedelta(weeks=1)),
        (" at   due\ttime ", timedelta(0)),
        ("\t30m ", timedelta(minutes=30)),
    ],
)
def test_case_and_surrounding_whitespace_are_ignored(text: str, expected: timedelta) -> None:
    assert parse_offset(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "reminder offset is empty"),
        ("   ", "reminder offset is empty"),
        ("30", "reminder offset '30' needs a unit, e.g. '30 minutes'"),
        ("1 month", "'month' has no fixed length"),
        ("1 year", "'year' has no fixed length"),
        ("P1M", "uses years or months, which have no fixed length"),
        ("P1Y", "uses years or months"),
        ("P1MT2H", "uses years or months"),
        ("-30m", "reminder offset '-30m' is negative"),
        ("-PT30M", "reminder offset '-PT30M' is negative"),
        ("- 1 hour", "is negative"),
        ("366 days", "too large: at most 365 days"),
        ("53 weeks", "too large: at most 365 days"),
        ("P366D", "too large: at most 365 days"),
        ("365 days 1 minute", "too large"),
        ("365 days 1 second", "too large"),
        ("PT31536001S", "too large"),
        ("99999999999999999999 weeks", "too large"),
        ("x" * 51, "too long: at most 50 characters"),
        ("1.5 hours", "cannot read reminder offset '1.5 hours'"),
        ("half an hour", "cannot read reminder offset"),
        ("30 minutes ago", "cannot read reminder offset"),
        ("minutes", "cannot read reminder offset"),
        ("P", "cannot read reminder offset 'P'"),
        ("PT", "cannot read reminder offset 'PT'"),
        ("P1DT", "cannot read reminder offset 'P1DT'"),
        ("PT-30M", "cannot read reminder offset"),
        ("30 parsecs", "unknown unit 'parsecs'"),
        ("1h 2h", "gives hours twice"),
        ("30s 10 seconds", "gives seconds twice"),
        ("at due", "cannot read reminder offset"),
        ("0.5 seconds", "cannot read reminder offset"),
    ],
)
def test_refused_forms(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_offset(text)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(minutes=90), "1 hour 30 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=23), "23 hours"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=1, hours=2), "1 day 2 hours"),
        (timedelta(days=2, minutes=5), "2 days 5 minutes"),
        (timedelta(weeks=1), "1 week"),
        (timedelta(weeks=3), "3 weeks"),
        (timedelta(days=8), "8 days"),
        (timedelta(days=13, hours=1), "13 days 1 hour"),
        (timedelta(days=365), "365 days"),
        (timedelta(weeks=52), "52 weeks"),
        (timedelta(seconds=30), "30 seconds"),
        (timedelta(seconds=90), "1 minute 30 seconds"),
        (timedelta(hours=1, seconds=1), "1 hour 1 second"),
        (timedelta(0), "0 minutes"),
    ],
)
def test_format_uses_largest_units_first(delta: timedelta, text: str) -> None:
    assert format_offset(delta) == text


@pytest.mark.parametrize(
    "delta",
    [
        timedelta(minutes=1),
        timedelta(minutes=59),
        timedelta(minutes=61),
        timedelta(hours=24, minutes=1),
        timedelta(days=6, hours=23, minutes=59),
        timedelta(weeks=1),
        timedelta(weeks=1, minutes=1),
        timedelta(days=100, hours=5),
        timedelta(days=364, hours=23, minutes=59),
        timedelta(days=365),
        timedelta(0),
        timedelta(seconds=1),
        timedelta(seconds=59),
        timedelta(days=364, hours=23, minutes=59, seconds=59),
    ],
)
def test_format_then_parse_round_trips(delta: timedelta) -> None:
    assert parse_offset(format_offset(delta)) == delta


@pytest.mark.parametrize(
    "text",
    [
        "30m",
        "1 hr",
        "P1DT2H",
        "1w",
        "2 days 3 hours 4 min",
        "at due time",
        "0",
        "PT0S",
        "0 minutes",
        "30 seconds",
        "PT30S",
        "1 minute 30 seconds",
        "PT90S",
    ],
)
def test_parse_then_format_gives_canonical_text(text: str) -> None:
    canonical = format_offset(parse_offset(text))
    assert parse_offset(canonical) == parse_offset(text)
    assert format_offset(parse_offset(canonical)) == canonical


@pytest.mark.parametrize(
    "delta",
    [timedelta(minutes=-30), timedelta(seconds=-1), timedelta(microseconds=1)],
)
def test_format_refuses_what_parse_cannot_read(delta: timedelta) -> None:
    with pytest.raises(ValueError, match="whole number of seconds from zero"):
        format_offset(delta)
