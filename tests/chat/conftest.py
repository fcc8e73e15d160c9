"""The API served over HTTP with a Gemini key, pointed at the local fake Gemini server."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.chat.gemini_server import FakeGemini
from tests.chat.toolset import sqlite_url
from tests.support.servers import serve_api

GEMINI_TIMEOUT_SECONDS = 2.0


@pytest.fixture(scope="session")
def gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as server:
        yield server


@pytest.fixture(scope="session")
def api(gemini: FakeGemini, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = Path(tmp_path_factory.mktemp("gemini"))
    with (
        serve_api(
            sqlite_url(folder),
            folder / "api.log",
            GEMINI_API_KEY="test-key",
            GEMINI_BASE_URL=gemini.url,
            GEMINI_MODEL="gemini-test",
            GEMINI_TIMEOUT_SECONDS=str(GEMINI_TIMEOUT_SECONDS),
        ) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        yield client
