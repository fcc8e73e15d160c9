"""The rules every rendered workload keeps, in both overlays.

Dapr annotations on every Deployment, pinned images, requests and limits, non-root and
read-only containers, probes, no secret value in a manifest, Services/Ingress/HPA/PDBs that
point at what exists, and NetworkPolicies that leave no pod of ours unrestricted.
"""

import re
from typing import Any

from tests.deploy.manifests import (
    DAPR_APPS,
    SECRETS,
    Obj,
    app_id,
    containers,
    dapr_annotations,
    dapr_deployments,
    get,
    ident,
    labels_match,
    name_of,
    of_kind,
    pod_templates,
    quantity,
    token_secrets,
)

OUR_IMAGES = re.compile(r"(^|/)taskflow/(app|processors):")
SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|SECRET|API_KEY|PRIVATE|CREDENTIAL|DATABASE_URL)", re.I)
URL_WITH_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")


def _walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [item for k, v in node.items() for item in _walk(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [item for i, v in enumerate(node) for item in _walk(v, f"{path}[{i}]")]
    return [(path, node)]


# --- Dapr annotations -------------------------------------------------------------------


def test_every_deployment_states_whether_it_has_a_sidecar(objects: tuple[Obj, ...]) -> None:
    for workload, template in pod_templates(objects):
        annotations = template["metadata"].get("annotations", {})
        assert annotations.get("dapr.io/enabled") in {"true", "false"}, ident(workload)


def test_the_four_apps_run_with_dapr(objects: tuple[Obj, ...]) -> None:
    ids = sorted(app_id(d) for d in dapr_deployments(objects))
    assert ids == sorted(DAPR_APPS), ids
    for deployment in dapr_deployments(objects):
        assert name_of(deployment) == app_id(deployment), "Deployment named after its app id"


def test_dapr_annotations_are_complete_and_known(objects: tuple[Obj, ...]) -> None:
    known = dapr_annotations()
    configurations = {name_of(c) for c in of_kind(objects, "Configuration")}
    for deployment in dapr_deployments(objects):
        template = deployment["spec"]["template"]
        annotations: dict[str, str] = template["metadata"]["annotations"]
        where = ident(deployment)
        unknown = {k for k in annotations if k.startswith("dapr.io/")} - known
        assert not unknown, f"{where}: annotations Dapr's injector does not read: {unknown}"
        port = int(annotations["dapr.io/app-port"])
        assert port == DAPR_APPS[app_id(deployment)], where
        ports = {p["containerPort"] for c in template["spec"]["containers"] for p in c["ports"]}
        assert port in ports, f"{where}: app-port {port} is no container port"
        assert annotations["dapr.io/app-protocol"] == "http", where
        assert annotations["dapr.io/config"] in configurations, where
        assert annotations["dapr.io/log-level"] in {"debug", "info", "warn", "error"}, where
        app_secret, dapr_secret = token_secrets(app_id(deployment))
        assert annotations["dapr.io/app-token-secret"] == app_secret, where
        assert annotations["dapr.io/api-token-secret"] == dapr_secret, where
        for key in ("cpu-request", "cpu-limit", "memory-request", "memory-limit"):
            quantity(annotations[f"dapr.io/sidecar-{key}"])
        for kind in ("cpu", "memory"):
            request = quantity(annotations[f"dapr.io/sidecar-{kind}-request"])
            limit = quantity(annotations[f"dapr.io/sidecar-{kind}-limit"])
            assert request <= limit, f"{where}: sidecar {kind} request above its limit"
        if annotations.get("dapr.io/enable-app-health-check") == "true":
            assert annotations["dapr.io/app-health-check-path"] == "/health/live", where


def test_apps_hold_the_dapr_tokens_from_secrets(objects: tuple[Obj, ...]) -> None:
    """Each app sends its own DAPR_API_TOKEN to its sidecar and checks its own APP_API_TOKEN
    on calls from it: the tokens of one app open nothing of another."""
    seen: list[str] = []
    for deployment in dapr_deployments(objects):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e for e in container.get("env", [])}
        app_secret, dapr_secret = token_secrets(app_id(deployment))
        for name, secret in (("DAPR_API_TOKEN", dapr_secret), ("APP_API_TOKEN", app_secret)):
            ref = env[name]["valueFrom"]["secretKeyRef"]
            assert (ref["name"], ref["key"]) == (secret, "token"), ident(deployment)
            seen.append(secret)
        assert env["TASKFLOW_RUNTIME"]["value"] == "dapr", ident(deployment)
    assert len(seen) == len(set(seen)) == 2 * len(DAPR_APPS), "no token shared between apps"


def test_no_other_pod_gets_a_sidecar(objects: tuple[Obj, ...]) -> None:
    for workload, template in pod_templates(objects):
        if workload["kind"] != "Deployment" or name_of(workload) not in DAPR_APPS:
            assert template["metadata"].get("annotations", {}).get("dapr.io/enabled") != "true"


# --- Images ------------------------------------------------------------------------------


def test_images_are_pinned(objects: tuple[Obj, ...]) -> None:
    for workload, template in pod_templates(objects):
        for container in containers(template["spec"]):
            image: str = container["image"]
            where = f"{ident(workload)}/{container['name']}: {image}"
            name, _, digest = image.partition("@")
            last = name.rsplit("/", 1)[-1]
            assert ":" in last or digest, f"{where}: no tag"
            tag = last.partition(":")[2]
            assert tag and tag != "latest", f"{where}: pin a version, not latest"
            assert re.search(r"\d", tag) or digest, f"{where}: a floating tag"


def test_our_images_come_from_the_right_place(overlay: str, objects: tuple[Obj, ...]) -> None:
    for workload, template in pod_templates(objects):
        for container in template["spec"]["containers"]:
            if not OUR_IMAGES.search(container["image"]):
                continue
            if overlay == "local":
                # Built inside Minikube's Docker: a pull could only fail.
                assert container["imagePullPolicy"] == "Never", ident(workload)
                assert container["image"].startswith("taskflow/"), ident(workload)
            else:
                registry = container["image"].split("/", 1)[0]
                assert "." in registry, f"{ident(workload)}: pulled from a registry host"


def test_cloud_pods_have_the_registry_pull_secret(overlay: str, objects: tuple[Obj, ...]) -> None:
    if overlay != "cloud":
        return
    accounts = {name_of(a): a for a in of_kind(objects, "ServiceAccount")}
    for workload, template in pod_templates(objects):
        spec = template["spec"]
        if not any(OUR_IMAGES.search(c["image"]) for c in spec["containers"]):
            continue
        pull = spec.get("imagePullSecrets") or accounts[spec["serviceAccountName"]].get(
            "imagePullSecrets", []
        )
        assert {"name": "ocir-pull"} in pull, ident(workload)


# --- Resources and security ------------------------------------------------------------


def test_every_container_has_requests_and_limits(objects: tuple[Obj, ...]) -> None:
    for workload, template in pod_templates(objects):
        for container in containers(template["spec"]):
            where = f"{ident(workload)}/{container['name']}"
            resources = container.get("resources", {})
            for kind in ("cpu", "memory"):
                request = quantity(resources["requests"][kind])
                limit = quantity(resources["limits"][kind])
                assert 0 < request <= limit, f"{where}: {kind} request {request} > limit {limit}"
    for pool in of_kind(objects, "KafkaNodePool"):
        assert pool["spec"]["resources"]["limits"]["memory"], ident(pool)


def test_pods_run_as_non_root_with_a_read_only_root(objects: tuple[Obj, ...]) -> None:
    for workload, template in pod_templates(objects):
        spec = template["spec"]
        where = ident(workload)
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, where
        assert pod.get("runAsUser", 1) != 0, where
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        for forbidden in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(forbidden), f"{where}: {forbidden}"
        assert not [v for v in spec.get("volumes", []) if "hostPath" in v], where
        for container in containers(spec):
            ctx = container.get("securityContext", {})
            cwhere = f"{where}/{container['name']}"
            assert ctx.get("allowPrivilegeEscalation") is False, cwhere
            assert ctx.get("readOnlyRootFilesystem") is True, cwhere
            assert ctx.get("privileged", False) is False, cwhere
            assert "ALL" in ctx.get("capabilities", {}).get("drop", []), cwhere
            assert not ctx.get("capabilities", {}).get("add"), cwhere
            assert ctx.get("runAsUser", 1) != 0, cwhere


def test_read_only_pods_have_somewhere_to_write(objects: tuple[Obj, ...]) -> None:
    for workload, template in pod_templates(objects):
        spec = template["spec"]
        for container in spec["containers"]:
            if not OUR_IMAGES.search(container["image"]):
                continue
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            volumes = {v["name"]: v for v in spec.get("volumes", [])}
            assert "/tmp" in mounts, f"{ident(workload)}: Reflex and Python write under /tmp"
            assert "emptyDir" in volumes[mounts["/tmp"]], ident(workload)


def test_service_account_tokens_only_where_needed(objects: tuple[Obj, ...]) -> None:
    accounts = {name_of(a): a for a in of_kind(objects, "ServiceAccount")}
    for workload, template in pod_templates(objects):
        spec = template["spec"]
        account = spec.get("serviceAccountName")
        assert account in accounts, f"{ident(workload)}: own service account"
        sidecar = template["metadata"].get("annotations", {}).get("dapr.io/enabled") == "true"
        mounted = spec.get(
            "automountServiceAccountToken",
            accounts[account].get("automountServiceAccountToken", True),
        )
        if not sidecar:
            assert mounted is False, f"{ident(workload)} has no use for an API token"


# --- Probes --------------------------------------------------------------------------------


def test_long_running_containers_have_probes(objects: tuple[Obj, ...]) -> None:
    for workload, template in pod_templates(objects):
        if workload["kind"] in {"Job", "CronJob"}:
            continue
        for container in template["spec"]["containers"]:
            where = f"{ident(workload)}/{container['name']}"
            assert "livenessProbe" in container and "readinessProbe" in container, where


def test_our_probes_use_the_health_endpoints(objects: tuple[Obj, ...]) -> None:
    for deployment in dapr_deployments(objects):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        where = ident(deployment)
        for probe, path in (
            ("startupProbe", "/health/live"),
            ("livenessProbe", "/health/live"),
            ("readinessProbe", "/health/ready"),
        ):
            http = container[probe]["httpGet"]
            assert http["path"] == path, f"{where} {probe}"
            assert http["port"] in ports or http["port"] in ports.values(), f"{where} {probe}"
            assert container[probe]["timeoutSeconds"] < container[probe]["periodSeconds"]


# --- Secrets -------------------------------------------------------------------------------


def test_no_secret_object_or_value_in_the_manifests(objects: tuple[Obj, ...]) -> None:
    assert not of_kind(objects, "Secret"), "Secrets are created by hand (docs/deploy.md)"
    for obj in objects:
        for path, value in _walk(obj):
            if isinstance(value, str):
                assert not URL_WITH_PASSWORD.search(value), f"{ident(obj)}{path}: a credential"
                assert "BEGIN" not in value or "PRIVATE KEY" not in value, ident(obj)
    for workload, template in pod_templates(objects):
        for container in containers(template["spec"]):
            for env in container.get("env", []):
                if SECRET_NAME.search(env["name"]):
                    assert "value" not in env, f"{ident(workload)}: {env['name']} in plain text"
                    assert "secretKeyRef" in env.get("valueFrom", {}), ident(workload)


def test_every_secret_reference_is_a_documented_secret_key(objects: tuple[Obj, ...]) -> None:
    refs: set[tuple[str, str]] = set()
    for workload, template in pod_templates(objects):
        for container in containers(template["spec"]):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
            assert not container.get("envFrom"), ident(workload)
        annotations = template["metadata"].get("annotations", {})
        for key in ("dapr.io/app-token-secret", "dapr.io/api-token-secret"):
            if key in annotations:
                refs.add((annotations[key], "token"))
    for component in of_kind(objects, "Component"):
        for item in component["spec"].get("metadata") or []:
            if "secretKeyRef" in item:
                refs.add((item["secretKeyRef"]["name"], item["secretKeyRef"]["key"]))
    unknown = {(n, k) for n, k in refs if k not in SECRETS.get(n, set())}
    assert not unknown, f"secret keys nobody documents: {unknown}"


# --- Wiring: Services, Ingress, autoscaling, disruption budgets -------------------------


def _pod_labels(objects: tuple[Obj, ...]) -> list[tuple[Obj, dict[str, str], Obj]]:
    return [(w, t["metadata"].get("labels", {}), t) for w, t in pod_templates(objects)]


def test_workload_selectors_match_their_pods(objects: tuple[Obj, ...]) -> None:
    for workload, template in pod_templates(objects):
        selector = workload["spec"].get("selector")
        if selector is not None:
            assert labels_match(selector, template["metadata"]["labels"]), ident(workload)


def test_services_select_pods_and_ports_that_exist(objects: tuple[Obj, ...]) -> None:
    pods = _pod_labels(objects)
    for service in of_kind(objects, "Service"):
        selected = [
            t
            for _, labels, t in pods
            if labels_match({"matchLabels": service["spec"]["selector"]}, labels)
        ]
        assert selected, f"{ident(service)} selects no pod"
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for template in selected:
                names = {
                    p.get("name"): p["containerPort"]
                    for c in template["spec"]["containers"]
                    for p in c.get("ports", [])
                }
                assert target in names or target in names.values(), f"{ident(service)}: {target}"


def test_ingress_reaches_the_app_and_keeps_websockets_open(objects: tuple[Obj, ...]) -> None:
    ingress = get(objects, "Ingress", "taskflow")
    annotations = ingress["metadata"]["annotations"]
    for key in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(annotations[f"nginx.ingress.kubernetes.io/{key}"]) >= 3600
    assert ingress["spec"]["ingressClassName"] == "nginx"
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            service = get(objects, "Service", backend["name"])
            ports = {p.get("name") for p in service["spec"]["ports"]} | {
                p["port"] for p in service["spec"]["ports"]
            }
            assert backend["port"].get("name", backend["port"].get("number")) in ports


def test_cloud_ingress_serves_https_on_its_host(overlay: str, objects: tuple[Obj, ...]) -> None:
    ingress = get(objects, "Ingress", "taskflow")
    if overlay == "cloud":
        host = ingress["spec"]["rules"][0]["host"]
        assert host and host == ingress["spec"]["tls"][0]["hosts"][0]
        assert ingress["spec"]["tls"][0]["secretName"]
        assert "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]
    else:
        assert "tls" not in ingress["spec"], "Minikube serves plain HTTP on its IP"


def test_app_scales_with_an_hpa_and_shares_state_in_redis(
    overlay: str, objects: tuple[Obj, ...]
) -> None:
    hpa = get(objects, "HorizontalPodAutoscaler", "taskflow")
    target = hpa["spec"]["scaleTargetRef"]
    deployment = get(objects, target["kind"], target["name"])
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    minimum, maximum = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
    assert 1 <= minimum < maximum
    if overlay == "cloud":
        assert minimum >= 2, "two app replicas in the cloud"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert container["resources"]["requests"]["cpu"], "CPU utilisation needs a request"
    # More than one replica: Reflex's state must live in Redis, reachable at that address,
    # with the password (test_access.py holds Redis to it).
    redis = get(objects, "Service", "taskflow-redis")
    url = f"redis://:$(REDIS_PASSWORD)@{name_of(redis)}:{redis['spec']['ports'][0]['port']}/0"
    assert env["REFLEX_REDIS_URL"] == url and env["REDIS_URL"] == url


def test_disruption_budgets_cover_every_long_running_pod(objects: tuple[Obj, ...]) -> None:
    budgets = of_kind(objects, "PodDisruptionBudget")
    for workload, labels, _ in _pod_labels(objects):
        if workload["kind"] not in {"Deployment", "StatefulSet"}:
            continue
        matching = [b for b in budgets if labels_match(b["spec"]["selector"], labels)]
        assert len(matching) == 1, f"{ident(workload)}: {len(matching)} budgets"
        spec = matching[0]["spec"]
        assert "maxUnavailable" in spec or spec.get("minAvailable", 0) >= 1


def test_migration_job(objects: tuple[Obj, ...]) -> None:
    job = get(objects, "Job", "taskflow-migrate")
    template = job["spec"]["template"]
    container = template["spec"]["containers"][0]
    assert container["command"] == ["alembic", "upgrade", "head"]
    env = {e["name"]: e for e in container["env"]}
    ref = env["TASKFLOW_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert (ref["name"], ref["key"]) == ("taskflow-migrator", "database-url")
    assert env["TASKFLOW_DATABASE_RUNTIME_ROLE"]["value"] == "taskflow_runtime"
    assert template["metadata"]["annotations"]["dapr.io/enabled"] == "false"
    assert template["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 1 and job["spec"]["ttlSecondsAfterFinished"] > 0
    app = get(objects, "Deployment", "taskflow")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == app["image"], "migrations ship with the app image"
    # The only database URL outside a sidecar: no Dapr app holds one.
    for deployment in dapr_deployments(objects):
        names = {e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert "TASKFLOW_DATABASE_URL" not in names, ident(deployment)


# --- Network policies ------------------------------------------------------------------


def _policies_for(objects: tuple[Obj, ...], labels: dict[str, str]) -> list[Obj]:
    return [
        p
        for p in of_kind(objects, "NetworkPolicy")
        if labels_match(p["spec"]["podSelector"], labels)
    ]


def test_every_pod_of_ours_is_isolated(objects: tuple[Obj, ...]) -> None:
    for workload, labels, _ in _pod_labels(objects):
        policies = _policies_for(objects, labels)
        types = {t for p in policies for t in p["spec"]["policyTypes"]}
        assert types == {"Ingress", "Egress"}, f"{ident(workload)} is not isolated: {types}"


def _allowed_peers(objects: tuple[Obj, ...], labels: dict[str, str], direction: str) -> list[Obj]:
    rules = "egress" if direction == "Egress" else "ingress"
    peers = "to" if direction == "Egress" else "from"
    return [
        {**peer, "ports": rule.get("ports", [])}
        for policy in _policies_for(objects, labels)
        if direction in policy["spec"]["policyTypes"]
        for rule in policy["spec"].get(rules, [])
        for peer in rule.get(peers, [])
    ]


def _reaches(objects: tuple[Obj, ...], source: str, target: str, port: int) -> bool:
    """Whether pods named `source` may open TCP `port` on pods named `target` (same namespace)."""
    pods = {labels.get("app.kubernetes.io/name"): labels for _, labels, _ in _pod_labels(objects)}
    out = any(
        "podSelector" in peer
        and "namespaceSelector" not in peer
        and labels_match(peer["podSelector"], pods[target])
        and any(p.get("port") == port for p in peer["ports"])
        for peer in _allowed_peers(objects, pods[source], "Egress")
    )
    into = any(
        "podSelector" in peer
        and "namespaceSelector" not in peer
        and labels_match(peer["podSelector"], pods[source])
        and any(p.get("port") == port for p in peer["ports"])
        for peer in _allowed_peers(objects, pods[target], "Ingress")
    )
    return out and into


def test_network_policies_allow_exactly_the_needed_paths(
    overlay: str, objects: tuple[Obj, ...]
) -> None:
    assert _reaches(objects, "taskflow", "taskflow-redis", 6379)
    assert _reaches(objects, "recurrence", "taskflow", 50002), "service invocation"
    for other in ("reminders", "audit", "recurrence"):
        assert not _reaches(objects, other, "taskflow-redis", 6379)
    for other in ("reminders", "audit"):
        assert not _reaches(objects, other, "taskflow", 50002)
    if overlay == "local":
        for client in ("taskflow", "reminders", "audit", "taskflow-migrate"):
            assert _reaches(objects, client, "taskflow-postgres", 5432), client
        assert not _reaches(objects, "recurrence", "taskflow-postgres", 5432)
        assert not _reaches(objects, "taskflow-redis", "taskflow-postgres", 5432)


def test_dapr_pods_reach_dns_and_the_control_plane(objects: tuple[Obj, ...]) -> None:
    for deployment in dapr_deployments(objects):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        peers = _allowed_peers(objects, labels, "Egress")
        namespaces = {
            (peer.get("namespaceSelector") or {})
            .get("matchLabels", {})
            .get("kubernetes.io/metadata.name"): {p["port"] for p in peer["ports"]}
            for peer in peers
            if "namespaceSelector" in peer
        }
        assert {53} <= namespaces.get("kube-system", set()), ident(deployment)
        assert {50001, 6500, 50006} <= namespaces.get("dapr-system", set()), ident(deployment)
        kafka = [p for p in peers if any(q["port"] == 9092 for q in p["ports"])]
        assert kafka, f"{ident(deployment)}: no route to the Kafka brokers"


def test_policy_selectors_select_something(objects: tuple[Obj, ...]) -> None:
    labels = [labels for _, labels, _ in _pod_labels(objects)]
    for policy in of_kind(objects, "NetworkPolicy"):
        selected = any(labels_match(policy["spec"]["podSelector"], lab) for lab in labels)
        assert selected, ident(policy)
        for direction, peers_key in (("ingress", "from"), ("egress", "to")):
            for rule in policy["spec"].get(direction, []):
                for peer in rule.get(peers_key, []):
                    if set(peer) == {"podSelector"}:
                        selector = peer["podSelector"]
                        strimzi = "strimzi.io/cluster" in selector.get("matchLabels", {})
                        assert strimzi or any(labels_match(selector, lab) for lab in labels), (
                            f"{ident(policy)}: a peer that selects no pod"
                        )


def test_labels_are_consistent(objects: tuple[Obj, ...]) -> None:
    for workload, labels, _ in _pod_labels(objects):
        assert labels.get("app.kubernetes.io/part-of") == "taskflow", ident(workload)
        assert labels.get("app.kubernetes.io/name") == name_of(workload), ident(workload)
