"""Two `make run` servers from one checkout, on two ports: one starting never deletes what the
other keeps (Reflex empties its states folder as it starts; a second server emptying the
first's folder while that one starts too fails one of them)."""

from pathlib import Path

from tests.e2e.conftest import Product


def test_a_server_starting_beside_another_leaves_the_others_states_alone(tmp_path: Path) -> None:
    first = Product(f"sqlite:///{tmp_path / 'first.db'}", tmp_path / "first.log")
    second = Product(f"sqlite:///{tmp_path / 'second.db'}", tmp_path / "second.log")
    first.start()
    try:
        worker = first.workers()[0]
        # Reflex's own default, where none is given: .states in the working directory.
        states = Path(worker.cwd()) / worker.environ().get("REFLEX_STATES_WORKDIR", ".states")
        kept = states / "kept.pkl"
        kept.write_bytes(b"the first server's")
        second.start()
        try:
            assert kept.exists(), f"starting on port {second.port} emptied {states}"
            for server in (first, second):
                with server.client() as client:
                    assert client.get("/health/ready").status_code == 200
        finally:
            second.stop()
    finally:
        first.stop()
