"""Tags are short words: trimmed, lower-cased, unique, at most MAX_TAGS per task."""

import re

MAX_TAGS = 50
MAX_TAG_LENGTH = 50
_TAG = re.compile(r"^[^\W_][\w\-.:/]*$")


def normalize_tag(raw: str) -> str:
    tag = raw.strip().lower().removeprefix("#")
    if not tag:
        raise ValueError("a tag cannot be empty")
    if len(tag) > MAX_TAG_LENGTH:
        raise ValueError(f"a tag is at most {MAX_TAG_LENGTH} characters: {tag[:20]}…")
    if not _TAG.match(tag):
        raise ValueError(
            f"tag {tag!r} must start with a letter or digit"
            " and hold only letters, digits, - _ . : /"
        )
    return tag


def normalize_tags(raw: list[str]) -> list[str]:
    tags = list(dict.fromkeys(normalize_tag(tag) for tag in raw))
    if len(tags) > MAX_TAGS:
        raise ValueError(f"a task has at most {MAX_TAGS} tags, got {len(tags)}")
    return tags
