"""Settings read once from the environment (and `.env`)."""

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    runtime: str
    database_url: str
    timezone: str
    # A conversation keeps at most this many turns, and fewer beyond this many characters.
    chat_history_turns: int
    chat_history_chars: int

    @classmethod
    def from_env(cls) -> "Settings":
        _load_dotenv(ROOT / ".env")
        default_db = f"sqlite:///{ROOT / '.data' / 'taskflow.db'}"
        return cls(
            runtime=os.environ.get("TASKFLOW_RUNTIME", "local"),
            database_url=os.environ.get("TASKFLOW_DATABASE_URL", default_db),
            timezone=os.environ.get("TASKFLOW_TIMEZONE", "UTC"),
            chat_history_turns=_positive("TASKFLOW_CHAT_HISTORY_TURNS", 12),
            chat_history_chars=_positive("TASKFLOW_CHAT_HISTORY_CHARS", 40_000),
        )


def _positive(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


def _load_dotenv(path: Path) -> None:
    """KEY=VALUE lines; variables already in the environment win."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            os.environ.setdefault(name.strip(), value.strip().strip("'\""))
