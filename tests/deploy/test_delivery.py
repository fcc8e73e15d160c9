"""How the manifests reach a cluster: the deploy workflow, docs/deploy.md and the helper scripts."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import (
    DAPR_APPS,
    GEMINI_SECRET,
    ROOT,
    SECRETS,
    Obj,
    get,
    name_of,
    of_kind,
    render,
)

WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
DOCS = ROOT / "docs" / "deploy.md"
DEPLOY_SCRIPTS = [
    ROOT / "scripts" / "kustomize.sh",
    ROOT / "scripts" / "deploy-schemas.sh",
    ROOT / "scripts" / "deploy-cloud-params.sh",
    ROOT / "scripts" / "deploy-actionlint.sh",
    ROOT / "scripts" / "deploy-image-build.sh",
]


def _workflow() -> dict[str, Any]:
    doc = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(doc, dict)
    # YAML 1.1 reads the key `on` as True.
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def _steps_text(job: Obj) -> str:
    return "\n".join(
        f"{step.get('uses', '')} {yaml.safe_dump(step.get('with', {}))} {step.get('run', '')}"
        for step in job["steps"]
    )


# --- .github/workflows/deploy.yml ---------------------------------------------------------


def test_workflow_passes_actionlint() -> None:
    proc = subprocess.run(
        [str(ROOT / "scripts" / "deploy-actionlint.sh"), str(WORKFLOW)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflow_tests_builds_deploys_and_checks_in_order() -> None:
    workflow = _workflow()
    assert "main" in workflow["on"]["push"]["branches"]
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    jobs = workflow["jobs"]
    assert jobs["build"]["needs"] == "test" and jobs["deploy"]["needs"] == "build"
    assert "make test" in _steps_text(jobs["test"])
    build = _steps_text(jobs["build"])
    for dockerfile in ("Dockerfile.app", "Dockerfile.processors"):
        assert f"file: {dockerfile}" in build
    assert build.count("push: true") == 2
    assert "github.sha" in yaml.safe_dump(jobs["build"]) or "GITHUB_SHA" in build
    deploy = _steps_text(jobs["deploy"])
    order = [
        "scripts/deploy-cloud-params.sh",
        "delete job taskflow-migrate",
        "kubectl apply -k k8s/overlays/cloud",
        "job/taskflow-migrate --for=condition=complete",
        "rollout status",
        "/health/ready",
    ]
    positions = [deploy.find(marker) for marker in order]
    assert all(p >= 0 for p in positions), dict(zip(order, positions, strict=True))
    assert positions == sorted(positions), "deploy steps out of order"
    for app in DAPR_APPS:
        assert app in deploy, f"the rollout of {app} is awaited"


def test_workflow_pins_actions_and_keeps_secrets_out() -> None:
    text = WORKFLOW.read_text()
    for uses in re.findall(r"uses:\s*(\S+)", text):
        ref = uses.partition("@")[2]
        assert ref and ref not in {"main", "master", "latest"}, uses
    for line in text.splitlines():
        if re.search(r"(password|token|key)\s*:", line, re.I) and "secrets." not in line:
            assert "${{" in line or line.strip().startswith("#"), line


# --- docs/deploy.md ---------------------------------------------------------------------


def _section(title: str) -> str:
    text = DOCS.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def _unrolled(commands: str) -> str:
    """Shell commands with each `for VAR in WORDS; do ... done` written out once per word."""

    def unroll(loop: re.Match[str]) -> str:
        name, words, body = loop.groups()
        return "\n".join(
            body.replace("${" + name + "}", word).replace("$" + name, word)
            for word in words.split()
        )

    return re.sub(r"for (\w+) in ([^;\n]+); do\n(.*?)\n\s*done", unroll, commands, flags=re.S)


def _created_secret_keys(section: str) -> dict[str, set[str]]:
    """Secret name -> keys, from the `kubectl create secret generic` commands of a section."""
    created: dict[str, set[str]] = {}
    joined = _unrolled(section.replace("\\\n", " "))
    for match in re.finditer(r"create secret generic (\S+)([^\n]*)", joined):
        created[match.group(1)] = set(re.findall(r"--from-literal=([a-z0-9-]+)=", match.group(2)))
    return created


def _secret_keys_used(objs: tuple[Obj, ...]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}

    def add(name: str, key: str) -> None:
        used.setdefault(name, set()).add(key)

    for obj in objs:
        if obj["kind"] == "Component":
            for item in obj["spec"].get("metadata") or []:
                if "secretKeyRef" in item:
                    add(item["secretKeyRef"]["name"], item["secretKeyRef"]["key"])
        template = obj.get("spec", {}).get("template")
        if obj["kind"] in {"Deployment", "StatefulSet", "Job"} and template:
            annotations = template["metadata"].get("annotations", {})
            for annotation in ("dapr.io/app-token-secret", "dapr.io/api-token-secret"):
                if annotation in annotations:
                    add(annotations[annotation], "token")
            for container in template["spec"]["containers"]:
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        add(ref["name"], ref["key"])
    return used


@pytest.mark.parametrize(("overlay", "section"), [("local", "Minikube"), ("cloud", "Oracle OKE")])
def test_docs_create_every_secret_key_the_overlay_reads(overlay: str, section: str) -> None:
    created = _created_secret_keys(_section(section))
    used = _secret_keys_used(render(overlay))
    for name, keys in used.items():
        assert keys <= created.get(name, set()), (
            f"{section}: {name} lacks {keys - created.get(name, set())}"
        )
    # The gemini key is read by the app through Dapr's secret store, not by a manifest.
    assert created[GEMINI_SECRET] == {"value"}
    for name, keys in created.items():
        assert keys <= SECRETS[name], (
            f"{section}: {name} has keys nobody reads: {keys - SECRETS[name]}"
        )


def test_docs_secret_values_match_the_cluster_services() -> None:
    local = _section("Minikube")
    objs = render("local")
    services = {name_of(s): s for s in of_kind(objs, "Service")}
    postgres = services["taskflow-postgres"]["spec"]["ports"][0]["port"]
    assert f"taskflow-postgres:{postgres}/taskflow" in local
    assert f"host=taskflow-postgres port={postgres}" in local
    kafka = name_of(get(objs, "Kafka", "taskflow-kafka"))
    assert f'kafka-brokers="{kafka}-kafka-bootstrap:9092"' in local
    assert "postgresql+psycopg://" in local and "postgresql+psycopg://" in _section("Oracle OKE")


def test_docs_steps_are_commands_in_order() -> None:
    for title, steps in (
        (
            "Minikube",
            [
                "minikube start",
                "dapr init -k",
                "strimzi-kafka-operator",
                "create secret generic taskflow-secrets",
                "docker build -f Dockerfile.app",
                "kubectl apply -k k8s/overlays/local",
                "job/taskflow-migrate",
                "/health/ready",
            ],
        ),
        (
            "Oracle OKE",
            [
                "oci ce cluster create-kubeconfig",
                "dapr init -k",
                "ingress-nginx",
                "ClusterIssuer",
                "rpk topic create",
                "create secret generic taskflow-secrets",
                "docker push",
                "scripts/deploy-cloud-params.sh",
                "kubectl apply -k k8s/overlays/cloud",
                "/health/ready",
            ],
        ),
    ):
        section = _section(title)
        positions = [section.find(step) for step in steps]
        assert all(p >= 0 for p in positions), (
            f"{title}: {dict(zip(steps, positions, strict=True))}"
        )
        assert positions == sorted(positions), f"{title}: steps out of order"
        assert section.count("```sh") >= 6, f"{title}: each step a command"


def test_docs_pin_the_versions_the_checks_use() -> None:
    text = DOCS.read_text()
    schemas = (ROOT / "scripts" / "deploy-schemas.sh").read_text()
    dapr = re.search(r"^DAPR_VERSION=(\S+)", schemas, re.M)
    strimzi = re.search(r"^STRIMZI_VERSION=(\S+)", schemas, re.M)
    assert dapr and strimzi
    assert text.count(f"--runtime-version {dapr.group(1)}") == 2, "both clusters run that Dapr"
    assert f"strimzi-kafka-operator --version {strimzi.group(1)}" in text
    for issuer in re.findall(
        r"cert-manager.io/cluster-issuer: (\S+)", yaml.safe_dump_all(render("cloud"))
    ):
        assert f"name: {issuer}" in text, "the docs create the issuer the Ingress names"


def test_docs_mention_only_paths_that_exist() -> None:
    for path in set(
        re.findall(r"(?:k8s|dapr-components|scripts|docs)/[\w./-]+\w", DOCS.read_text())
    ):
        assert (ROOT / path).exists(), path


# --- Helper scripts ----------------------------------------------------------------------


@pytest.mark.parametrize("script", DEPLOY_SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_valid_bash(script: Path) -> None:
    assert script.stat().st_mode & 0o111, f"{script.name} is executable"
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)
    assert "set -euo pipefail" in script.read_text()


def test_cloud_params_script_points_the_overlay_at_host_and_images(tmp_path: Path) -> None:
    for part in ("k8s", "dapr-components", "scripts"):
        shutil.copytree(ROOT / part, tmp_path / part)
    script = tmp_path / "scripts" / "deploy-cloud-params.sh"
    app = "fra.ocir.io/tenancy/taskflow/app:0123abc"
    processors = "fra.ocir.io/tenancy/taskflow/processors:0123abc"
    subprocess.run([str(script), "todo.example.org", app, processors], check=True, timeout=30)
    rendered = subprocess.run(
        [str(tmp_path / "scripts" / "kustomize.sh"), str(tmp_path / "k8s/overlays/cloud")],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    objs = [o for o in yaml.safe_load_all(rendered) if o]
    ingress = next(o for o in objs if o["kind"] == "Ingress")
    assert ingress["spec"]["rules"][0]["host"] == "todo.example.org"
    assert ingress["spec"]["tls"][0]["hosts"] == ["todo.example.org"]
    images = {
        name_of(o): o["spec"]["template"]["spec"]["containers"][0]["image"]
        for o in objs
        if o["kind"] in {"Deployment", "Job"}
    }
    assert images["taskflow"] == app and images["taskflow-migrate"] == app
    assert images["recurrence"] == images["reminders"] == images["audit"] == processors
    assert not [o for o in objs if o["kind"] == "ConfigMap"], "params never reach the cluster"
    for bad in (["Not_A_Host", app, processors], ["todo.example.org", "app:latest", processors]):
        proc = subprocess.run([str(script), *bad], capture_output=True, timeout=30, check=False)
        assert proc.returncode == 2, bad
