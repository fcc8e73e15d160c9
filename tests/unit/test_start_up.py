"""What the one start-up sets for its whole process."""

import gc
from pathlib import Path

from app.bootstrap import GC_THRESHOLDS, bootstrap
from app.config import Settings


def test_a_started_process_collects_young_objects_every_10_000_allocations(
    tmp_path: Path,
) -> None:
    """Not CPython's 700: with a thousand tabs open, a change's short-lived objects outlived
    the young collections and a full one stopped the app every 2 s (docs/benchmarks.md)."""
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        settings = Settings(
            runtime="local", database_url=f"sqlite:///{tmp_path / 'db'}", timezone="UTC"
        )
        bootstrap(settings)
        assert gc.get_threshold() == GC_THRESHOLDS == (10_000, 10, 10)
    finally:
        gc.set_threshold(*before)
