"""Fixtures shared by the tiers that need a running server."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import fresh_postgres_database, migrate, serve_api


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database of each kind the service runs on."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'taskflow.db'}"
        migrate(url)
        yield url
    else:
        with fresh_postgres_database("taskflow_test") as url:
            migrate(url)
            yield url


@pytest.fixture(scope="session")
def api_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the API served over real HTTP on that database."""
    log = Path(tmp_path_factory.mktemp("logs")) / "api.log"
    with serve_api(database_url, log) as base_url:
        yield base_url
