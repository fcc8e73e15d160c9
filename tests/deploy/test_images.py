"""The two Dockerfiles and .dockerignore, and the app image's start command run for real.

No Docker engine exists here: the Dockerfiles are read (pinned bases, non-root user, health
check, the ports and entries the manifests expect), and the app image's production command
is started from the repository with the image's own environment, serving a stand-in
frontend bundle and the API on one port.
"""

import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.manifests import (
    DAPR_APPS,
    PROCESSORS,
    ROOT,
    Dockerfile,
    env_of,
    exec_form,
    get,
    parse_dockerfile,
    render,
)

APP = ROOT / "Dockerfile.app"
PROCESSORS_FILE = ROOT / "Dockerfile.processors"


@pytest.fixture(scope="module", params=[APP, PROCESSORS_FILE], ids=["app", "processors"])
def dockerfile(request: pytest.FixtureRequest) -> Dockerfile:
    path: Path = request.param
    return parse_dockerfile(path)


def test_base_images_are_pinned(dockerfile: Dockerfile) -> None:
    stage_names = {s.name for s in dockerfile.stages if s.name}
    for stage in dockerfile.stages:
        image = dockerfile.resolve(stage.base)
        if image in stage_names:
            continue
        assert "$" not in image, f"FROM {stage.base}: give the ARG a default"
        repository, _, tag = image.partition("@")[0].rpartition("/")[2].partition(":")
        assert tag and tag != "latest", f"FROM {image}: pin a version"
        assert re.match(r"^\d+\.\d+\.\d+", tag), f"FROM {image}: a full version, not {tag}"
        assert repository in {"python", "node"}, f"FROM {image}: official images only"


def test_final_stage_runs_as_non_root(dockerfile: Dockerfile) -> None:
    users = dockerfile.final.all("USER")
    assert users, "the final stage sets USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root user (runAsNonRoot checks it)"
    for objs in (render("local"), render("cloud")):
        for name in DAPR_APPS:
            pod = get(objs, "Deployment", name)["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsUser"] == int(uid), name


def test_final_stage_has_no_build_tools(dockerfile: Dockerfile) -> None:
    final = dockerfile.final
    copies = " ".join(final.all("COPY"))
    assert "--from=node" not in copies, "Node.js stays in the build stage"
    assert not any("pip install" in run or "uv " in run for run in final.all("RUN"))
    assert "/opt/venv/bin" in env_of(final)["PATH"]


def _port_and_health(dockerfile: Dockerfile) -> tuple[int, str]:
    exposed = [int(p.split("/")[0]) for p in dockerfile.final.all("EXPOSE")]
    assert len(exposed) == 1
    checks = dockerfile.final.all("HEALTHCHECK")
    assert len(checks) == 1
    return exposed[0], checks[0]


def test_health_check_probes_the_live_endpoint(dockerfile: Dockerfile) -> None:
    port, check = _port_and_health(dockerfile)
    assert "CMD" in check and f"127.0.0.1:{port}/health/live" in check
    assert re.search(r"--start-period=\d+s", check) and re.search(r"--timeout=\d+s", check)


def test_app_image_matches_the_app_manifests() -> None:
    app = parse_dockerfile(APP)
    port, _ = _port_and_health(app)
    assert port == DAPR_APPS["taskflow"]
    env = env_of(app.final)
    assert env["GRANIAN_PORT"] == str(port) and env["GRANIAN_HOST"] == "0.0.0.0"
    assert exec_form(app.final.all("CMD")[-1]) == ["granian", "--factory", "app.app:app"]
    # The frontend is compiled in the build stage, with Node that the final stage lacks.
    build = next(s for s in app.stages if s.name == "build")
    runs = " ".join(build.all("RUN"))
    assert "reflex export --frontend-only --no-zip" in runs
    assert "test -f .web/build/client/index.html" in runs
    assert "uv sync --frozen --no-default-groups --group app " in runs


def test_app_image_uses_reflex_settings_that_exist() -> None:
    """The image sets Reflex's variables by name: a Reflex that renames one fails here."""
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    env = env_of(parse_dockerfile(APP).final)
    names = {
        environment.REFLEX_ENV_MODE.name,
        environment.REFLEX_SKIP_COMPILE.name,
        environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.name,
        environment.REFLEX_USE_GRANIAN.name,
        environment.REFLEX_DIR.name,
        environment.REFLEX_STATES_WORKDIR.name,
        environment.REFLEX_UPLOADED_FILES_DIR.name,
    }
    assert names <= set(env), names - set(env)
    assert env[environment.REFLEX_ENV_MODE.name] == "prod"
    for name in names:
        if env[name].startswith("/"):
            assert env[name].startswith("/tmp/"), f"{name}: the root file system is read-only"
    assert get_config().app_name == "app", "CMD serves app.app:app"


def test_processors_image_entry_takes_the_processor_name() -> None:
    processors = parse_dockerfile(PROCESSORS_FILE)
    port, _ = _port_and_health(processors)
    assert port == DAPR_APPS["recurrence"]
    assert exec_form(processors.final.all("ENTRYPOINT")[-1]) == ["python", "-m", "processors"]
    assert exec_form(processors.final.all("CMD")[-1])[0] in PROCESSORS
    # Its own dependency group: none of the app's UI, chat or MCP packages.
    build = next(s for s in processors.stages if s.name == "build")
    assert "uv sync --frozen --no-default-groups --group processors " in " ".join(build.all("RUN"))
    for objs in (render("local"), render("cloud")):
        for name in PROCESSORS:
            container = get(objs, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]
            assert container["args"] == [name]
            assert "command" not in container, "the image's ENTRYPOINT chooses the program"


def test_dockerignore_lets_in_only_the_service() -> None:
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "an allow-list: nothing gets in unless named"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    assert {"pyproject.toml", "uv.lock", "app", "processors", "alembic", "alembic.ini"} <= allowed
    assert not allowed & {".venv", ".git", ".web", ".env", ".data", "tests", ".cache"}
    for name in ("pyproject.toml", "uv.lock", "app", "processors", "rxconfig.py"):
        assert (ROOT / name).exists(), name
    for path in (APP, PROCESSORS_FILE):
        for stage in parse_dockerfile(path).stages:
            for copy in stage.all("COPY"):
                if "--from=" in copy:
                    continue
                for source in shlex.split(copy)[:-1]:
                    top = source.split("/")[0]
                    assert source == "." or top in allowed, f"{path.name}: COPY {source}"


# --- The production command, run from the repository -------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        body = response.read().decode("utf-8", "replace")
        return int(response.status), response.headers.get("content-type", ""), body


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Dockerfile.app's CMD and ENV, with /opt/venv and /tmp mapped onto this machine."""
    image = parse_dockerfile(APP)
    tmp = tmp_path_factory.mktemp("app-image")
    web = tmp / "web"
    (web / "build" / "client").mkdir(parents=True)
    (web / "build" / "client" / "index.html").write_text(
        "<!doctype html><title>TaskFlow</title><p>compiled frontend</p>"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REFLEX_", "__REFLEX_", "GRANIAN_", "TASKFLOW_"))
    }
    for key, value in env_of(image.final).items():
        value = value.replace("/opt/venv/bin", str(ROOT / ".venv" / "bin"))
        value = value.replace("$PATH", os.environ.get("PATH", ""))
        env[key] = str(tmp) + value[len("/tmp") :] if value.startswith("/tmp") else value
    port = _free_port()
    env.update(
        GRANIAN_HOST="127.0.0.1",
        GRANIAN_PORT=str(port),
        REFLEX_WEB_WORKDIR=str(web),
        TASKFLOW_DATABASE_URL=f"sqlite:///{tmp / 'taskflow.db'}",
    )
    # The database the migration Job would have prepared (same image, same command).
    job = get(render("local"), "Job", "taskflow-migrate")["spec"]["template"]["spec"]
    migrate = job["containers"][0]["command"]
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / migrate[0]), *migrate[1:]],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    command = exec_form(image.final.all("CMD")[-1])
    command[0] = str(ROOT / ".venv" / "bin" / command[0])
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _get(f"{base}/health/live")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        f"the app did not start:\n{(tmp / 'server.log').read_text()[-3000:]}"
                    )
                time.sleep(0.5)
        yield base
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        proc.wait()
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_app_command_serves_the_frontend_and_the_api_on_one_port(app_server: str) -> None:
    status, kind, body = _get(f"{app_server}/")
    assert status == 200 and "text/html" in kind and "compiled frontend" in body
    status, kind, _ = _get(f"{app_server}/health/live")
    assert status == 200 and "json" in kind
    # Open without credentials: what the sign-in page asks first.
    status, kind, body = _get(f"{app_server}/api/auth/status")
    assert status == 200 and "json" in kind and "needs_first_user" in body
