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
    # How often the reconciliation sweep runs (it also runs once at start-up).
    reconcile_seconds: float = 60.0

    @classmethod
    def from_env(cls) -> "Settings":
        _load_dotenv(ROOT / ".env")
        default_db = f"sqlite:///{ROOT / '.data' / 'taskflow.db'}"
        return cls(
            runtime=os.environ.get("TASKFLOW_RUNTIME", "local"),
            database_url=os.environ.get("TASKFLOW_DATABASE_URL", default_db),
            timezone=os.environ.get("TASKFLOW_TIMEZONE", "UTC"),
            reconcile_seconds=_positive("TASKFLOW_RECONCILE_SECONDS", "60"),
        )


def _positive(name: str, default: str) -> float:
    text = os.environ.get(name, default)
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(f"{name} must be a number of seconds above 0, not {text!r}")
    return value


def _load_dotenv(path: Path) -> None:
    """KEY=VALUE lines; variables already in the environment win."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            os.environ.setdefault(name.strip(), value.strip().strip("'\""))
