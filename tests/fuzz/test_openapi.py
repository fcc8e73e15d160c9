"""Fuzz tier: schemathesis drives the served API from its OpenAPI document with every check, so
the document declares what the server really does and no generated request gets a 500."""

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.accounts import admin_token
from tests.support.databases import migrated_database
from tests.support.servers import ROOT, serve_api

CONFIG = Path(__file__).with_name("schemathesis.toml")
MIN_CASES = 1000


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def fuzzed_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The API on a database of its own: the fuzzer deletes and edits whatever ids it guesses."""
    logs = tmp_path_factory.mktemp("fuzz")
    with (
        migrated_database(request.param, logs, "taskflow_fuzz") as url,
        serve_api(url, logs / "api.log") as base_url,
    ):
        yield base_url


def test_every_generated_request_gets_a_declared_answer(fuzzed_api: str) -> None:
    """Signed in as the test admin with a read-write token (the fuzzer may not revoke it)."""
    token = admin_token(fuzzed_api)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            CONFIG,
            "run",
            f"{fuzzed_api}/api/openapi.json",
            "--checks",
            "all",
            # One worker: two threads parsing Python at once can fail with "AST constructor
            # recursion depth mismatch" on Python 3.11 before 3.11.8 (CPython gh-106905).
            "--header",
            f"Authorization: Bearer {token}",
            "--no-color",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    generated = re.search(r"^\s*(\d+) generated", report, re.MULTILINE)
    assert generated is not None, report
    assert int(generated.group(1)) >= MIN_CASES, report
