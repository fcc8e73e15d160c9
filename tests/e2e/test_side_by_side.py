"""`make run` started again, and beside another server from the same checkout: the compiled
frontend is built again only for what changed (here, the port its pages connect to), and a
server starting never deletes the UI states another keeps."""

from pathlib import Path

from tests.e2e.conftest import Product, kept

BUILD = "Creating Production Build"


def test_a_start_builds_only_what_changed_and_leaves_the_others_states_alone(
    tmp_path: Path,
) -> None:
    # The first keeps its port and compiled frontend from run to run (built here on a cold
    # cache only); the second, on a new port, builds in the checkout's .web.
    port, web = kept("side by side")
    first = Product(
        f"sqlite:///{tmp_path / 'first.db'}", tmp_path / "first.log", port=port, web=web
    )
    second = Product(f"sqlite:///{tmp_path / 'second.db'}", tmp_path / "second.log")
    first.start()
    first.stop()
    builds = (tmp_path / "first.log").read_text().count(BUILD)
    first.start()
    try:
        log = (tmp_path / "first.log").read_text()
        assert log.count(BUILD) == builds, f"started again on port {first.port}, it built: {log}"
        with first.client() as client:
            page = client.get("/")
            assert page.status_code == 200 and "<html" in page.text, page.text
        worker = first.workers()[0]
        states = Path(worker.cwd()) / worker.environ()["REFLEX_STATES_WORKDIR"]
        left = states / "kept.pkl"
        left.write_bytes(b"the first server's")
        second.start()
        try:
            assert BUILD in (tmp_path / "second.log").read_text(), "a new port, and no build"
            assert left.exists(), f"starting on port {second.port} emptied {states}"
            for server in (first, second):
                with server.client() as client:
                    assert client.get("/health/ready").status_code == 200
        finally:
            second.stop()
    finally:
        first.stop()
