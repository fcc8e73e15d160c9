"""A user's own notification settings: their time zone, the quiet hours in which reminders wait,
and the time of their daily digest; and when, on their wall clock, each of these falls.

Every check returns the value in its canonical form or raises ValueError with the message every
door (REST, UI) shows. Wall-clock times are read in the user's zone, across DST: a time the clock
jumps over (spring forward) falls at the jump, and a time it shows twice (fall back) falls at its
first showing, so nothing waits for a time that never comes."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from app.domain.task_fields import timezone

__all__ = [
    "CLOCK_TIME_TEXT",
    "Preferences",
    "clock_time",
    "day_end",
    "digest_due",
    "next_digest",
    "quiet_end",
    "quiet_hours",
    "time_zone",
    "wall_moment",
]

# "HH:MM", 00:00 to 23:59.
CLOCK_TIME_TEXT = r"^([01]\d|2[0-3]):[0-5]\d$"
_CLOCK_TIME = re.compile(CLOCK_TIME_TEXT, re.ASCII)
_BOTH_OR_NEITHER = "quiet hours need both a start (quiet_from) and an end (quiet_to), or neither"
_EMPTY = "quiet hours cannot start and end at the same time"


def time_zone(name: str) -> str:
    """An IANA time zone name, as a task's zone is checked."""
    return timezone(name)


def clock_time(text: str) -> time:
    """A wall-clock time of day, written HH:MM (24 hours)."""
    if not _CLOCK_TIME.fullmatch(text):
        raise ValueError(f"{text[:20]!r} is no time of day: write HH:MM, like 07:30 or 22:00")
    return time.fromisoformat(text)


def quiet_hours(start: time | None, end: time | None) -> None:
    """Quiet hours are given whole (a start and an end, which may cross midnight) or not."""
    if (start is None) != (end is None):
        raise ValueError(_BOTH_OR_NEITHER)
    if start is not None and start == end:
        raise ValueError(_EMPTY)


class Preferences(BaseModel):
    """A user's settings. No zone: the install's (TASKFLOW_TIMEZONE) for the quiet hours and
    the digest, and each task's own for its due time."""

    model_config = ConfigDict(frozen=True)

    time_zone: str | None = None
    quiet_from: time | None = None
    quiet_to: time | None = None
    digest_at: time | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        return None if name is None else time_zone(name)

    @model_validator(mode="after")
    def _whole_quiet_hours(self) -> "Preferences":
        quiet_hours(self.quiet_from, self.quiet_to)
        return self

    def zone(self, default: str) -> ZoneInfo:
        return ZoneInfo(self.time_zone or default)


def wall_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first moment the clock of `zone` shows `at` on `day` (UTC); when the clock jumps
    over it, the moment of the jump."""
    return _moments(day, at, zone)[0]


def _moments(day: date, at: time, zone: ZoneInfo) -> list[datetime]:
    """Each moment the clock shows `at` on `day`, in order: one, two in a fold, or the jump in
    a gap."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return sorted({first, second})
    # A gap: the later reading (fold=0, the offset before the jump) lands after the jump, the
    # earlier before it. The jump is between; zone offsets change on whole seconds.
    before, after = second, first
    offset = before.astimezone(zone).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            before = middle
        else:
            after = middle
    return [after.replace(microsecond=0)]


def _inside(start: time, end: time, now: time) -> bool:
    if start < end:
        return start <= now < end
    return now >= start or now < end


def quiet_end(preferences: Preferences, default_zone: str, moment: datetime) -> datetime | None:
    """When the quiet hours that `moment` is in end (UTC); None when it is in none."""
    start, end = preferences.quiet_from, preferences.quiet_to
    if start is None or end is None:
        return None
    zone = preferences.zone(default_zone)
    local = moment.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    if not _inside(start, end, wall):
        return None
    # Before midnight in quiet hours that cross it, they end the next day.
    day = local.date() + timedelta(days=1 if start > end and wall >= start else 0)
    # Its next showing: after a fall back the clock may show a quiet time past the first one.
    return next((candidate for candidate in _moments(day, end, zone) if candidate > moment), moment)


def day_end(preferences: Preferences, default_zone: str, day: date) -> datetime:
    """Where the user's local `day` ends: the next one begins (UTC)."""
    return wall_moment(day + timedelta(days=1), time(0), preferences.zone(default_zone))


def digest_due(preferences: Preferences, default_zone: str, now: datetime) -> date | None:
    """The local date whose digest is due at `now`: today's once its time has come (and for
    the rest of the day, so a digest missed while nothing ran goes out late, not never)."""
    if preferences.digest_at is None:
        return None
    zone = preferences.zone(default_zone)
    today = now.astimezone(zone).date()
    return today if now >= wall_moment(today, preferences.digest_at, zone) else None


def next_digest(preferences: Preferences, default_zone: str, now: datetime) -> datetime | None:
    """When the next digest after `now` is due (UTC); None without a digest time."""
    if preferences.digest_at is None:
        return None
    zone = preferences.zone(default_zone)
    today = now.astimezone(zone).date()
    for day in (today, today + timedelta(days=1)):
        moment = wall_moment(day, preferences.digest_at, zone)
        if moment > now:
            return moment
    return wall_moment(today + timedelta(days=2), preferences.digest_at, zone)
