"""Both overlays build, and every object they render meets the schema of its kind.

Built-in kinds: the strict OpenAPI schemas of Kubernetes releases (package kubernetes-validate),
so a misspelt or misplaced field is an error, as it is for `kubectl apply`'s strict field
validation. Custom resources (Dapr, Strimzi): the openAPIV3Schema of the CRD version they
name, from Dapr's Go module and from Strimzi's API jar, with unknown fields refused where the
API server would refuse them.
"""

import re
from collections import Counter

import pytest

from tests.deploy.manifests import (
    NAMESPACE,
    Obj,
    custom_resource_schemas,
    ident,
    kubernetes_schemas,
    kubernetes_versions,
    name_of,
)

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}

EXPECTED_EVERYWHERE = {
    ("Namespace", "taskflow"),
    ("Deployment", "taskflow"),
    ("Deployment", "recurrence"),
    ("Deployment", "reminders"),
    ("Deployment", "audit"),
    ("Deployment", "taskflow-redis"),
    ("Service", "taskflow"),
    ("Service", "taskflow-redis"),
    ("Ingress", "taskflow"),
    ("Job", "taskflow-migrate"),
    ("HorizontalPodAutoscaler", "taskflow"),
    ("PodDisruptionBudget", "taskflow"),
    ("NetworkPolicy", "default-deny"),
    ("Component", "pubsub"),
    ("Component", "statestore"),
    ("Component", "taskdb"),
    ("Component", "secretstore"),
    ("Resiliency", "taskflow-resiliency"),
    ("Configuration", "taskflow-config"),
}
EXPECTED_LOCAL = {
    ("Kafka", "taskflow-kafka"),
    ("KafkaNodePool", "dual-role"),
    ("KafkaTopic", "task-events"),
    ("KafkaTopic", "reminders"),
    ("KafkaTopic", "task-updates"),
    ("KafkaTopic", "taskflow-deadletter"),
    ("StatefulSet", "taskflow-postgres"),
    ("Service", "taskflow-postgres"),
}

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def test_overlay_renders_the_whole_service(overlay: str, objects: tuple[Obj, ...]) -> None:
    present = {(o["kind"], name_of(o)) for o in objects}
    expected = EXPECTED_EVERYWHERE | (EXPECTED_LOCAL if overlay == "local" else set())
    assert expected <= present, f"missing from {overlay}: {sorted(expected - present)}"
    if overlay == "cloud":
        assert not present & EXPECTED_LOCAL, "the cloud overlay runs no Kafka or PostgreSQL"


def test_objects_are_unique_and_in_the_namespace(objects: tuple[Obj, ...]) -> None:
    counts = Counter((o["apiVersion"].split("/")[0], o["kind"], name_of(o)) for o in objects)
    assert not [k for k, n in counts.items() if n > 1], "duplicate objects"
    for obj in objects:
        if obj["kind"] in CLUSTER_SCOPED:
            assert "namespace" not in obj["metadata"], ident(obj)
        else:
            assert obj["metadata"].get("namespace") == NAMESPACE, ident(obj)


def test_names_are_valid(objects: tuple[Obj, ...]) -> None:
    for obj in objects:
        name = name_of(obj)
        assert len(name) <= 253 and DNS_SUBDOMAIN.match(name), ident(obj)
        if obj["kind"] in {"Service", "Namespace", "Deployment", "StatefulSet", "Job"}:
            assert len(name) <= 63 and DNS_LABEL.match(name), ident(obj)


def test_every_object_has_a_schema(objects: tuple[Obj, ...]) -> None:
    crds = custom_resource_schemas()
    for version in kubernetes_versions():
        schemas = kubernetes_schemas(version)
        for obj in objects:
            known = schemas.has(obj["apiVersion"], obj["kind"]) or crds.has(
                obj["apiVersion"], obj["kind"]
            )
            assert known, f"{ident(obj)} ({obj['apiVersion']}): no schema for Kubernetes {version}"


@pytest.mark.parametrize("version", kubernetes_versions())
def test_builtin_objects_match_the_kubernetes_schema(
    objects: tuple[Obj, ...], version: str
) -> None:
    schemas = kubernetes_schemas(version)
    problems = {
        ident(obj): errors
        for obj in objects
        if schemas.has(obj["apiVersion"], obj["kind"]) and (errors := schemas.errors(obj))
    }
    assert not problems, f"Kubernetes {version}: {problems}"


def test_custom_resources_match_their_crds(objects: tuple[Obj, ...]) -> None:
    crds = custom_resource_schemas()
    meta = kubernetes_schemas(kubernetes_versions()[-1]).object_meta()
    problems: dict[str, list[str]] = {}
    checked = 0
    for obj in objects:
        if not crds.has(obj["apiVersion"], obj["kind"]):
            continue
        checked += 1
        errors = crds.errors(obj)
        errors += [f"metadata: {e.message}" for e in meta.iter_errors(obj["metadata"])]
        if errors:
            problems[ident(obj)] = errors
    assert checked >= 10, "the Dapr resources at least are custom resources"
    assert not problems, problems


def test_crd_check_refuses_unknown_and_mistyped_fields() -> None:
    """The CRD schemas are applied strictly: the checks above would catch these."""
    crds = custom_resource_schemas()
    subscription: Obj = {
        "apiVersion": "dapr.io/v2alpha1",
        "kind": "Subscription",
        "metadata": {"name": "s"},
        "spec": {"pubsubname": "pubsub", "topic": "t", "routes": {"default": "/x"}},
        "scopes": ["audit"],
    }
    assert crds.errors(subscription) == []
    assert crds.errors({**subscription, "spec": {**subscription["spec"], "deadLetter": "d"}})
    topic: Obj = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaTopic",
        "metadata": {"name": "t", "labels": {"strimzi.io/cluster": "c"}},
        "spec": {"partitions": 3, "replicas": 1},
    }
    assert crds.errors(topic) == []
    assert crds.errors({**topic, "spec": {"partitions": "three", "replicas": 1}})
    assert crds.errors({**topic, "spec": {"partition": 3, "replicas": 1}})


def test_apply_order_puts_what_pods_need_first(objects: tuple[Obj, ...]) -> None:
    """kubectl applies in this order: sidecars must find their components when they start."""
    kinds = [o["kind"] for o in objects]
    assert kinds[0] == "Namespace"
    first_workload = min(
        i for i, k in enumerate(kinds) if k in {"Deployment", "StatefulSet", "Job"}
    )
    needed = {"Component", "Configuration", "Resiliency", "Subscription", "NetworkPolicy"}
    needed |= {"ServiceAccount", "Role", "RoleBinding", "KafkaTopic", "Kafka"}
    late = sorted({k for k in kinds[first_workload:] if k in needed})
    assert not late, f"created after the first workload: {late}"
