"""What the parser makes of a message: a tool to call on some tasks, a reply to a question the
assistant asked, or something it cannot act on."""

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Target:
    """The tasks a command is about: ids, title words, the task last spoken of ("it"), or every
    task that matches `every` (list_tasks filters)."""

    ids: tuple[int, ...] = ()
    words: str = ""
    last: bool = False
    every: dict[str, Any] | None = None


@dataclass(frozen=True)
class Intent:
    """Call `tool` with `arguments` (plus task_id, once `target` is resolved to tasks)."""

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    target: Target | None = None


@dataclass(frozen=True)
class Answer:
    """A reply to what the assistant asked: yes, no, or which of the tasks it listed."""

    kind: Literal["yes", "no", "choice"]
    choice: int = 0


@dataclass(frozen=True)
class Unclear:
    """Nothing to act on; `reply` says why or what the assistant can do."""

    reply: str


Parsed = Intent | Answer | Unclear
