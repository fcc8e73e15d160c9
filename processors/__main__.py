"""`python -m processors <recurrence|reminders|audit|notifier>`: serve one processor on
HOST:PORT."""

import os
import sys

import uvicorn

from app.config import Settings
from processors.service import NAMES, create_processor_app


def main(argv: list[str]) -> None:
    name = next((role for role in NAMES if argv[1:] == [role]), None)
    if name is None:
        sys.exit(f"usage: python -m processors <{'|'.join(NAMES)}>")
    uvicorn.run(
        create_processor_app(name, Settings.at_start_up()),
        host=os.environ.get("HOST", "0.0.0.0"),
        port=int(os.environ.get("PORT", "8000")),
        log_level="info",
    )


if __name__ == "__main__":
    main(sys.argv)
