"""Fixtures of the contract tier: a client of the API, in this process, on each database."""

from collections.abc import Iterator

import pytest

from tests.support.api import AppClient, api_client


@pytest.fixture(scope="session")
def client(database_url: str) -> Iterator[AppClient]:
    """A client of the API under test (over ASGI); one per backend session."""
    with api_client(database_url) as session:
        yield session
