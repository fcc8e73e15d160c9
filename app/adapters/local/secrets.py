"""Secrets from the process environment (a `.env` file is loaded into it at start-up)."""

import os


class EnvSecrets:
    async def get(self, name: str) -> str | None:
        return os.environ.get(name) or None
