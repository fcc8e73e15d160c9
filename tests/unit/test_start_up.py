"""What the one start-up sets for its whole process, and what it leaves unloaded: an SDK that
only some processes use waits for its first use (together they cost an app process about a
third of its start-up CPU)."""

import ast
import gc
import os
import subprocess
import sys
from pathlib import Path

from app.bootstrap import GC_THRESHOLDS, bootstrap
from app.config import Settings
from tests.support.servers import ROOT

LOADED_ON_FIRST_USE = {
    "google.genai": "once a Gemini key is used",
    "mcp": "at the first request to /mcp",
    "authlib": "where single sign-on is configured",
    "grpc": "in Dapr mode",
    "dapr": "in Dapr mode",
}
STARTED = """
import sys
import app.app
from app.config import Settings
from app.web import web_app
web_app(Settings.at_start_up())
print(sorted(sys.modules))
"""


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


def test_an_embedded_app_starts_without_the_sdks_it_loads_on_first_use(tmp_path: Path) -> None:
    started = subprocess.run(
        [sys.executable, "-c", STARTED],
        cwd=ROOT,
        env={**os.environ, "TASKFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}"},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(ast.literal_eval(started.stdout.strip().splitlines()[-1]))
    assert "app.app" in loaded
    assert {name: when for name, when in LOADED_ON_FIRST_USE.items() if name in loaded} == {}
