"""Fixtures of the contract tier: a client of the API, in this process, on each database."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import AppClient, api_client
from tests.support.databases import migrated_database
from tests.support.delivery import Clock


@pytest.fixture(scope="session")
def client(database_url: str) -> Iterator[AppClient]:
    """A client of the API under test (over ASGI); one per backend session."""
    with api_client(database_url) as session:
        yield session


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of each kind for this test alone (accounts start from none)."""
    with migrated_database(request.param, tmp_path, "taskflow_accounts") as url:
        yield url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def first_run(fresh_database: str, clock: Clock) -> Iterator[AppClient]:
    """A client of a fresh install, no user yet, on the test's own database and clock."""
    with api_client(fresh_database, clock, signed_in=False) as session:
        yield session


@pytest.fixture
def admin_api(fresh_database: str, clock: Clock) -> Iterator[AppClient]:
    """A client signed in as the test admin, on the test's own database and clock."""
    with api_client(fresh_database, clock) as session:
        yield session
