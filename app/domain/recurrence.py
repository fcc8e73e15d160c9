"""Recurring tasks: RFC 5545 RRULEs expanded in the task's own wall-clock time.

A task's rule is expanded with naive local datetimes (DTSTART = its due date as read on the
wall clock of its time zone), and every occurrence is then placed back in that zone. This keeps
"09:00" at 09:00 across DST changes. A wall time skipped by a spring-forward gap lands later by
the size of the gap; an ambiguous fall-back time takes its first occurrence (fold=0).

COUNT=n means the series holds n tasks in all: each successor's rule carries the remaining
count (see `successor`), so a chain of tasks that inherit their rule ends where it should.

Every expansion is bounded. A rule's next date is looked for only within a horizon of
HORIZON_YEARS years (or HORIZON_INTERVALS of its intervals, when they are longer): a rule with
no date within it from its due date is refused, and a series whose next date lies beyond it, or
after the year LAST_YEAR, ends. dateutil walks a rule period by period until a date fits or the
calendar ends (year 9999), so the walk is moved by whole 400-year cycles of the Gregorian
calendar, which repeats exactly, to end a little after the horizon.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, timedelta
from functools import cache
from itertools import islice, takewhile
from zoneinfo import ZoneInfo, available_timezones

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulebase, rrulestr

from app.domain.enums import Recurrence, RepeatFrom
from app.domain.models import Task

MAX_RULE_LENGTH = 500
MAX_INTERVAL = 1000
HORIZON_YEARS = 100
HORIZON_INTERVALS = 4
LAST_YEAR = 9000

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_TOO_FREQUENT = ("HOURLY", "MINUTELY", "SECONDLY")
_TIME_OF_DAY_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
# name -> (largest absolute value, whether negative values count from the end)
_NUMBER_LISTS = {
    "BYMONTH": (12, False),
    "BYMONTHDAY": (31, True),
    "BYYEARDAY": (366, True),
    "BYWEEKNO": (53, True),
    "BYSETPOS": (366, True),
}
_KNOWN_PARTS = frozenset(
    {"FREQ", "UNTIL", "COUNT", "INTERVAL", "BYDAY", "WKST", *_NUMBER_LISTS, *_TIME_OF_DAY_PARTS}
)
_BYDAY_ITEM = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"(\d{8})(?:T(\d{6})(Z?))?")
_INTEGER = re.compile(r"[+-]?\d{1,5}")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February at its longest
_ANY_DATE = datetime(2000, 1, 1, 9, 0)
_LAST_WALL = datetime(LAST_YEAR, 12, 31, 23, 59, 59)
_CALENDAR_END = datetime.max.replace(microsecond=0)
_CALENDAR_CYCLE_YEARS = 400
_MONTHS_PER_PERIOD = {"MONTHLY": 1, "YEARLY": 12}
_DAYS_PER_PERIOD = {"DAILY": 1, "WEEKLY": 7}
_CATCH_UP_MARGIN = timedelta(days=2)
_DAY_FILTERS = ("BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY")


@dataclass(frozen=True)
class Successor:
    """The next task of a series: its due date (UTC) and the rule it carries on."""

    due: datetime
    rule: str


def timezone_or_error(name: str) -> ZoneInfo:
    if name not in _timezone_names():
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin' or 'UTC'"
        )
    return ZoneInfo(name)


def validate_rrule(text: str) -> str:
    """The rule normalized: upper case, no whitespace, no "RRULE:" prefix."""
    return _join(_parse(text))


def series_rule(recurrence: Recurrence, rrule: str | None, due_local: datetime) -> str | None:
    """The effective RRULE of a task whose due date, on its own wall clock, is `due_local`."""
    match recurrence:
        case Recurrence.NONE:
            return None
        case Recurrence.DAILY:
            return "FREQ=DAILY"
        case Recurrence.WEEKLY:
            return f"FREQ=WEEKLY;BYDAY={WEEKDAYS[due_local.weekday()]}"
        case Recurrence.MONTHLY:
            return _monthly_rule(due_local.day)
        case Recurrence.CUSTOM:
            if rrule is None or not rrule.strip():
                raise ValueError("a custom recurrence needs an RRULE, e.g. 'FREQ=WEEKLY;BYDAY=MO'")
            parts = _parse(rrule)
            _require_a_date(parts, due_local.replace(tzinfo=None, microsecond=0))
            return _join(parts)
    raise ValueError(f"unknown recurrence {recurrence!r}")


def next_due(
    *,
    rule: str,
    due: datetime | None,
    timezone: str,
    repeat_from: RepeatFrom,
    completed_at: datetime,
) -> datetime | None:
    """The successor's due date in UTC, or None when the series is over."""
    found = successor(
        rule=rule, due=due, timezone=timezone, repeat_from=repeat_from, completed_at=completed_at
    )
    return None if found is None else found.due


def successor(
    *,
    rule: str,
    due: datetime | None,
    timezone: str,
    repeat_from: RepeatFrom,
    completed_at: datetime,
) -> Successor | None:
    """Like `next_due`, with the rule the successor must store (COUNT lowered by what was used).

    repeat_from=due: the first slot strictly after both the due date and the completion, so a
    late completion skips the missed slots. repeat_from=completion: the series restarts on the
    completion day at the due date's time of day and the first slot after that start is taken
    (so completing early in the day never yields a successor due later that same day); the
    built-in weekly and monthly rules are re-anchored on the completion day.

    The series ends (None) when no slot comes within the horizon after the later of the start
    and the completion, or before the end of the year LAST_YEAR.
    """
    zone = timezone_or_error(timezone)
    _require_aware(completed_at, "completed_at")
    if due is not None:
        _require_aware(due, "due")
    parts = _parse(rule)
    count = parts.pop("COUNT", None)
    successors_left = None if count is None else int(count) - 1
    anchor = due or completed_at
    if max(anchor, completed_at).year > LAST_YEAR:
        return None

    if repeat_from is RepeatFrom.DUE:
        start = _wall(anchor, zone)
        if count is None:
            start = _caught_up(parts, start, _wall(completed_at, zone))
    else:
        start = datetime.combine(_wall(completed_at, zone).date(), _wall(anchor, zone).time())
        parts = _anchored_on(parts, start)
    end = min(_horizon_end(parts, max(start, _wall(completed_at, zone))), _LAST_WALL)

    for used, slot in enumerate(_slots_after(parts, start, end, zone), start=1):
        if successors_left is not None and used > successors_left:
            return None
        if slot > completed_at:
            if successors_left is not None:
                parts["COUNT"] = str(successors_left + 1 - used)
            return Successor(due=slot, rule=_join(parts))
    return None


def successor_of(task: Task) -> Successor | None:
    """The next occurrence of the completed recurring `task` (see `successor`); ValueError when
    it has no series rule or no completion time, or when its rule or zone cannot be read."""
    if task.rrule is None or task.completed_at is None:
        raise ValueError(f"task {task.id} has no series rule or no completion time")
    return successor(
        rule=task.rrule,
        due=task.due_date,
        timezone=task.timezone,
        repeat_from=task.repeat_from,
        completed_at=task.completed_at,
    )


def preview(rule: str, start: datetime, timezone: str, count: int = 3) -> list[datetime]:
    """The first `count` occurrences (UTC) of a series starting at `start`, which is included
    when it fits the rule, within the horizon and the year LAST_YEAR."""
    zone = timezone_or_error(timezone)
    _require_aware(start, "start")
    if count < 1:
        raise ValueError("count must be at least 1")
    parts = _parse(rule)
    wall = _wall(start, zone)
    occurrences = _occurrences(parts, wall, min(_horizon_end(parts, wall), _LAST_WALL), zone)
    return [_instant(occurrence, zone) for occurrence in islice(occurrences, count)]


def _monthly_rule(day: int) -> str:
    if day <= 28:
        return f"FREQ=MONTHLY;BYMONTHDAY={day}"
    # The last existing day among 28..anchor: Jan 31 -> Feb 28 (29) -> Mar 31.
    days = ",".join(str(d) for d in range(28, day + 1))
    return f"FREQ=MONTHLY;BYMONTHDAY={days};BYSETPOS=-1"


def _preset_shapes() -> dict[frozenset[tuple[str, str]], Recurrence]:
    shapes: dict[frozenset[tuple[str, str]], Recurrence] = {}
    for day in range(1, 32):
        for kind in (Recurrence.DAILY, Recurrence.WEEKLY, Recurrence.MONTHLY):
            rule = series_rule(kind, None, datetime(2024, 1, day))
            assert rule is not None
            shapes[frozenset(_split(rule).items())] = kind
    return shapes


def _anchored_on(parts: dict[str, str], start: datetime) -> dict[str, str]:
    """For a rule shaped like a built-in weekly/monthly one, the same rule anchored on `start`."""
    pattern = {name: value for name, value in parts.items() if name != "UNTIL"}
    kind = _PRESET_SHAPES.get(frozenset(pattern.items()))
    if kind is None:
        return parts
    rule = series_rule(kind, None, start)
    assert rule is not None
    anchored = _split(rule)
    if "UNTIL" in parts:
        anchored["UNTIL"] = parts["UNTIL"]
    return anchored


def _caught_up(parts: dict[str, str], start: datetime, late: datetime) -> datetime:
    """A later start from which a daily or weekly rule without BYSETPOS has the same dates:
    whole intervals on from `start`, two days short of `late` (so no slot after `late` is lost
    to a change of UTC offset), for a late completion not to walk every missed slot."""
    if parts["FREQ"] not in _DAYS_PER_PERIOD or "BYSETPOS" in parts:
        return start
    step = timedelta(days=_DAYS_PER_PERIOD[parts["FREQ"]] * int(parts.get("INTERVAL", "1")))
    return start + max(0, (late - _CATCH_UP_MARGIN - start) // step) * step


def _require_a_date(parts: dict[str, str], start: datetime) -> None:
    """Refuse a rule whose pattern (COUNT and UNTIL aside) has no date within the horizon."""
    pattern = _pattern(parts)
    dates = _occurrences(pattern, start, _horizon_end(pattern, start), ZoneInfo("UTC"))
    if next(dates, None) is None:
        raise ValueError(
            f"the RRULE {_join(parts)} gives no date within {HORIZON_YEARS} years of "
            f"{start:%Y-%m-%d}: a rule must repeat at least once in {HORIZON_YEARS} years "
            f"(or in {HORIZON_INTERVALS} of its intervals, when they are longer)"
        )


def _horizon_end(parts: dict[str, str], start: datetime) -> datetime:
    """The latest wall time a search for the rule's next date from `start` looks at."""
    per_period = _MONTHS_PER_PERIOD.get(parts["FREQ"], 0)
    months = max(
        12 * HORIZON_YEARS, HORIZON_INTERVALS * int(parts.get("INTERVAL", "1")) * per_period
    )
    if start.year + months // 12 + 1 >= MAXYEAR:
        return _CALENDAR_END
    return start + relativedelta(months=months)


def _slots_after(
    parts: dict[str, str], start: datetime, end: datetime, zone: ZoneInfo
) -> Iterator[datetime]:
    """Occurrences (UTC) of the rule expanded from wall time `start`, strictly after it, up to
    wall time `end`."""
    start_instant = _instant(start, zone)
    for occurrence in _occurrences(parts, start, end, zone):
        instant = _instant(occurrence, zone)
        if instant > start_instant:
            yield instant


def _occurrences(
    parts: dict[str, str], start: datetime, end: datetime, zone: ZoneInfo
) -> Iterator[datetime]:
    """The rule's wall times from `start` (included when it fits) up to `end`, in order.

    dateutil gets the pattern alone and stops only where the calendar does, so it runs in a
    frame moved by whole 400-year cycles (where every date falls on the same weekday) to end
    less than one cycle after `end`. UNTIL and COUNT are applied here."""
    if "UNTIL" in parts:
        end = min(end, _wall_until(parts["UNTIL"], zone))
    if end < start:
        return
    scan, keeps = _scan_form(_pattern(parts), start)
    years = _CALENDAR_CYCLE_YEARS * ((MAXYEAR - end.year) // _CALENDAR_CYCLE_YEARS)
    found = (_moved(moved, -years) for moved in _rule(scan, _moved(start, years)))
    within = takewhile(lambda occurrence: occurrence <= end, found)
    yield from islice(filter(keeps, within), int(parts["COUNT"]) if "COUNT" in parts else None)


def _scan_form(
    pattern: dict[str, str], start: datetime
) -> tuple[dict[str, str], Callable[[datetime], bool]]:
    """A cheaper rule to walk, giving the same dates once its filter is applied.

    dateutil takes a step per period, so a sparse daily rule costs a step per day. When every
    BY part of a daily, weekly or monthly rule picks single days (no BYSETPOS, no numbered
    weekday), the same dates come from the yearly rule with those parts, walked a year at a
    time, kept only in the periods its INTERVAL selects."""
    freq = pattern["FREQ"]
    if (
        freq == "YEARLY"
        or "BYSETPOS" in pattern
        or _numbered_weekdays(pattern)
        or not any(name in pattern for name in _DAY_FILTERS)
    ):
        return pattern, _always
    interval = int(pattern.get("INTERVAL", "1"))
    yearly = {name: value for name, value in pattern.items() if name != "INTERVAL"}
    yearly["FREQ"] = "YEARLY"
    period = _period_index(freq, WEEKDAYS.index(pattern.get("WKST", "MO")))
    first = period(start.date())
    return yearly, lambda moment: (period(moment.date()) - first) % interval == 0


def _period_index(freq: str, week_start: int) -> Callable[[date], int]:
    """Numbers the days, weeks (beginning on `week_start`) or months of the calendar in order."""
    if freq == "DAILY":
        return date.toordinal
    if freq == "WEEKLY":
        return lambda day: (day.toordinal() - (day.weekday() - week_start) % 7) // 7
    return lambda day: 12 * day.year + day.month


def _numbered_weekdays(parts: dict[str, str]) -> bool:
    items = parts["BYDAY"].split(",") if "BYDAY" in parts else []
    return any(_ordinal(item) is not None for item in items)


def _pattern(parts: dict[str, str]) -> dict[str, str]:
    """The rule without its end (COUNT, UNTIL)."""
    return {name: value for name, value in parts.items() if name not in ("COUNT", "UNTIL")}


def _always(_: datetime) -> bool:
    return True


def _moved(moment: datetime, years: int) -> datetime:
    return moment.replace(year=moment.year + years)


def _rule(parts: dict[str, str], start: datetime) -> rrulebase:
    return rrulestr(_join(parts), dtstart=start)


def _wall_until(value: str, zone: ZoneInfo) -> datetime:
    match = _UNTIL.fullmatch(value)
    if match is None:
        raise ValueError(f"UNTIL={value} must look like 20251231 or 20251231T090000Z")
    day, clock, utc = match.groups()
    try:
        # A date alone ends the series at the end of that day.
        until = datetime.strptime(day + (clock or "235959"), "%Y%m%d%H%M%S")
    except ValueError:
        raise ValueError(f"UNTIL={value} is not a real date and time") from None
    if not utc:
        return until
    try:
        return _wall(until.replace(tzinfo=UTC), zone)
    except OverflowError:  # beyond either end of the calendar on the zone's clock
        return _CALENDAR_END if until.year == MAXYEAR else datetime.min


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone offset, got {moment.isoformat()}")


def _split(rule: str) -> dict[str, str]:
    pairs = (item.partition("=") for item in rule.split(";"))
    return {name: value for name, _, value in pairs}


def _join(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


def _parse(text: str) -> dict[str, str]:
    if len(text) > MAX_RULE_LENGTH:
        raise ValueError(f"the RRULE is too long: at most {MAX_RULE_LENGTH} characters")
    compact = "".join(text.split()).upper().removeprefix("RRULE:")
    if not compact:
        raise ValueError("the RRULE is empty: write e.g. 'FREQ=WEEKLY;BYDAY=MO'")
    if "DTSTART" in compact:
        raise ValueError("the RRULE must not contain DTSTART: the task's due date is its start")
    if ":" in compact:
        raise ValueError("only a single RRULE is supported (no EXDATE, RDATE or other lines)")
    parts: dict[str, str] = {}
    for item in filter(None, compact.split(";")):
        name, equals, value = item.partition("=")
        if not equals or not name or not value:
            raise ValueError(f"RRULE part {item!r} is not NAME=VALUE")
        if name not in _KNOWN_PARTS:
            raise ValueError(f"unknown RRULE part {name!r}")
        if name in parts:
            raise ValueError(f"RRULE part {name} appears twice")
        parts[name] = value
    _check_parts(parts)
    try:
        _rule(_pattern(parts), _ANY_DATE)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise ValueError(f"invalid RRULE {compact!r}: {error}") from error
    return parts


def _check_parts(parts: dict[str, str]) -> None:
    freq = parts.get("FREQ")
    if freq is None:
        raise ValueError("the RRULE needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY)")
    if freq in _TOO_FREQUENT:
        raise ValueError(f"FREQ={freq} is not allowed: a task repeats at most daily")
    if freq not in _FREQUENCIES:
        raise ValueError(f"FREQ={freq} is unknown: use DAILY, WEEKLY, MONTHLY or YEARLY")
    for name in _TIME_OF_DAY_PARTS:
        if name in parts:
            raise ValueError(
                f"{name} is not allowed: a task repeats at most daily, at its due date's time"
            )
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValueError("use either COUNT or UNTIL, not both")
    if "COUNT" in parts:
        _check_number("COUNT", parts["COUNT"], 1, 10_000)
    if "INTERVAL" in parts:
        _check_number("INTERVAL", parts["INTERVAL"], 1, MAX_INTERVAL)
    if "UNTIL" in parts:
        _wall_until(parts["UNTIL"], ZoneInfo("UTC"))
    if "WKST" in parts and parts["WKST"] not in WEEKDAYS:
        raise ValueError(f"WKST={parts['WKST']} must be one of {','.join(WEEKDAYS)}")
    for name, (largest, from_end) in _NUMBER_LISTS.items():
        if name not in parts:
            continue
        for item in parts[name].split(","):
            if _check_number(name, item, -largest if from_end else 1, largest) == 0:
                raise ValueError(f"{name} cannot contain 0")
    if "BYSETPOS" in parts and freq == "DAILY":
        raise ValueError("BYSETPOS needs FREQ=WEEKLY, MONTHLY or YEARLY: a day holds one date")
    if "BYDAY" in parts:
        _check_byday(parts["BYDAY"], freq)
    _check_month_days_exist(parts)


def _check_number(name: str, text: str, lowest: int, highest: int) -> int:
    if _INTEGER.fullmatch(text) is None or not lowest <= int(text) <= highest:
        raise ValueError(f"{name}={text} must be a whole number from {lowest} to {highest}")
    return int(text)


def _check_byday(value: str, freq: str) -> None:
    for item in value.split(","):
        if _BYDAY_ITEM.fullmatch(item) is None:
            raise ValueError(f"BYDAY={value}: {item!r} is not a weekday like MO or -1FR")
        ordinal = _ordinal(item)
        if ordinal is None:
            continue
        if freq not in ("MONTHLY", "YEARLY"):
            raise ValueError(f"BYDAY={item} (a numbered weekday) needs FREQ=MONTHLY or YEARLY")
        if not 1 <= abs(int(ordinal)) <= 53:
            raise ValueError(f"BYDAY={item}: the number must be from 1 to 53 or -53 to -1")


def _ordinal(byday_item: str) -> str | None:
    match = _BYDAY_ITEM.fullmatch(byday_item)
    return None if match is None else match.group(1)


def _check_month_days_exist(parts: dict[str, str]) -> None:
    if "BYMONTH" not in parts or "BYMONTHDAY" not in parts:
        return
    longest = max(_DAYS_IN_MONTH[int(month) - 1] for month in parts["BYMONTH"].split(","))
    if all(abs(int(day)) > longest for day in parts["BYMONTHDAY"].split(",")):
        raise ValueError(
            f"BYMONTHDAY={parts['BYMONTHDAY']} never falls in BYMONTH={parts['BYMONTH']}"
        )


@cache
def _timezone_names() -> frozenset[str]:
    return frozenset(available_timezones())


_PRESET_SHAPES = _preset_shapes()
