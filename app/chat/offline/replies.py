"""What the offline assistant says about what it did: "Added 'Pay rent', due Dec 1, every
month, high priority"."""

import re
from datetime import datetime
from typing import Any

from app.chat.offline.when import DEFAULT_TIME, WEEKDAY_NAMES
from app.domain.offsets import AT_DUE_TIME, timing
from app.domain.recurrence import WEEKDAYS

Json = dict[str, Any]

_DAY_NAMES = {code: name.capitalize() for code, name in zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)}
_UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_PRESETS = {"daily": "every day", "weekly": "every week", "monthly": "every month"}
_NTH = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_NTH_DAY = re.compile(r"(?P<n>[+-]?\d{1,2})(?P<day>MO|TU|WE|TH|FR|SA|SU)")


def describe(tool: str, arguments: Json, result: Json, now: datetime) -> str:
    """One sentence about one tool call and its result."""
    if "error" in result:
        return f"That didn't work: {result['error']}."
    if tool == "delete_tasks":
        names = [f"'{task['title']}'" for task in result["deleted"]]
        return f"Deleted {_and(names)}."
    task: Json = result.get("task") or result.get("deleted") or {}
    name = f"'{task.get('title', '')}'"
    match tool:
        case "add_task":
            return f"Added {', '.join([name, *details(task, now)])}."
        case "complete_task":
            repeats = repetition(task)
            then = f"; it repeats {repeats}, so the next one follows" if repeats else ""
            return f"Completed {name}{then}."
        case "delete_task":
            return f"Deleted {name}."
        case "set_priority":
            return f"{name} is now {task['priority']} priority."
        case "add_tags":
            return f"Tagged {name} with {hashtags(arguments['tags'])}."
        case "remove_tags":
            return f"Removed {hashtags(arguments['tags'])} from {name}."
        case "update_task":
            return f"Updated {name}: {', '.join(_changes(arguments, task, now))}."
        case "get_task":
            return task_line(task, now, detailed=True)
        case "add_reminder":
            reminder = result["reminder"]
            when = due_text(reminder["scheduled_at"], now)
            return f"I'll remind you {_timing_of_due(reminder['reminder_offset'])} ({when})."
        case "list_tasks":
            return task_list(result, arguments, now)
        case "list_reminders":
            return reminder_list(result["reminders"], now)
    return "Done."


def details(task: Json, now: datetime) -> list[str]:
    found = []
    if task.get("due_date"):
        found.append(f"due {due_text(task['due_date'], now)}")
    repeats = repetition(task)
    if repeats:
        found.append(repeats)
    if task.get("priority") in ("high", "low"):
        found.append(f"{task['priority']} priority")
    if task.get("tags"):
        found.append(hashtags(task["tags"]))
    if task.get("reminder_offset"):
        found.append(f"reminder {timing(task['reminder_offset'])}")
    return found


def task_line(task: Json, now: datetime, detailed: bool = False) -> str:
    parts = [f"#{task['id']} {task['title']}", *details(task, now)]
    if task.get("status") == "completed":
        parts.append("completed")
    line = ", ".join(parts)
    if detailed and task.get("description"):
        line += f". {task['description']}"
    return line


def task_list(result: Json, arguments: Json, now: datetime) -> str:
    tasks: list[Json] = result["tasks"]
    if not tasks:
        return "No tasks match that." if arguments else "You have no tasks."
    count = result["total"]
    heading = f"{count} task{'s' if count != 1 else ''}"
    if count > len(tasks):
        heading += f" (the first {len(tasks)} shown)"
    return f"{heading}:\n" + "\n".join(f"• {task_line(task, now)}" for task in tasks)


def reminder_list(reminders: list[Json], now: datetime) -> str:
    if not reminders:
        return "There are no reminders."
    lines = [
        f"• task #{item['task_id']}: {timing(item['reminder_offset'])}, "
        f"{due_text(item['scheduled_at'], now)} ({item['status']})"
        for item in reminders
    ]
    return "Reminders:\n" + "\n".join(lines)


def due_text(iso: str, now: datetime) -> str:
    """ "today", "tomorrow at 5 PM", "Dec 1", "Jan 5, 2027 at 9:30 AM", on `now`'s clock."""
    moment = datetime.fromisoformat(iso).astimezone(now.tzinfo)
    days = (moment.date() - now.date()).days
    if days == 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    else:
        day = f"{moment:%b} {moment.day}"
        if moment.year != now.year:
            day += f", {moment.year}"
    if moment.time() == DEFAULT_TIME:
        return day
    clock = f"{moment.hour % 12 or 12}{f':{moment.minute:02}' if moment.minute else ''}"
    return f"{day} at {clock} {'PM' if moment.hour >= 12 else 'AM'}"


def repetition(task: Json) -> str:
    recurrence = task.get("recurrence")
    if recurrence in _PRESETS:
        return _PRESETS[recurrence]
    if recurrence == "custom" and task.get("rrule"):
        return describe_rule(task["rrule"])
    return ""


def describe_rule(rule: str) -> str:
    """ "FREQ=MONTHLY;BYDAY=-1FR" -> "every last Friday of the month"."""
    parts = dict(item.partition("=")[::2] for item in rule.split(";"))
    unit = _UNITS.get(parts.get("FREQ", ""), "")
    interval = int(parts.get("INTERVAL", "1"))
    every = f"every {unit}" if interval == 1 else f"every {interval} {unit}s"
    days = parts.get("BYDAY", "")
    if unit == "week" and days == "MO,TU,WE,TH,FR" and interval == 1:
        text = "every weekday"
    elif unit == "week" and days == "SA,SU" and interval == 1:
        text = "every weekend"
    elif unit == "week" and days:
        names = _and([_DAY_NAMES.get(day, day) for day in days.split(",")])
        text = f"every {names}" if interval == 1 else f"{every} on {names}"
    elif unit == "month" and (nth_day := _NTH_DAY.fullmatch(days)):
        nth = _NTH.get(int(nth_day["n"]), nth_day["n"])
        text = f"every {nth} {_DAY_NAMES[nth_day['day']]} of the month"
    elif unit == "month" and parts.get("BYMONTHDAY", "").lstrip("-").isdigit():
        day = int(parts["BYMONTHDAY"])
        text = f"{every} on the {'last day' if day == -1 else ordinal(day)}"
    else:
        text = every
    if "COUNT" in parts:
        text += f", {parts['COUNT']} times"
    if "UNTIL" in parts:
        until = parts["UNTIL"]
        text += f", until {until[:4]}-{until[4:6]}-{until[6:8]}"
    return text


def ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def hashtags(tags: list[str]) -> str:
    return ", ".join(f"#{tag.lstrip('#').lower()}" for tag in tags)


def _changes(arguments: Json, task: Json, now: datetime) -> list[str]:
    changes = []
    if "title" in arguments:
        changes.append(f"renamed to '{task['title']}'")
    if "due_date" in arguments:
        due = task.get("due_date")
        changes.append(f"due {due_text(due, now)}" if due else "no due date")
    if "recurrence" in arguments or "rrule" in arguments:
        repeats = repetition(task)
        changes.append(f"repeats {repeats}" if repeats else "does not repeat")
    if "description" in arguments:
        changes.append("description set")
    if arguments.get("status") == "pending":
        changes.append("reopened")
    for name in ("priority", "tags", "reminder_offset", "repeat_from"):
        if name in arguments:
            changes.append(f"{name.replace('_', ' ')} {task.get(name)}")
    return changes or ["nothing changed"]


def _timing_of_due(offset: str) -> str:
    return "when it's due" if offset == AT_DUE_TIME else f"{offset} before it's due"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
