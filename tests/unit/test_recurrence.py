import re
import time
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from app.domain.enums import Recurrence, RepeatFrom
from app.domain.recurrence import (
    next_due,
    preview,
    series_rule,
    successor,
    timezone_or_error,
    validate_rrule,
)
from app.ui.state.editor import describe_series

NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"


def at(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def following(
    rule: str,
    due: datetime | None,
    completed_at: datetime,
    *,
    zone: str = NEW_YORK,
    repeat_from: RepeatFrom = RepeatFrom.DUE,
) -> datetime | None:
    return next_due(
        rule=rule, due=due, timezone=zone, repeat_from=repeat_from, completed_at=completed_at
    )


def chain(rule: str, first_due: datetime, length: int, zone: str = NEW_YORK) -> list[datetime]:
    """Due dates of a series whose tasks are each completed an hour after their due date."""
    dues = [first_due]
    while len(dues) < length:
        nxt = following(rule, dues[-1], dues[-1] + timedelta(hours=1), zone=zone)
        assert nxt is not None
        dues.append(nxt)
    return dues


# --- series_rule ---------------------------------------------------------------------------


def test_no_recurrence_has_no_rule() -> None:
    assert series_rule(Recurrence.NONE, None, datetime(2024, 1, 1, 9)) is None


def test_daily_rule() -> None:
    assert series_rule(Recurrence.DAILY, None, datetime(2024, 1, 1, 9)) == "FREQ=DAILY"


@pytest.mark.parametrize(
    ("day", "weekday"),
    [(1, "MO"), (2, "TU"), (3, "WE"), (4, "TH"), (5, "FR"), (6, "SA"), (7, "SU")],
)
def test_weekly_rule_repeats_on_the_due_weekday(day: int, weekday: str) -> None:
    rule = series_rule(Recurrence.WEEKLY, None, datetime(2024, 1, day, 9))
    assert rule == f"FREQ=WEEKLY;BYDAY={weekday}"


@pytest.mark.parametrize(
    ("day", "rule"),
    [
        (1, "FREQ=MONTHLY;BYMONTHDAY=1"),
        (15, "FREQ=MONTHLY;BYMONTHDAY=15"),
        (28, "FREQ=MONTHLY;BYMONTHDAY=28"),
        (29, "FREQ=MONTHLY;BYMONTHDAY=28,29;BYSETPOS=-1"),
        (30, "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1"),
        (31, "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"),
    ],
)
def test_monthly_rule_remembers_the_anchor_day(day: int, rule: str) -> None:
    assert series_rule(Recurrence.MONTHLY, None, datetime(2024, 1, day, 9)) == rule


def test_custom_rule_is_normalized() -> None:
    rule = series_rule(Recurrence.CUSTOM, "rrule:freq=weekly;byday=mo,we", datetime(2024, 1, 1))
    assert rule == "FREQ=WEEKLY;BYDAY=MO,WE"


@pytest.mark.parametrize("rrule", [None, "", "   "])
def test_custom_recurrence_without_rule_is_refused(rrule: str | None) -> None:
    with pytest.raises(ValueError, match="custom recurrence needs an RRULE"):
        series_rule(Recurrence.CUSTOM, rrule, datetime(2024, 1, 1))


def test_custom_recurrence_with_bad_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="FREQ=HOURLY is not allowed"):
        series_rule(Recurrence.CUSTOM, "FREQ=HOURLY", datetime(2024, 1, 1))


# --- next_due: daily / weekly / monthly basics ----------------------------------------------


def test_daily_successor_is_due_the_next_day_at_the_same_time() -> None:
    due = at(NEW_YORK, 2024, 1, 1, 9)
    result = following("FREQ=DAILY", due, at(NEW_YORK, 2024, 1, 1, 10))
    assert result == utc(2024, 1, 2, 14)
    assert result is not None and result.tzinfo is UTC


def test_weekly_successor_is_due_a_week_later() -> None:
    due = at(NEW_YORK, 2024, 1, 1, 9)  # a Monday
    assert following("FREQ=WEEKLY;BYDAY=MO", due, due) == at(NEW_YORK, 2024, 1, 8, 9)


def test_monthly_successor_is_due_on_the_same_day_next_month() -> None:
    due = at(NEW_YORK, 2024, 1, 15, 9)
    assert following("FREQ=MONTHLY;BYMONTHDAY=15", due, due) == at(NEW_YORK, 2024, 2, 15, 9)


def test_month_end_clamps_to_february_and_returns_to_the_31st() -> None:
    rule = series_rule(Recurrence.MONTHLY, None, datetime(2023, 1, 31))
    assert rule is not None
    assert chain(rule, at(NEW_YORK, 2023, 1, 31, 9), 5) == [
        at(NEW_YORK, 2023, 1, 31, 9),
        at(NEW_YORK, 2023, 2, 28, 9),
        at(NEW_YORK, 2023, 3, 31, 9),
        at(NEW_YORK, 2023, 4, 30, 9),
        at(NEW_YORK, 2023, 5, 31, 9),
    ]


def test_month_end_in_a_leap_year_lands_on_february_29() -> None:
    rule = series_rule(Recurrence.MONTHLY, None, datetime(2024, 1, 31))
    assert rule is not None
    assert chain(rule, at(NEW_YORK, 2024, 1, 31, 9), 3) == [
        at(NEW_YORK, 2024, 1, 31, 9),
        at(NEW_YORK, 2024, 2, 29, 9),
        at(NEW_YORK, 2024, 3, 31, 9),
    ]


@pytest.mark.parametrize(
    ("year", "february"),
    [(2023, 28), (2024, 29)],
)
def test_day_30_anchor_survives_february(year: int, february: int) -> None:
    rule = series_rule(Recurrence.MONTHLY, None, datetime(year, 1, 30))
    assert rule is not None
    assert chain(rule, at(NEW_YORK, year, 1, 30, 9), 4) == [
        at(NEW_YORK, year, 1, 30, 9),
        at(NEW_YORK, year, 2, february, 9),
        at(NEW_YORK, year, 3, 30, 9),
        at(NEW_YORK, year, 4, 30, 9),
    ]


def test_day_29_anchor_in_a_common_year() -> None:
    rule = series_rule(Recurrence.MONTHLY, None, datetime(2023, 1, 29))
    assert rule is not None
    assert chain(rule, at(NEW_YORK, 2023, 1, 29, 9), 3)[1:] == [
        at(NEW_YORK, 2023, 2, 28, 9),
        at(NEW_YORK, 2023, 3, 29, 9),
    ]


def test_successor_inherits_the_anchor_in_its_rule() -> None:
    rule = "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
    found = successor(
        rule=rule,
        due=at(NEW_YORK, 2023, 1, 31, 9),
        timezone=NEW_YORK,
        repeat_from=RepeatFrom.DUE,
        completed_at=at(NEW_YORK, 2023, 1, 31, 10),
    )
    assert found is not None
    assert found.due == at(NEW_YORK, 2023, 2, 28, 9)
    assert found.rule == rule


# --- next_due: wall-clock time across DST ---------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "due", "expected_utc", "offset_before", "offset_after"),
    [
        # spring forward
        (NEW_YORK, (2024, 3, 9, 9), utc(2024, 3, 10, 13), -5, -4),
        (BERLIN, (2024, 3, 30, 9), utc(2024, 3, 31, 7), 1, 2),
        # fall back
        (NEW_YORK, (2024, 11, 2, 9), utc(2024, 11, 3, 14), -4, -5),
        (BERLIN, (2024, 10, 26, 9), utc(2024, 10, 27, 8), 2, 1),
    ],
)
def test_daily_task_stays_at_nine_across_dst(
    zone: str,
    due: tuple[int, int, int, int],
    expected_utc: datetime,
    offset_before: int,
    offset_after: int,
) -> None:
    due_at = at(zone, *due)
    result = following("FREQ=DAILY", due_at, due_at + timedelta(minutes=5), zone=zone)
    assert result == expected_utc
    local = expected_utc.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == (9, 0)
    assert due_at.utcoffset() == timedelta(hours=offset_before)
    assert local.utcoffset() == timedelta(hours=offset_after)


def test_weekly_task_stays_at_nine_across_spring_forward() -> None:
    due = at(NEW_YORK, 2024, 3, 4, 9)  # Monday, EST
    result = following("FREQ=WEEKLY;BYDAY=MO", due, due)
    assert result == utc(2024, 3, 11, 13)  # 09:00 EDT


def test_monthly_task_stays_at_nine_across_berlin_fall_back() -> None:
    due = at(BERLIN, 2024, 10, 15, 9)
    result = following("FREQ=MONTHLY;BYMONTHDAY=15", due, due, zone=BERLIN)
    assert result == utc(2024, 11, 15, 8)


@pytest.mark.parametrize(
    ("zone", "due", "expected_utc", "local_time"),
    [
        # 02:30 does not exist on the DST day: it moves forward by the one-hour gap
        (NEW_YORK, (2024, 3, 9, 2, 30), utc(2024, 3, 10, 7, 30), (3, 30)),
        (BERLIN, (2024, 3, 30, 2, 30), utc(2024, 3, 31, 1, 30), (3, 30)),
    ],
)
def test_wall_time_in_the_spring_gap_moves_forward_by_the_gap(
    zone: str, due: tuple[int, ...], expected_utc: datetime, local_time: tuple[int, int]
) -> None:
    due_at = at(zone, *due)
    result = following("FREQ=DAILY", due_at, due_at, zone=zone)
    assert result == expected_utc
    local = expected_utc.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == local_time


@pytest.mark.parametrize(
    ("zone", "due", "expected_utc"),
    [
        # 01:30 happens twice in New York on 2024-11-03: the first one (EDT) is taken
        (NEW_YORK, (2024, 11, 2, 1, 30), utc(2024, 11, 3, 5, 30)),
        # 02:30 happens twice in Berlin on 2024-10-27: the first one (CEST) is taken
        (BERLIN, (2024, 10, 26, 2, 30), utc(2024, 10, 27, 0, 30)),
    ],
)
def test_ambiguous_fall_back_time_takes_the_first(
    zone: str, due: tuple[int, ...], expected_utc: datetime
) -> None:
    due_at = at(zone, *due)
    assert following("FREQ=DAILY", due_at, due_at, zone=zone) == expected_utc


# --- next_due: repeat from the due date -----------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "expected"),
    [
        ((2024, 1, 4, 10), (2024, 1, 5, 9)),  # three days late: Tue, Wed, Thu slots are skipped
        ((2024, 1, 4, 8), (2024, 1, 4, 9)),  # before Thursday's slot: Thursday is still ahead
        ((2024, 1, 1, 9), (2024, 1, 2, 9)),  # exactly on time
    ],
)
def test_daily_completed_late_skips_missed_slots(
    completed: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    due = at(NEW_YORK, 2024, 1, 1, 9)
    assert following("FREQ=DAILY", due, at(NEW_YORK, *completed)) == at(NEW_YORK, *expected)


def test_weekly_completed_weeks_late_goes_to_the_next_monday() -> None:
    due = at(NEW_YORK, 2024, 1, 1, 9)
    result = following("FREQ=WEEKLY;BYDAY=MO", due, at(NEW_YORK, 2024, 1, 20, 12))
    assert result == at(NEW_YORK, 2024, 1, 22, 9)


def test_weekly_completed_early_gives_the_slot_after_the_due() -> None:
    due = at(NEW_YORK, 2024, 1, 8, 9)
    result = following("FREQ=WEEKLY;BYDAY=MO", due, at(NEW_YORK, 2024, 1, 3, 12))
    assert result == at(NEW_YORK, 2024, 1, 15, 9)


def test_monthly_completed_early_gives_the_slot_after_the_due() -> None:
    due = at(NEW_YORK, 2024, 3, 15, 9)
    result = following("FREQ=MONTHLY;BYMONTHDAY=15", due, at(NEW_YORK, 2024, 3, 1, 9))
    assert result == at(NEW_YORK, 2024, 4, 15, 9)


def test_without_due_date_the_completion_is_the_anchor() -> None:
    result = following("FREQ=DAILY", None, at(NEW_YORK, 2024, 1, 3, 15, 20))
    assert result == at(NEW_YORK, 2024, 1, 4, 15, 20)


# --- next_due: repeat from the completion ---------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "expected"),
    [
        ((2024, 1, 3, 15), (2024, 1, 4, 9)),  # Wed 15:00 -> Thu 09:00
        ((2024, 1, 3, 7), (2024, 1, 4, 9)),  # before the due time: still the next day
        ((2024, 1, 6, 23, 30), (2024, 1, 7, 9)),  # days late: counts from the completion
    ],
)
def test_daily_from_completion(completed: tuple[int, ...], expected: tuple[int, ...]) -> None:
    result = following(
        "FREQ=DAILY",
        at(NEW_YORK, 2024, 1, 3, 9),
        at(NEW_YORK, *completed),
        repeat_from=RepeatFrom.COMPLETION,
    )
    assert result == at(NEW_YORK, *expected)


def test_weekly_from_completion_is_a_week_after_the_completion_day() -> None:
    result = following(
        "FREQ=WEEKLY;BYDAY=MO",
        at(NEW_YORK, 2024, 1, 1, 9),  # Monday
        at(NEW_YORK, 2024, 1, 3, 15),  # completed Wednesday
        repeat_from=RepeatFrom.COMPLETION,
    )
    assert result == at(NEW_YORK, 2024, 1, 10, 9)  # the Wednesday after, at the due time


@pytest.mark.parametrize(
    ("completed", "expected"),
    [
        ((2024, 1, 20, 18), (2024, 2, 20, 9)),
        ((2024, 1, 31, 18), (2024, 2, 29, 9)),  # clamped, leap year
        ((2023, 1, 31, 18), (2023, 2, 28, 9)),  # clamped
        ((2024, 3, 30, 18), (2024, 4, 30, 9)),
    ],
)
def test_monthly_from_completion_uses_the_completion_day_of_month(
    completed: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    year = completed[0]
    result = following(
        "FREQ=MONTHLY;BYMONTHDAY=15",
        at(NEW_YORK, year, 1, 15, 9),
        at(NEW_YORK, *completed),
        repeat_from=RepeatFrom.COMPLETION,
    )
    assert result == at(NEW_YORK, *expected)


@pytest.mark.parametrize(
    ("rule", "completed", "expected"),
    [
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", (2024, 1, 2, 15), (2024, 1, 3, 9)),  # Tue -> Wed
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", (2024, 1, 3, 15), (2024, 1, 5, 9)),  # Wed -> Fri
        ("FREQ=WEEKLY;INTERVAL=2", (2024, 1, 4, 15), (2024, 1, 18, 9)),  # Thu -> Thu + 2 weeks
        ("FREQ=MONTHLY;BYDAY=-1FR", (2024, 1, 27, 15), (2024, 2, 23, 9)),
    ],
)
def test_custom_from_completion(
    rule: str, completed: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    result = following(
        rule,
        at(NEW_YORK, 2024, 1, 1, 9),
        at(NEW_YORK, *completed),
        repeat_from=RepeatFrom.COMPLETION,
    )
    assert result == at(NEW_YORK, *expected)


def test_from_completion_keeps_nine_across_dst() -> None:
    result = following(
        "FREQ=DAILY",
        at(BERLIN, 2024, 3, 28, 9),
        at(BERLIN, 2024, 3, 30, 20),
        zone=BERLIN,
        repeat_from=RepeatFrom.COMPLETION,
    )
    assert result == utc(2024, 3, 31, 7)  # 09:00 CEST


def test_from_completion_without_due_keeps_the_completion_time() -> None:
    result = following(
        "FREQ=WEEKLY;BYDAY=MO",
        None,
        at(NEW_YORK, 2024, 1, 3, 15, 20),
        repeat_from=RepeatFrom.COMPLETION,
    )
    assert result == at(NEW_YORK, 2024, 1, 10, 15, 20)


# --- next_due: custom rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "due", "expected"),
    [
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", (2024, 1, 1, 9), (2024, 1, 3, 9)),
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", (2024, 1, 5, 9), (2024, 1, 8, 9)),
        ("FREQ=MONTHLY;BYDAY=-1FR", (2024, 1, 26, 9), (2024, 2, 23, 9)),
        ("FREQ=MONTHLY;BYDAY=-1FR", (2024, 2, 23, 9), (2024, 3, 29, 9)),  # across DST
        ("FREQ=MONTHLY;BYDAY=-1FR", (2024, 1, 10, 9), (2024, 1, 26, 9)),  # due off the rule
        ("FREQ=WEEKLY;INTERVAL=2", (2024, 1, 1, 9), (2024, 1, 15, 9)),
        ("FREQ=YEARLY", (2024, 2, 29, 9), (2028, 2, 29, 9)),
        ("RRULE:freq=daily;interval=3", (2024, 1, 1, 9), (2024, 1, 4, 9)),
    ],
)
def test_custom_rules(rule: str, due: tuple[int, ...], expected: tuple[int, ...]) -> None:
    due_at = at(NEW_YORK, *due)
    assert following(rule, due_at, due_at) == at(NEW_YORK, *expected)


# --- next_due: exhausted series -------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "due", "expected"),
    [
        ("FREQ=DAILY;UNTIL=20240105T235959Z", (2024, 1, 4, 9), (2024, 1, 5, 9)),
        ("FREQ=DAILY;UNTIL=20240105T235959Z", (2024, 1, 5, 9), None),
        ("FREQ=DAILY;UNTIL=20240105T140000Z", (2024, 1, 4, 9), (2024, 1, 5, 9)),  # = 09:00 EST
        ("FREQ=DAILY;UNTIL=20240105T135959Z", (2024, 1, 4, 9), None),
        ("FREQ=DAILY;UNTIL=20240105", (2024, 1, 4, 9), (2024, 1, 5, 9)),  # the whole day counts
        ("FREQ=DAILY;UNTIL=20240105", (2024, 1, 5, 9), None),
        ("FREQ=WEEKLY;BYDAY=MO;UNTIL=20240110T000000", (2024, 1, 8, 9), None),
    ],
)
def test_until_ends_the_series(
    rule: str, due: tuple[int, ...], expected: tuple[int, ...] | None
) -> None:
    due_at = at(NEW_YORK, *due)
    result = following(rule, due_at, due_at + timedelta(hours=1))
    assert result == (None if expected is None else at(NEW_YORK, *expected))


def test_until_already_passed_when_completed_late() -> None:
    due = at(NEW_YORK, 2024, 1, 1, 9)
    assert following("FREQ=DAILY;UNTIL=20240105", due, at(NEW_YORK, 2024, 1, 6, 9)) is None


def test_count_is_the_number_of_tasks_in_the_series() -> None:
    due = at(NEW_YORK, 2024, 1, 1, 9)
    rule = "FREQ=DAILY;COUNT=3"
    dues = [due]
    while True:
        found = successor(
            rule=rule,
            due=dues[-1],
            timezone=NEW_YORK,
            repeat_from=RepeatFrom.DUE,
            completed_at=dues[-1],
        )
        if found is None:
            break
        dues.append(found.due)
        rule = found.rule
    assert dues == [due, at(NEW_YORK, 2024, 1, 2, 9), at(NEW_YORK, 2024, 1, 3, 9)]
    assert rule == "FREQ=DAILY;COUNT=1"


def test_count_used_up_by_missed_slots() -> None:
    due = at(NEW_YORK, 2024, 1, 1, 9)
    assert following("FREQ=DAILY;COUNT=3", due, at(NEW_YORK, 2024, 1, 3, 10)) is None
    found = successor(
        rule="FREQ=DAILY;COUNT=3",
        due=due,
        timezone=NEW_YORK,
        repeat_from=RepeatFrom.DUE,
        completed_at=at(NEW_YORK, 2024, 1, 2, 10),
    )
    assert found is not None
    assert (found.due, found.rule) == (at(NEW_YORK, 2024, 1, 3, 9), "FREQ=DAILY;COUNT=1")


def test_count_of_one_has_no_successor() -> None:
    due = at(NEW_YORK, 2024, 1, 1, 9)
    assert following("FREQ=WEEKLY;COUNT=1", due, due, repeat_from=RepeatFrom.COMPLETION) is None


def test_count_from_completion_counts_tasks() -> None:
    found = successor(
        rule="FREQ=DAILY;COUNT=2",
        due=at(NEW_YORK, 2024, 1, 1, 9),
        timezone=NEW_YORK,
        repeat_from=RepeatFrom.COMPLETION,
        completed_at=at(NEW_YORK, 2024, 1, 5, 12),
    )
    assert found is not None
    assert (found.due, found.rule) == (at(NEW_YORK, 2024, 1, 6, 9), "FREQ=DAILY;COUNT=1")


# --- next_due: bad input --------------------------------------------------------------------


def test_unknown_zone_is_refused_by_next_due() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        following("FREQ=DAILY", utc(2024, 1, 1, 9), utc(2024, 1, 1, 9), zone="Mars/Olympus")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="due must carry a time zone offset"):
        following("FREQ=DAILY", datetime(2024, 1, 1, 9), utc(2024, 1, 1, 9))


def test_invalid_rule_is_refused_by_next_due() -> None:
    with pytest.raises(ValueError, match="FREQ=MINUTELY is not allowed"):
        following("FREQ=MINUTELY", utc(2024, 1, 1, 9), utc(2024, 1, 1, 9))


# --- preview --------------------------------------------------------------------------------


def test_preview_of_monday_wednesday_friday() -> None:
    assert preview("FREQ=WEEKLY;BYDAY=MO,WE,FR", at(NEW_YORK, 2024, 1, 1, 9), NEW_YORK) == [
        utc(2024, 1, 1, 14),
        utc(2024, 1, 3, 14),
        utc(2024, 1, 5, 14),
    ]


def test_preview_of_last_friday_keeps_the_wall_time_across_dst() -> None:
    assert preview("FREQ=MONTHLY;BYDAY=-1FR", at(NEW_YORK, 2024, 1, 1, 9), NEW_YORK) == [
        at(NEW_YORK, 2024, 1, 26, 9),
        at(NEW_YORK, 2024, 2, 23, 9),
        utc(2024, 3, 29, 13),  # 09:00 EDT
    ]


def test_preview_count_and_dst_in_berlin() -> None:
    result = preview("FREQ=DAILY", at(BERLIN, 2024, 3, 29, 9), BERLIN, count=4)
    assert result == [
        utc(2024, 3, 29, 8),
        utc(2024, 3, 30, 8),
        utc(2024, 3, 31, 7),
        utc(2024, 4, 1, 7),
    ]


def test_preview_stops_when_the_rule_is_exhausted() -> None:
    result = preview("FREQ=WEEKLY;INTERVAL=2;COUNT=2", at(NEW_YORK, 2024, 1, 1, 9), NEW_YORK, 5)
    assert result == [at(NEW_YORK, 2024, 1, 1, 9), at(NEW_YORK, 2024, 1, 15, 9)]


def test_preview_needs_a_positive_count() -> None:
    with pytest.raises(ValueError, match="count must be at least 1"):
        preview("FREQ=DAILY", at(NEW_YORK, 2024, 1, 1, 9), NEW_YORK, count=0)


# --- validate_rrule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("FREQ=DAILY", "FREQ=DAILY"),
        ("rrule:freq=daily", "FREQ=DAILY"),
        ("RRULE:FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("  FREQ=WEEKLY; BYDAY=MO,WE,FR ;", "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
        ("freq=weekly;interval=2", "FREQ=WEEKLY;INTERVAL=2"),
        ("FREQ=DAILY;UNTIL=20241231T235959Z", "FREQ=DAILY;UNTIL=20241231T235959Z"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"),
        (
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1",
        ),
        ("FREQ=DAILY" + " " * 490, "FREQ=DAILY"),  # exactly 500 characters
    ],
)
def test_valid_rules_are_normalized(text: str, normalized: str) -> None:
    assert validate_rrule(text) == normalized


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the RRULE is empty"),
        ("RRULE:", "the RRULE is empty"),
        ("FREQ=DAILY" + " " * 491, "at most 500 characters"),
        ("FREQ=HOURLY", "FREQ=HOURLY is not allowed: a task repeats at most daily"),
        ("FREQ=MINUTELY;INTERVAL=30", "FREQ=MINUTELY is not allowed"),
        ("RRULE:FREQ=SECONDLY", "FREQ=SECONDLY is not allowed"),
        ("FREQ=DAILY;BYHOUR=9,17", "BYHOUR is not allowed"),
        ("FREQ=DAILY;BYMINUTE=30", "BYMINUTE is not allowed"),
        ("DTSTART:20240101T090000Z\nRRULE:FREQ=DAILY", "must not contain DTSTART"),
        ("FREQ=DAILY;DTSTART=20240101", "must not contain DTSTART"),
        ("RRULE:FREQ=DAILY\nEXDATE:20240102T090000Z", "only a single RRULE"),
        ("INTERVAL=2", "needs FREQ"),
        ("FREQ=FORTNIGHTLY", "FREQ=FORTNIGHTLY is unknown"),
        ("FREQ=DAILY;FOO=1", "unknown RRULE part 'FOO'"),
        ("FREQ=DAILY;INTERVAL", "'INTERVAL' is not NAME=VALUE"),
        ("every monday", "is not NAME=VALUE"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ appears twice"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL=0 must be a whole number from 1 to 1000"),
        ("FREQ=DAILY;INTERVAL=-2", "INTERVAL=-2 must be a whole number"),
        ("FREQ=DAILY;INTERVAL=two", "INTERVAL=TWO must be a whole number"),
        ("FREQ=DAILY;COUNT=0", "COUNT=0 must be a whole number"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20240101", "either COUNT or UNTIL"),
        ("FREQ=DAILY;UNTIL=2024", "UNTIL=2024 must look like 20251231"),
        ("FREQ=DAILY;UNTIL=20241340", "UNTIL=20241340 is not a real date"),
        ("FREQ=WEEKLY;BYDAY=XX", "'XX' is not a weekday"),
        ("FREQ=WEEKLY;BYDAY=-1FR", "BYDAY=-1FR (a numbered weekday) needs FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYDAY=0FR", "the number must be from 1 to 53"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY cannot contain 0"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY=32 must be a whole number from -31 to 31"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH=13 must be a whole number from 1 to 12"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "BYMONTHDAY=30 never falls in BYMONTH=2"),
        ("FREQ=WEEKLY;WKST=XY", "WKST=XY must be one of"),
    ],
)
def test_invalid_rules_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_rrule(text)


# --- timezone_or_error ----------------------------------------------------------------------


@pytest.mark.parametrize("name", [NEW_YORK, BERLIN, "UTC", "Asia/Kolkata"])
def test_known_zones(name: str) -> None:
    assert timezone_or_error(name).key == name


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "America", "utc", "../etc/passwd", "/etc/localtime", "EST5"]
)
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"unknown time zone {name!r}: use an IANA")):
        timezone_or_error(name)


# --- budgets: the horizon, the end of the calendar ------------------------------------------

# Rules no start gives a date: dateutil looked for one until the year 9999.
NEVER = [
    "FREQ=DAILY;BYMONTHDAY=1;BYYEARDAY=2",  # once froze the server for seconds
    "FREQ=YEARLY;BYMONTHDAY=1;BYYEARDAY=2",
    "FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2",
    "FREQ=MONTHLY;BYDAY=5MO;BYMONTH=2;BYMONTHDAY=1",
]


@pytest.mark.parametrize(
    ("rule", "start"),
    [
        *((rule, (2024, 1, 30)) for rule in NEVER),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=WE", (2024, 1, 30)),  # every 7 days from a Tuesday
        ("FREQ=MONTHLY;BYMONTH=2", (2024, 1, 30)),  # on the 30th, which February lacks
        ("FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29", (2023, 1, 1)),  # odd years only
    ],
)
def test_a_rule_without_a_date_in_the_horizon_is_refused(
    rule: str, start: tuple[int, int, int]
) -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"the RRULE {rule} gives no date within 100 years of {date(*start).isoformat()}"
        ),
    ):
        series_rule(Recurrence.CUSTOM, rule, datetime(*start, 9))


@pytest.mark.parametrize("year", [1900, 2024, 8999])
def test_refusing_a_rule_without_dates_stays_within_budget(year: int) -> None:
    """Each took dateutil seconds; bounded, all of them together take a fraction of one."""
    began = time.perf_counter()
    for rule in NEVER:
        with pytest.raises(ValueError, match="gives no date"):
            series_rule(Recurrence.CUSTOM, rule, datetime(year, 1, 30, 9))
    assert time.perf_counter() - began < 5


def test_a_rule_that_ends_before_its_start_is_not_refused() -> None:
    """Only the pattern must have dates: a finished series is not a broken rule."""
    rule = "FREQ=DAILY;UNTIL=20200101"
    assert series_rule(Recurrence.CUSTOM, rule, datetime(2031, 3, 10, 9)) == rule


@pytest.mark.parametrize(
    ("rule", "start"),
    [
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", (2097, 3, 1)),  # next in 2104: no 2100
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", (2072, 3, 1)),  # next in 2112
        ("FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH", (2027, 1, 1)),
        ("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", (2024, 1, 1)),
        ("FREQ=YEARLY;INTERVAL=1000;BYMONTH=6", (2024, 7, 1)),  # next in 3024
        ("FREQ=MONTHLY;INTERVAL=1000;BYMONTHDAY=1", (2024, 1, 2)),  # next in 2107
        ("FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29", (2024, 1, 1)),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", (8999, 1, 1)),  # next in 9004
    ],
)
def test_sparse_rules_people_write_are_accepted(rule: str, start: tuple[int, int, int]) -> None:
    assert series_rule(Recurrence.CUSTOM, rule, datetime(*start, 9)) == rule


def test_the_leap_day_skips_a_century_year() -> None:
    due = at(NEW_YORK, 2096, 2, 29, 9)
    assert following("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", due, due) == at(
        NEW_YORK, 2104, 2, 29, 9
    )


def test_a_long_interval_reaches_its_next_date() -> None:
    due = at(NEW_YORK, 2024, 6, 1, 9)
    assert following("FREQ=YEARLY;INTERVAL=1000", due, due) == at(NEW_YORK, 3024, 6, 1, 9)


def test_a_series_whose_next_date_is_beyond_the_horizon_ends() -> None:
    """Every 25 years on Feb 29: 2000, then 2400 (2100, 2200, 2300 are no leap years)."""
    due = at(NEW_YORK, 2000, 2, 29, 9)
    assert following("FREQ=YEARLY;INTERVAL=25;BYMONTH=2;BYMONTHDAY=29", due, due) is None


@pytest.mark.parametrize(
    ("rule", "due", "zone", "expected"),
    [
        ("FREQ=YEARLY", utc(8999, 12, 31, 9), "UTC", utc(9000, 12, 31, 9)),
        ("FREQ=YEARLY", utc(9000, 12, 31, 9), "UTC", None),  # 9001: past the last year
        ("FREQ=DAILY", utc(9000, 12, 31, 9), "Pacific/Kiritimati", None),
        ("FREQ=YEARLY;INTERVAL=1000", utc(8024, 6, 1, 9), "UTC", None),
    ],
)
def test_a_series_ends_with_the_year_9000(
    rule: str, due: datetime, zone: str, expected: datetime | None
) -> None:
    assert following(rule, due, due, zone=zone) == expected


@pytest.mark.parametrize("repeat_from", list(RepeatFrom))
def test_a_due_date_at_the_end_of_the_calendar_ends_the_series(repeat_from: RepeatFrom) -> None:
    due = datetime(9999, 12, 31, 23, tzinfo=UTC)  # already the next year in Kiritimati
    for completed in (due, utc(2026, 12, 1)):
        result = following(
            "FREQ=DAILY", due, completed, zone="Pacific/Kiritimati", repeat_from=repeat_from
        )
        assert result is None


def test_until_at_the_end_of_the_calendar_is_no_end() -> None:
    due = at("Pacific/Kiritimati", 2024, 1, 1, 9)
    rule = "FREQ=DAILY;UNTIL=99991231T235959Z"
    assert following(rule, due, due, zone="Pacific/Kiritimati") == due + timedelta(days=1)


def test_preview_stops_at_the_last_year() -> None:
    start = at(NEW_YORK, 8999, 6, 1, 9)
    assert preview("FREQ=YEARLY", start, NEW_YORK, count=5) == [
        at(NEW_YORK, 8999, 6, 1, 9),
        at(NEW_YORK, 9000, 6, 1, 9),
    ]


def test_preview_of_a_rule_without_dates_is_empty_and_quick() -> None:
    assert preview("FREQ=DAILY;BYMONTHDAY=1;BYYEARDAY=2", at(BERLIN, 2024, 1, 1, 9), BERLIN) == []


@pytest.mark.parametrize(
    ("rule", "due", "completed", "expected"),
    [
        ("FREQ=DAILY", (1900, 1, 1, 9), (2026, 12, 1, 10), (2026, 12, 2, 9)),
        ("FREQ=DAILY;INTERVAL=3", (1900, 1, 1, 9), (2026, 12, 1, 8), (2026, 12, 2, 9)),
        ("FREQ=WEEKLY;INTERVAL=2", (1950, 1, 2, 9), (2026, 12, 1, 10), (2026, 12, 7, 9)),
        ("FREQ=WEEKLY;BYDAY=MO,FR;WKST=SU", (1950, 1, 2, 9), (2026, 12, 1, 10), (2026, 12, 4, 9)),
    ],
)
def test_a_completion_decades_late_skips_to_the_next_slot(
    rule: str, due: tuple[int, ...], completed: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    assert following(rule, at(BERLIN, *due), at(BERLIN, *completed), zone=BERLIN) == at(
        BERLIN, *expected
    )


def test_count_of_ten_thousand_is_accepted() -> None:
    assert validate_rrule("FREQ=DAILY;COUNT=10000") == "FREQ=DAILY;COUNT=10000"


def test_bysetpos_of_a_daily_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="BYSETPOS needs FREQ=WEEKLY, MONTHLY or YEARLY"):
        validate_rrule("FREQ=DAILY;BYSETPOS=2")


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYDAY=MO,FR",
        "FREQ=DAILY;INTERVAL=3;BYDAY=MO",
        "FREQ=DAILY;INTERVAL=7;BYYEARDAY=-1,1,60",
        "FREQ=DAILY;BYWEEKNO=1,53;BYDAY=SU",
        "FREQ=DAILY;INTERVAL=10;BYMONTH=3",
        "FREQ=DAILY;COUNT=5;BYDAY=TU",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=SU",
        "FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,SA",
        "FREQ=WEEKLY;INTERVAL=2;BYMONTHDAY=1,15",
        "FREQ=WEEKLY;BYWEEKNO=52,53,1;BYDAY=MO,SU;WKST=SU",
        "FREQ=WEEKLY;INTERVAL=4;BYMONTH=1,7;BYDAY=WE",
        "FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=1",
        "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=-1,10",
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=FR;BYMONTHDAY=13",
        "FREQ=MONTHLY;BYYEARDAY=366",
        "FREQ=MONTHLY;INTERVAL=5;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=YEARLY;INTERVAL=10;BYMONTH=2;BYMONTHDAY=29",
    ],
)
@pytest.mark.parametrize(
    "start",
    [(2000, 1, 1, 9), (2023, 12, 31, 23), (2024, 2, 29, 7), (1999, 12, 27, 0), (2031, 6, 15, 12)],
)
def test_bounded_expansion_gives_what_dateutil_gives(
    rule: str, start: tuple[int, int, int, int]
) -> None:
    """The budgeted walk (moved by 400-year cycles, sparse rules walked a year at a time) finds
    the same dates as dateutil's own, unbounded one."""
    wall = datetime(*start)
    horizon = wall.replace(year=wall.year + 100)
    expected = [
        moment.replace(tzinfo=UTC)
        for moment in islice(rrulestr(rule, dtstart=wall), 200)
        if moment <= horizon
    ]
    assert preview(rule, wall.replace(tzinfo=UTC), "UTC", count=200) == expected


# --- the editor's preview -------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


def test_the_editor_previews_the_next_three_dates() -> None:
    assert describe_series(
        Recurrence.CUSTOM, "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2096-02-29T09:00", BERLIN, NOW
    ) == (["Wed 29 Feb 2096, 09:00", "Fri 29 Feb 2104, 09:00", "Wed 29 Feb 2108, 09:00"], "")


def test_the_editor_previews_from_now_without_a_due_date() -> None:
    assert describe_series(Recurrence.DAILY, "", "", "UTC", NOW) == (
        ["Tue 1 Dec 2026, 10:00", "Wed 2 Dec 2026, 10:00", "Thu 3 Dec 2026, 10:00"],
        "",
    )


def test_the_editor_says_a_rule_has_no_date_in_the_horizon() -> None:
    dates, problem = describe_series(
        Recurrence.CUSTOM, "FREQ=DAILY;BYMONTHDAY=1;BYYEARDAY=2", "2031-03-10T09:00", BERLIN, NOW
    )
    assert dates == []
    assert problem.startswith(
        "the RRULE FREQ=DAILY;BYMONTHDAY=1;BYYEARDAY=2 gives no date within 100 years of 2031-03-10"
    )


def test_the_editor_says_a_finished_series_has_no_dates() -> None:
    assert describe_series(
        Recurrence.CUSTOM, "FREQ=DAILY;UNTIL=20200101", "2031-03-10T09:00", BERLIN, NOW
    ) == ([], "This rule has no dates from the due date on.")
