"""How the UI words times: "in 2 h", "overdue 1 d", "Mon 9 Mar 2026, 09:00"."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def span(delta: timedelta) -> str:
    """A positive span in its most readable unit, rounded: "50 min", "3 h", "12 d", "2 w"."""
    minutes = delta / timedelta(minutes=1)
    if minutes < 59.5:
        return f"{max(1, round(minutes))} min"
    hours = minutes / 60
    if hours < 23.5:
        return f"{round(hours)} h"
    days = hours / 24
    if days < 13.5:
        return f"{round(days)} d"
    if days < 59.5:
        return f"{round(days / 7)} w"
    if days < 365:
        return f"{round(days / 30.44)} mo"
    return f"{round(days / 365.25)} y"


def relative_due(due: datetime, now: datetime) -> str:
    """ "in 2 h" for the future, "overdue 1 d" for the past, "due now" within a minute."""
    delta = due - now
    if abs(delta) < timedelta(minutes=1):
        return "due now"
    return f"in {span(delta)}" if delta > timedelta(0) else f"overdue {span(-delta)}"


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def wall_clock(moment: datetime, zone: str) -> str:
    """ "Mon 9 Mar 2026, 09:00" on the wall clock of `zone`."""
    seen = local(moment, zone)
    return f"{seen:%a} {seen.day} {seen:%b %Y, %H:%M}"


def input_value(moment: datetime | None, zone: str) -> str:
    """The value of an <input type="datetime-local">: "2026-03-09T09:00"."""
    return "" if moment is None else f"{local(moment, zone):%Y-%m-%dT%H:%M}"


def ago(moment: datetime, now: datetime) -> str:
    delta = now - moment
    return "just now" if delta < timedelta(minutes=1) else f"{span(delta)} ago"
