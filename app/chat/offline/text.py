"""Text that recognised phrases are taken out of, and the words for small numbers."""

import re
from collections import defaultdict

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
# A count written in digits or in words ("2", "two", "a").
NUMBER = r"(?:\d{1,4}|" + "|".join(NUMBER_WORDS) + r")"

ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": -1,
    "final": -1,
}
ORDINAL = r"(?:" + "|".join(ORDINALS) + r")"


def number(text: str) -> int:
    cleaned = text.strip().lower()
    return int(cleaned) if cleaned.isdigit() else NUMBER_WORDS[cleaned]


def pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE)


def groups(match: re.Match[str]) -> dict[str, str]:
    """The named groups of `match`; a group that did not take part (or does not exist) is ""."""
    return defaultdict(str, match.groupdict(default=""))


def squash(text: str) -> str:
    return " ".join(text.split())


class Phrase:
    """A message being read: each phrase taken out leaves a gap, the rest is what is left."""

    def __init__(self, text: str) -> None:
        self.text = squash(text)

    def take(self, regex: re.Pattern[str]) -> re.Match[str] | None:
        match = regex.search(self.text)
        if match is not None:
            self.text = f"{self.text[: match.start()]} {self.text[match.end() :]}"
        return match

    def take_all(self, regex: re.Pattern[str]) -> list[re.Match[str]]:
        """Take every match of `regex` out, in one pass."""
        found: list[re.Match[str]] = []

        def gap(match: re.Match[str]) -> str:
            found.append(match)
            return " "

        self.text = regex.sub(gap, self.text)
        return found

    def rest(self) -> str:
        return squash(self.text)
