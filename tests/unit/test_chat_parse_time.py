"""The offline parser reads the longest message (4,000 characters) in linear time: messages made
to make its regular expressions backtrack stay well inside 50 ms of CPU time (best of three
runs, so a busy machine does not fail it)."""

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.chat.offline.commands import parse

ZONE = "Europe/Berlin"
NOW = datetime(2025, 11, 19, 23, 30, tzinfo=ZoneInfo(ZONE))
LENGTH = 4000
BUDGET_SECONDS = 0.05


def filled(start: str, unit: str) -> str:
    """`start`, then `unit` over and over, to the longest message there is."""
    return (start + unit * LENGTH)[:LENGTH]


ADVERSARIAL = {
    "counts that read as 'an d'": filled("remind me ", "and "),
    "commas": filled("add ", ", "),
    "hashtags": filled("add ", "#a "),
    "title edges": filled("add x", " and."),
    "polite endings": filled("x", " please."),
    "thanks": filled("add x", ", thanks"),
    "tags": filled("tag ", "of, "),
    "spaces": "add " + " " * (LENGTH - 5) + "x",
    "digits": filled("add ", "1"),
    "repeats": filled("", "every "),
    "times": filled("add ", "at 5 "),
    "clock times": filled("", "5:30 "),
    "offsets": filled("add x remind me ", "1 h "),
    "weekdays": filled("add x every ", "monday and "),
    "quotes": filled("add ", '"a '),
    "one word": "x" * LENGTH,
    "moves": filled("move ", "a to "),
    "ids": filled("delete task ", "1 and "),
}


def cpu_seconds(message: str) -> float:
    started = time.process_time()
    parse(message, NOW, ZONE)
    return time.process_time() - started


@pytest.mark.parametrize("message", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_a_long_message_is_parsed_within_the_budget(message: str) -> None:
    assert len(message) == LENGTH
    assert min(cpu_seconds(message) for _ in range(3)) < BUDGET_SECONDS
