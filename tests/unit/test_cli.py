"""`python -m app.cli dead-letters ...` on the database TASKFLOW_DATABASE_URL names."""

import asyncio
import json
from pathlib import Path

import pytest

from app import cli
from app.domain.events import REMINDERS
from app.services.dead_letters import DeadLetterService
from tests.support.databases import migrated_sqlite
from tests.support.events import a_message


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DeadLetterService:
    sql = migrated_sqlite(tmp_path)
    monkeypatch.setenv("TASKFLOW_DATABASE_URL", str(sql.engine.url))
    return DeadLetterService(sql, lambda: None)


def test_list_and_replay(service: DeadLetterService, capsys: pytest.CaptureFixture[str]) -> None:
    event = a_message("reminder.scheduled", task_id=3)
    asyncio.run(service.record(REMINDERS, event, "no scheduled_at"))

    assert cli.main(["dead-letters", "list", "--waiting"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    listed = json.loads(line)
    assert (listed["event_id"], listed["topic"], listed["error"]) == (
        event["event_id"],
        REMINDERS,
        "no scheduled_at",
    )

    assert cli.main(["dead-letters", "replay", str(listed["id"])]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "replayed": listed["id"],
        "event_id": event["event_id"],
        "topic": REMINDERS,
    }
    assert cli.main(["dead-letters", "list", "--waiting"]) == 0
    assert capsys.readouterr().out == ""

    assert cli.main(["dead-letters", "replay", str(listed["id"])]) == 1
    assert "replayed at" in capsys.readouterr().err
    assert cli.main(["dead-letters", "replay", "424242"]) == 1
    assert capsys.readouterr().err.strip() == "dead letter 424242 not found"
