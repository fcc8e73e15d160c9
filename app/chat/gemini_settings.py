"""What the app knows of Gemini without Google's SDK, which loads only once a key is used: the
secret that holds the key, the settings from the environment, and the failure that hands a
message to the offline assistant."""

import os
from dataclasses import dataclass

API_KEY_SECRET = "GEMINI_API_KEY"
DEFAULT_MODEL = "gemini-2.5-flash"
DEFAULT_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class GeminiSettings:
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls) -> "GeminiSettings":
        return cls(
            model=os.environ.get("GEMINI_MODEL") or DEFAULT_MODEL,
            base_url=os.environ.get("GEMINI_BASE_URL") or None,
            timeout_seconds=float(
                os.environ.get("GEMINI_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS
            ),
        )


class GeminiUnavailable(Exception):
    """Gemini could not answer (timeout, rate limit, server or API error) before any tool ran."""
