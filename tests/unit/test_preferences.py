"""A user's time zone, quiet hours and digest time, and when each falls on their wall clock:
on ordinary days, across midnight, in zones ahead of and behind UTC, and on the days the clocks
of Berlin and New York change (a time skipped falls at the jump, a time shown twice at its first
showing)."""

from datetime import UTC, date, datetime, time

import pytest
from pydantic import ValidationError

from app.domain.preferences import (
    Preferences,
    clock_time,
    day_end,
    digest_due,
    next_digest,
    quiet_end,
    quiet_hours,
    time_zone,
    wall_moment,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
TOKYO = "Asia/Tokyo"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def quiet(start: str, end: str, zone: str | None = BERLIN) -> Preferences:
    return Preferences(time_zone=zone, quiet_from=clock_time(start), quiet_to=clock_time(end))


def digest(at: str, zone: str | None = BERLIN) -> Preferences:
    return Preferences(time_zone=zone, digest_at=clock_time(at))


@pytest.mark.parametrize("text", ["00:00", "07:30", "23:59", "09:05"])
def test_a_time_of_day_is_hh_mm(text: str) -> None:
    assert f"{clock_time(text):%H:%M}" == text


@pytest.mark.parametrize(
    "text", ["24:00", "7:30", "07:60", "07:30:00", "", "noon", "07-30", "07:3\u0660"]
)
def test_anything_else_is_refused_saying_how_to_write_it(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        clock_time(text)


def test_a_zone_is_an_iana_name() -> None:
    assert time_zone("Asia/Kolkata") == "Asia/Kolkata"
    with pytest.raises(ValueError, match="IANA"):
        time_zone("Mars/Olympus")
    with pytest.raises(ValidationError, match="IANA"):
        Preferences(time_zone="CEST")


def test_quiet_hours_are_whole_and_not_empty() -> None:
    quiet_hours(None, None)
    quiet_hours(time(22), time(7))
    with pytest.raises(ValueError, match="both"):
        quiet_hours(time(22), None)
    with pytest.raises(ValueError, match="both"):
        quiet_hours(None, time(7))
    with pytest.raises(ValueError, match="same time"):
        quiet_hours(time(22), time(22))
    with pytest.raises(ValidationError, match="same time"):
        quiet("08:00", "08:00")


def test_without_quiet_hours_nothing_waits() -> None:
    assert quiet_end(Preferences(time_zone=BERLIN), "UTC", utc(2026, 7, 1, 1)) is None


@pytest.mark.parametrize(
    ("moment", "end"),
    [
        # 23:30 in Berlin (CEST, UTC+2) on 30 June: quiet until 07:00 the next morning.
        (utc(2026, 6, 30, 21, 30), utc(2026, 7, 1, 5)),
        # 22:00 sharp is inside; 06:59 still is; 07:00 is not.
        (utc(2026, 6, 30, 20), utc(2026, 7, 1, 5)),
        (utc(2026, 7, 1, 4, 59), utc(2026, 7, 1, 5)),
        (utc(2026, 7, 1, 5), None),
        # After midnight: the end is the same local day.
        (utc(2026, 7, 1, 1), utc(2026, 7, 1, 5)),
        # Midday and 21:59 are outside.
        (utc(2026, 7, 1, 10), None),
        (utc(2026, 7, 1, 19, 59), None),
        # New Year's Eve in winter (CET, UTC+1): into the next year.
        (utc(2026, 12, 31, 22), utc(2027, 1, 1, 6)),
    ],
)
def test_quiet_hours_across_midnight(moment: datetime, end: datetime | None) -> None:
    assert quiet_end(quiet("22:00", "07:00"), "UTC", moment) == end


def test_quiet_hours_within_one_day() -> None:
    lunch = quiet("12:00", "13:30", NEW_YORK)
    # 12:15 in New York (EDT, UTC-4) is 16:15 UTC.
    assert quiet_end(lunch, "UTC", utc(2026, 8, 3, 16, 15)) == utc(2026, 8, 3, 17, 30)
    assert quiet_end(lunch, "UTC", utc(2026, 8, 3, 17, 30)) is None
    assert quiet_end(lunch, "UTC", utc(2026, 8, 3, 15, 59)) is None


def test_a_zone_ahead_of_utc_whose_day_began_earlier() -> None:
    """22:00 to 07:00 in Tokyo (UTC+9) is 13:00 to 22:00 UTC, the same UTC day."""
    nights = quiet("22:00", "07:00", TOKYO)
    assert quiet_end(nights, "UTC", utc(2026, 1, 15, 13)) == utc(2026, 1, 15, 22)
    # 23:30 UTC on the 15th is 08:30 on the 16th in Tokyo: awake.
    assert quiet_end(nights, "UTC", utc(2026, 1, 15, 23, 30)) is None
    # 15:00 UTC on the 31st of December is midnight of the new year in Tokyo.
    assert quiet_end(nights, "UTC", utc(2026, 12, 31, 15)) == utc(2026, 12, 31, 22)


def test_without_a_zone_of_their_own_the_install_zone_counts() -> None:
    nights = quiet("22:00", "07:00", zone=None)
    assert quiet_end(nights, NEW_YORK, utc(2026, 1, 15, 4)) == utc(2026, 1, 15, 12)
    assert quiet_end(nights, "UTC", utc(2026, 1, 15, 4)) == utc(2026, 1, 15, 7)


def test_quiet_hours_that_end_in_the_hour_the_clock_skips_end_at_the_jump() -> None:
    """Berlin springs forward on 29 March 2026 at 02:00 CET (01:00 UTC) to 03:00 CEST: 02:30
    never shows, so quiet hours until 02:30 end at the jump, not an hour late and not never."""
    nights = quiet("22:00", "02:30")
    assert quiet_end(nights, "UTC", utc(2026, 3, 28, 23)) == utc(2026, 3, 29, 1)
    assert quiet_end(nights, "UTC", utc(2026, 3, 29, 0, 59)) == utc(2026, 3, 29, 1)
    # At the jump the clock shows 03:00: quiet hours are over.
    assert quiet_end(nights, "UTC", utc(2026, 3, 29, 1)) is None


def test_quiet_hours_that_start_in_the_skipped_hour_start_at_the_jump() -> None:
    early = quiet("02:30", "06:00")
    assert quiet_end(early, "UTC", utc(2026, 3, 29, 0, 59)) is None
    assert quiet_end(early, "UTC", utc(2026, 3, 29, 1)) == utc(2026, 3, 29, 4)


def test_quiet_hours_across_new_yorks_spring_forward() -> None:
    """New York springs forward on 8 March 2026 at 02:00 EST (07:00 UTC): a night from 23:00
    EST to 07:00 EDT lasts seven hours."""
    nights = quiet("23:00", "07:00", NEW_YORK)
    assert quiet_end(nights, "UTC", utc(2026, 3, 8, 4)) == utc(2026, 3, 8, 11)
    assert quiet_end(nights, "UTC", utc(2026, 3, 8, 10, 59)) == utc(2026, 3, 8, 11)


def test_quiet_hours_that_end_in_the_hour_shown_twice_end_at_its_first_showing() -> None:
    """Berlin falls back on 25 October 2026 at 03:00 CEST (01:00 UTC) to 02:00 CET: 02:30
    shows at 00:30 UTC and again at 01:30 UTC."""
    nights = quiet("22:00", "02:30")
    assert quiet_end(nights, "UTC", utc(2026, 10, 24, 21)) == utc(2026, 10, 25, 0, 30)
    assert quiet_end(nights, "UTC", utc(2026, 10, 25, 0, 30)) is None
    # The clock goes back to 02:00: quiet again until 02:30 shows the second time.
    assert quiet_end(nights, "UTC", utc(2026, 10, 25, 1, 10)) == utc(2026, 10, 25, 1, 30)
    assert quiet_end(nights, "UTC", utc(2026, 10, 25, 1, 30)) is None


def test_quiet_hours_across_new_yorks_fall_back() -> None:
    """New York falls back on 1 November 2026 at 02:00 EDT (06:00 UTC): a night from 22:00
    EDT to 07:00 EST lasts ten hours."""
    nights = quiet("22:00", "07:00", NEW_YORK)
    assert quiet_end(nights, "UTC", utc(2026, 11, 1, 2)) == utc(2026, 11, 1, 12)


def test_a_wall_time_is_found_once_skipped_or_twice() -> None:
    zone = Preferences(time_zone=BERLIN).zone("UTC")
    assert wall_moment(date(2026, 7, 1), time(9), zone) == utc(2026, 7, 1, 7)
    assert wall_moment(date(2026, 3, 29), time(2, 30), zone) == utc(2026, 3, 29, 1)
    assert wall_moment(date(2026, 10, 25), time(2, 30), zone) == utc(2026, 10, 25, 0, 30)


def test_a_digest_is_due_from_its_time_to_the_end_of_the_local_day() -> None:
    mornings = digest("07:00")
    assert digest_due(mornings, "UTC", utc(2026, 7, 1, 4, 59)) is None
    assert digest_due(mornings, "UTC", utc(2026, 7, 1, 5)) == date(2026, 7, 1)
    # Missed while nothing ran: still due at 23:59 in Berlin, and the next day's only at 07:00.
    assert digest_due(mornings, "UTC", utc(2026, 7, 1, 21, 59)) == date(2026, 7, 1)
    assert digest_due(mornings, "UTC", utc(2026, 7, 1, 22)) is None
    assert digest_due(Preferences(time_zone=BERLIN), "UTC", utc(2026, 7, 1, 12)) is None


def test_a_digest_covers_the_users_local_date_not_utcs() -> None:
    # 20:00 on 1 July in New York is 00:00 UTC on 2 July.
    evenings = digest("20:00", NEW_YORK)
    assert digest_due(evenings, "UTC", utc(2026, 7, 2, 0)) == date(2026, 7, 1)
    # 06:00 on 2 July in Tokyo is 21:00 UTC on 1 July.
    tokyo = digest("06:00", TOKYO)
    assert digest_due(tokyo, "UTC", utc(2026, 7, 1, 21)) == date(2026, 7, 2)


def test_the_next_digest() -> None:
    mornings = digest("07:00")
    assert next_digest(mornings, "UTC", utc(2026, 7, 1, 4)) == utc(2026, 7, 1, 5)
    assert next_digest(mornings, "UTC", utc(2026, 7, 1, 5)) == utc(2026, 7, 2, 5)
    # Across the change to winter time: 07:00 CET is 06:00 UTC.
    assert next_digest(mornings, "UTC", utc(2026, 10, 24, 6)) == utc(2026, 10, 25, 6)
    assert next_digest(Preferences(), "UTC", utc(2026, 7, 1)) is None


def test_a_digest_in_a_skipped_or_doubled_hour_is_due_once() -> None:
    early = digest("02:30")
    # Spring: due at the jump; before it, not yet.
    assert digest_due(early, "UTC", utc(2026, 3, 29, 0, 59)) is None
    assert digest_due(early, "UTC", utc(2026, 3, 29, 1)) == date(2026, 3, 29)
    assert next_digest(early, "UTC", utc(2026, 3, 29, 0)) == utc(2026, 3, 29, 1)
    # Autumn: due from the first 02:30 on; the next one is the following day.
    assert digest_due(early, "UTC", utc(2026, 10, 25, 0, 30)) == date(2026, 10, 25)
    assert next_digest(early, "UTC", utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 26, 1, 30)


def test_the_local_day_ends_at_the_next_local_midnight() -> None:
    berlin = Preferences(time_zone=BERLIN)
    assert day_end(berlin, "UTC", date(2026, 7, 1)) == utc(2026, 7, 1, 22)
    # 29 March 2026 has 23 hours in Berlin; it ends at 22:00 UTC (midnight CEST).
    assert day_end(berlin, "UTC", date(2026, 3, 29)) == utc(2026, 3, 29, 22)
    assert day_end(Preferences(), TOKYO, date(2026, 7, 1)) == utc(2026, 7, 1, 15)
