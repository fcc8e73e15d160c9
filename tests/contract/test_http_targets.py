"""A webhook or ntfy channel to an address inside the server's network (loopback, private,
link-local, the cloud metadata service) is refused when it is made, naming its target, unless
the install allows private targets with TASKFLOW_NOTIFY_ALLOW_PRIVATE; a test sent to a channel
made while they were allowed is refused once they are not."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract.helpers import assert_invalid
from tests.support.api import AppClient, api_client
from tests.support.databases import migrated_database

INSIDE = [
    "http://127.0.0.1:8080/hook",
    "http://10.20.30.40/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:9000/hook",
    "https://[::ffff:192.168.1.1]/hook",
]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("targets")
    with migrated_database(request.param, folder, "taskflow_targets") as url:
        yield url


@pytest.fixture(scope="module")
def guarded(database: str) -> Iterator[AppClient]:
    """The API as installed by default: webhooks to public addresses only."""
    with api_client(database, TASKFLOW_NOTIFY_ALLOW_PRIVATE="0") as client:
        yield client


@pytest.mark.parametrize("target", INSIDE)
def test_a_webhook_inside_the_network_is_refused_naming_its_target(
    guarded: AppClient, target: str
) -> None:
    response = guarded.post("/api/channels", json={"type": "webhook", "target": target})
    assert_invalid(response, "body", "target")
    assert "public internet" in response.text
    assert guarded.get("/api/channels").json() == []


@pytest.mark.parametrize("server", ["http://127.0.0.1:8080", "http://[fd00::1]"])
def test_an_ntfy_server_inside_the_network_is_refused_naming_its_target(
    guarded: AppClient, server: str
) -> None:
    response = guarded.post("/api/channels", json={"type": "ntfy", "target": f"{server}/alerts"})
    assert_invalid(response, "body", "target")
    assert "public internet" in response.text
    assert guarded.get("/api/channels").json() == []


def test_private_targets_are_made_where_allowed_and_not_sent_to_once_they_are_not(
    database: str,
) -> None:
    with api_client(database, TASKFLOW_NOTIFY_ALLOW_PRIVATE="1") as allowing:
        made = []
        for target in INSIDE:
            response = allowing.post("/api/channels", json={"type": "webhook", "target": target})
            assert response.status_code == 201, response.text
            made.append(response.json())
        assert [channel["target"] for channel in made] == INSIDE
    with api_client(database, TASKFLOW_NOTIFY_ALLOW_PRIVATE="0") as guarded:
        for channel in made:
            refused = guarded.post(f"/api/channels/{channel['id']}/test")
            assert refused.status_code == 502, refused.text
            assert "public internet" in refused.json()["detail"]
            assert guarded.delete(f"/api/channels/{channel['id']}").status_code == 204
