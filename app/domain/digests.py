"""A user's daily digest: what is overdue and what is still due today on their clock, as each
channel shows it (mail subject and bodies, the lines of an ntfy message, a webhook's JSON)."""

import html
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

# The event a digest's notification names.
DIGEST_EVENT = "digest.daily"
# Tasks listed by name in each part of a digest; the counts tell the rest.
DIGEST_LISTED = 20


class DigestItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    task_id: int
    title: str
    due_date: datetime


class Digest(BaseModel):
    """One user's digest of one local day. The lists hold at most DIGEST_LISTED tasks each,
    the soonest due first; the counts are all of them."""

    model_config = ConfigDict(frozen=True)

    day: date
    time_zone: str
    overdue: list[DigestItem]
    due_today: list[DigestItem]
    overdue_count: int
    due_today_count: int

    @property
    def empty(self) -> bool:
        return self.overdue_count == 0 and self.due_today_count == 0


def summary(digest: Digest) -> str:
    """'2 overdue, 3 due today'."""
    return f"{digest.overdue_count} overdue, {digest.due_today_count} due today"


def digest_subject(digest: Digest) -> str:
    return f"TaskFlow: {summary(digest)}"


def _when(digest: Digest, item: DigestItem) -> str:
    """The due time on the user's clock: the time alone today, the date too before today."""
    local = item.due_date.astimezone(ZoneInfo(digest.time_zone))
    if local.date() == digest.day:
        return f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _parts(digest: Digest) -> list[tuple[str, list[DigestItem], int]]:
    return [
        (heading, items, count)
        for heading, items, count in (
            ("Overdue", digest.overdue, digest.overdue_count),
            ("Due today", digest.due_today, digest.due_today_count),
        )
        if count
    ]


def digest_lines(digest: Digest) -> list[str]:
    """The digest as plain text lines: a heading per part, a task a line."""
    zone = ZoneInfo(digest.time_zone)
    lines = [f"{digest.day:%A} {digest.day.day} {digest.day:%B %Y} ({zone.key})"]
    for heading, items, count in _parts(digest):
        lines += ["", f"{heading} ({count}):"]
        lines += [f"- {_when(digest, item)}  {item.title}" for item in items]
        if count > len(items):
            lines.append(f"- and {count - len(items)} more")
    return lines


def digest_html(digest: Digest) -> str:
    parts = [
        f"<h2>{html.escape(summary(digest))}</h2>",
        f"<p>{digest.day:%A} {digest.day.day} {digest.day:%B %Y} "
        f"({html.escape(digest.time_zone)})</p>",
    ]
    for heading, items, count in _parts(digest):
        rows = "".join(
            f"<li>{html.escape(_when(digest, item))} {html.escape(item.title)}</li>"
            for item in items
        )
        more = f"<li>and {count - len(items)} more</li>" if count > len(items) else ""
        parts.append(f"<h3>{heading} ({count})</h3><ul>{rows}{more}</ul>")
    return "<!DOCTYPE html>\n<html><body>" + "".join(parts) + "</body></html>\n"


def digest_json(digest: Digest) -> dict[str, Any]:
    """What a webhook is sent of the digest (under "digest")."""
    data = digest.model_dump(mode="json")
    return {
        "date": data["day"],
        "time_zone": digest.time_zone,
        "overdue": {"count": digest.overdue_count, "tasks": data["overdue"]},
        "due_today": {"count": digest.due_today_count, "tasks": data["due_today"]},
    }
