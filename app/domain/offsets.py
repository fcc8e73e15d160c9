"""Reminder offsets: how long before the due date a reminder fires."""

import re
from datetime import timedelta

MAX_OFFSET_TEXT = 50
MAX_OFFSET = timedelta(days=365)

_MINUTES_IN = {"week": 7 * 24 * 60, "day": 24 * 60, "hour": 60, "minute": 1}
_UNITS = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "week"),
    **dict.fromkeys(("d", "day", "days"), "day"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hour"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "minute"),
}
_SECOND_UNITS = frozenset({"s", "sec", "secs", "second", "seconds"})
_CALENDAR_UNITS = frozenset({"mo", "month", "months", "y", "yr", "yrs", "year", "years"})
_TERM = re.compile(r"(\d+)\s*([a-z]+)")
_TERMS = re.compile(r"\d+\s*[a-z]+(?:(?:\s*,\s*|\s+and\s+|\s*)\d+\s*[a-z]+)*")
_ISO = re.compile(
    r"P(?:(?P<week>\d+)W)?(?:(?P<day>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hour>\d+)H)?(?:(?P<minute>\d+)M)?(?:(?P<second>\d+)S)?)?"
)
_EXAMPLES = "e.g. '30 minutes', '1 hour', '1 day 2 hours', '1w' or 'PT30M'"


def parse_offset(text: str) -> timedelta:
    if len(text) > MAX_OFFSET_TEXT:
        raise ValueError(f"reminder offset is too long: at most {MAX_OFFSET_TEXT} characters")
    cleaned = text.strip().lower()
    if not cleaned:
        raise ValueError(f"reminder offset is empty: write {_EXAMPLES}")
    if cleaned.startswith("-"):
        raise ValueError(
            f"reminder offset {text.strip()!r} is negative: give how long before the due date"
        )
    minutes = _iso_minutes(cleaned) if cleaned.startswith("p") else _words_minutes(cleaned)
    if minutes == 0:
        raise ValueError("reminder offset must be more than zero")
    if minutes > MAX_OFFSET // timedelta(minutes=1):
        raise ValueError("reminder offset is too large: at most 365 days before the due date")
    return timedelta(minutes=minutes)


def format_offset(delta: timedelta) -> str:
    """Canonical text, largest units first: "1 week", "1 day 2 hours", "30 minutes"."""
    if delta <= timedelta(0) or delta % timedelta(minutes=1):
        raise ValueError(f"a reminder offset is a positive whole number of minutes, got {delta}")
    minutes = delta // timedelta(minutes=1)
    if minutes % _MINUTES_IN["week"] == 0:
        return _amount(minutes // _MINUTES_IN["week"], "week")
    terms = []
    for unit in ("day", "hour", "minute"):
        amount, minutes = divmod(minutes, _MINUTES_IN[unit])
        if amount:
            terms.append(_amount(amount, unit))
    return " ".join(terms)


def _amount(amount: int, unit: str) -> str:
    return f"{amount} {unit}" if amount == 1 else f"{amount} {unit}s"


def _iso_minutes(cleaned: str) -> int:
    duration = cleaned.upper()
    if re.search(r"\d+[YM]", duration.partition("T")[0]):
        raise ValueError(
            f"reminder offset {duration!r} uses years or months, which have no fixed length: "
            "use days or weeks"
        )
    match = _ISO.fullmatch(duration)
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"cannot read reminder offset {duration!r}: write {_EXAMPLES}")
    amounts = {unit: int(value) for unit, value in match.groupdict().items() if value is not None}
    if amounts.pop("second", 0):
        raise ValueError("reminder offsets are counted in minutes at the finest, not seconds")
    return sum(amount * _MINUTES_IN[unit] for unit, amount in amounts.items())


def _words_minutes(cleaned: str) -> int:
    if _TERMS.fullmatch(cleaned) is None:
        if cleaned.isdigit():
            raise ValueError(f"reminder offset {cleaned!r} needs a unit, e.g. '{cleaned} minutes'")
        raise ValueError(f"cannot read reminder offset {cleaned!r}: write {_EXAMPLES}")
    seen: set[str] = set()
    minutes = 0
    for number, word in _TERM.findall(cleaned):
        if word in _SECOND_UNITS:
            raise ValueError("reminder offsets are counted in minutes at the finest, not seconds")
        if word in _CALENDAR_UNITS:
            raise ValueError(
                f"'{word}' has no fixed length: give the reminder offset in days or weeks"
            )
        unit = _UNITS.get(word)
        if unit is None:
            raise ValueError(
                f"unknown unit {word!r} in reminder offset: use minutes, hours, days or weeks"
            )
        if unit in seen:
            raise ValueError(f"reminder offset {cleaned!r} gives {unit}s twice")
        seen.add(unit)
        minutes += int(number) * _MINUTES_IN[unit]
    return minutes
