"""make run's WORKERS: above 1 the workers need the Redis they share."""

import pytest

from app.config import Settings


def test_several_workers_need_a_redis_url_and_one_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    monkeypatch.setenv("WORKERS", "2")
    with pytest.raises(ValueError, match="WORKERS above 1 needs REFLEX_REDIS_URL"):
        Settings.from_env()
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://:secret@127.0.0.1:26379/0")
    assert Settings.from_env().workers == 2
    monkeypatch.setenv("WORKERS", "1")
    monkeypatch.delenv("REFLEX_REDIS_URL")
    assert Settings.from_env().workers == 1


def test_workers_must_be_a_whole_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKERS", "two")
    with pytest.raises(ValueError, match="WORKERS must be a whole number"):
        Settings.from_env()
