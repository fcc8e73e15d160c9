"""Both images built for real without a Docker engine, and the app image run.

scripts/deploy-image-build.sh builds Dockerfile.app and Dockerfile.processors with buildah
(Debian's package) on stand-in base images made from Debian and npm packages, in a private
store under the cache directory. The app image then runs (buildah run, host network): its
migration command prepares a database and its start command serves the compiled frontend
and the API on one port, as the non-root user of the image.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.deploy.manifests import DAPR_APPS, ROOT
from tests.support.servers import CACHE

SCRIPT = ROOT / "scripts" / "deploy-image-build.sh"


def _buildah(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    store = CACHE / "deploy" / "images"
    return subprocess.run(
        [
            "buildah",
            "--root",
            str(store / "storage"),
            "--runroot",
            str(store / "run"),
            "--storage-driver",
            "overlay",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "TMPDIR": str(store / "tmp")},
    )


@pytest.fixture(scope="module")
def images() -> dict[str, str]:
    """name -> image id of each image built from the repository as it is."""
    proc = subprocess.run(
        [str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False
    )
    if proc.returncode == 3:
        pytest.skip("buildah and debootstrap are missing and cannot be installed here")
    assert proc.returncode == 0, proc.stderr[-5000:]
    built = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if line.strip())
    assert set(built) == {"app", "processors"}
    return built


def _config(image: str) -> dict[str, Any]:
    proc = _buildah("inspect", "--type", "image", f"localhost/taskflow/{image}:build-test")
    assert proc.returncode == 0, proc.stderr
    config: dict[str, Any] = json.loads(proc.stdout)["Docker"]["config"]
    return config


@pytest.mark.parametrize("image", ["app", "processors"])
def test_image_runtime_configuration(images: dict[str, str], image: str) -> None:
    config = _config(image)
    port = DAPR_APPS["taskflow" if image == "app" else "recurrence"]
    assert config["User"] == "10001:10001"
    assert set(config["ExposedPorts"]) == {f"{port}/tcp"}
    assert config["Healthcheck"]["Test"][0] == "CMD"
    assert f"127.0.0.1:{port}/health/live" in " ".join(config["Healthcheck"]["Test"])
    assert config["WorkingDir"] == "/app"
    if image == "processors":
        assert config["Entrypoint"] == ["python", "-m", "processors"]


def _in_image(image: str, script: str) -> str:
    container = f"taskflow-test-{image}-{os.getpid()}"
    made = _buildah(
        "from", "--pull-never", "--name", container, f"localhost/taskflow/{image}:build-test"
    )
    assert made.returncode == 0, made.stderr
    try:
        proc = _buildah(
            "run",
            "--isolation",
            "chroot",
            "--user",
            "10001:10001",
            container,
            "--",
            "sh",
            "-c",
            script,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout
    finally:
        _buildah("rm", container)


def test_app_image_holds_the_compiled_frontend_and_no_build_tools(images: dict[str, str]) -> None:
    out = _in_image(
        "app",
        "test -f /app/.web/build/client/index.html && echo frontend;"
        " test -e /app/.web/node_modules || echo no-node-modules;"
        " command -v node || echo no-node;"
        " command -v uv || echo no-uv;"
        ' grep -q \'"EVENT": "ws://localhost/_event"\' /app/.web/env.json && echo api-url;'
        " touch /app/x 2>/dev/null || echo app-read-only",
    )
    for expected in ("frontend", "no-node-modules", "no-node", "no-uv", "api-url", "app-read-only"):
        assert expected in out, out


def test_processors_image_holds_the_processors(images: dict[str, str]) -> None:
    out = _in_image(
        "processors",
        "python -c 'import processors, processors.audit, processors.recurrence,"
        ' processors.reminders; print("importable")\'',
    )
    assert "importable" in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def app_container(
    images: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    container = f"taskflow-test-serve-{os.getpid()}"
    made = _buildah(
        "from", "--pull-never", "--name", container, "localhost/taskflow/app:build-test"
    )
    assert made.returncode == 0, made.stderr
    port = _free_port()
    env = ["--env", "TASKFLOW_DATABASE_URL=sqlite:////tmp/taskflow.db"]
    run = ["run", "--isolation", "chroot", "--network", "host", "--user", "10001:10001", *env]
    log = tmp_path_factory.mktemp("image-run") / "server.log"
    proc: subprocess.Popen[str] | None = None
    try:
        # The migration Job's command, then the image's own CMD.
        migrated = _buildah(*run, container, "--", "alembic", "upgrade", "head", timeout=300)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        store = CACHE / "deploy" / "images"
        command = [
            "buildah",
            "--root",
            str(store / "storage"),
            "--runroot",
            str(store / "run"),
            "--storage-driver",
            "overlay",
            *run,
            "--env",
            f"GRANIAN_PORT={port}",
            container,
            "--",
            *_config("app")["Cmd"],
        ]
        with log.open("w") as out:
            proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/health/live", timeout=5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the image did not serve:\n{log.read_text()[-3000:]}")
                time.sleep(1)
        yield base
    finally:
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
            except ProcessLookupError:
                proc.wait()
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        _buildah("rm", container)


def test_app_image_serves_the_ui_and_the_api_on_one_port(app_container: str) -> None:
    with urllib.request.urlopen(f"{app_container}/", timeout=10) as response:
        page = response.read().decode()
        assert response.status == 200 and "text/html" in response.headers["content-type"]
    assert "<title>TaskFlow</title>" in page, "the frontend compiled into the image"
    with urllib.request.urlopen(f"{app_container}/health/live", timeout=10) as response:
        assert response.status == 200
    # A fresh install: no user yet, so the sign-in page offers the first signup.
    with urllib.request.urlopen(f"{app_container}/api/auth/status", timeout=10) as response:
        assert response.status == 200 and json.loads(response.read())["needs_first_user"]
