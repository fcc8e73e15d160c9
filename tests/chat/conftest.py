"""The API, in this process, with a Gemini key, pointed at the local fake Gemini server."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.chat.gemini_server import FakeGemini
from tests.support.api import api_client
from tests.support.databases import migrated_sqlite_url

GEMINI_TIMEOUT_SECONDS = 2.0


@pytest.fixture(scope="session")
def gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as server:
        yield server


# Module scope: the key stays in the environment only while these tests run.
@pytest.fixture(scope="module")
def api(gemini: FakeGemini, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with api_client(
        migrated_sqlite_url(Path(tmp_path_factory.mktemp("gemini"))),
        GEMINI_API_KEY="test-key",
        GEMINI_BASE_URL=gemini.url,
        GEMINI_MODEL="gemini-test",
        GEMINI_TIMEOUT_SECONDS=str(GEMINI_TIMEOUT_SECONDS),
    ) as client:
        yield client
