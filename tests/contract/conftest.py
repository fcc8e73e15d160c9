"""Fixtures of the contract tier: an HTTP client on the API served over each database."""

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture(scope="session")
def client(api_url: str) -> Iterator[httpx.Client]:
    """A client of the API under test; one per backend session."""
    with httpx.Client(base_url=api_url, timeout=20) as session:
        yield session
