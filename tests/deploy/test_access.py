"""Who may reach what, in both overlays and in the local stack's Dapr configuration.

The Ingress routes everything of the app but what only its sidecar may call; Dapr's access
list lets one caller make one call; the Gemini key is a Secret only the app reads; Redis asks
for a password; migrations and the app use different database roles.
"""

import asyncio
import re
from datetime import UTC, datetime
from typing import Any, cast

import yaml
from starlette.routing import Route

from app.adapters.dapr.invoker import APP_ID, SidecarInvoker
from app.adapters.dapr.sidecar import Sidecar
from app.callbacks import callbacks_router
from app.repositories.grants import DAPR_STATE_SCHEMA
from app.services.dead_letters import DeadLetterService
from app.services.dispatch import Dispatcher
from tests.deploy.manifests import (
    GEMINI_SECRET,
    NAMESPACE,
    ROOT,
    Obj,
    containers,
    get,
    ident,
    metadata_items,
    name_of,
    of_kind,
    pod_templates,
)

SELF_HOSTED = ROOT / "dapr-components" / "self-hosted"
# What only a sidecar calls on the app (app/callbacks.py): never reachable from outside.
CALLBACK_PREFIXES = ("events", "job", "internal")


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


# --- Ingress ------------------------------------------------------------------------------


def ingress_routes(ingress: Obj, path: str) -> bool:
    """Whether ingress-nginx sends `path` (decoded and normalised, as nginx matches it) to a
    backend of this Ingress: regular expressions (use-regex, or ImplementationSpecific) as
    `location ~* "^<path>"`, Prefix by whole segments, Exact as it is."""
    regex = ingress["metadata"].get("annotations", {}).get("nginx.ingress.kubernetes.io/use-regex")
    for rule in ingress["spec"]["rules"]:
        for entry in rule["http"]["paths"]:
            kind, pattern = entry["pathType"], entry["path"]
            if regex == "true" or kind == "ImplementationSpecific":
                assert regex == "true", f"{pattern}: a regular expression needs use-regex"
                routed = re.match(pattern, path, re.IGNORECASE) is not None
            elif kind == "Prefix":
                wanted = _segments(pattern)
                routed = _segments(path)[: len(wanted)] == wanted
            else:
                routed = path == pattern
            if routed:
                return True
    return False


def callback_paths() -> list[str]:
    """Every route of the sidecar callbacks, with its parameters filled in."""

    async def anything(*_: Any) -> None:
        return None

    router = callbacks_router(
        "token",
        Dispatcher([], {}, cast(DeadLetterService, None)),
        anything,
        dead_letter_keeper=cast(DeadLetterService, object()),
        create_successor=cast(Any, anything),
    )
    paths = [route.path for route in router.routes if isinstance(route, Route)]
    assert {_segments(p)[0] for p in paths} == set(CALLBACK_PREFIXES), paths
    return [re.sub(r"\{[^}]+\}", "7", p) for p in paths]


ROUTED = [
    "/",
    "/api/tasks",
    "/api/auth/login",
    "/api/tokens/3",
    # A notification's done or snooze link.
    "/api/actions/eyJpZCI6IjEifQ.c2ln",
    "/mcp",
    "/mcp/",
    "/_event",
    "/_event/",
    "/_next/static/chunks/main.js",
    "/_upload",
    "/health/ready",
    "/favicon.ico",
    "/login",
    "/settings",
    "/eventsfeed",
    "/jobs",
    "/internals",
]
NOT_ROUTED = [
    "/events",
    "/events/",
    "/events/task-events",
    "/EVENTS/task-events",
    "/job",
    "/job/reminder-7",
    "/Job/reminder-7",
    "/internal",
    "/internal/",
    "/internal/tasks/7/successor",
    "/Internal/Tasks/7/Successor",
]


def test_the_ingress_routes_the_app_but_never_the_sidecar_callbacks(
    objects: tuple[Obj, ...],
) -> None:
    ingress = get(objects, "Ingress", "taskflow")
    for path in ROUTED:
        assert ingress_routes(ingress, path), f"{path} is not routed"
    for path in [*NOT_ROUTED, *callback_paths()]:
        assert not ingress_routes(ingress, path), f"{path} is routed from outside"


def test_the_ingress_is_the_only_way_in_from_outside(objects: tuple[Obj, ...]) -> None:
    assert [name_of(i) for i in of_kind(objects, "Ingress")] == ["taskflow"]
    for service in of_kind(objects, "Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", ident(service)


# --- Dapr service invocation --------------------------------------------------------------


def dapr_operation_matches(pattern: str, operation: str) -> bool:
    """Dapr's operation match (pkg/config/acl_trie.go), for the patterns used here: segment by
    segment, ignoring case; `**` inside a pattern stands for one segment, a final `*` or `**`
    for the rest; and like Dapr, a pattern matched in full admits what lies below it too."""
    wanted, given = _segments(pattern.lower()), _segments(operation.lower())
    if len(given) < len(wanted):
        return False
    for part, segment in zip(wanted, given, strict=False):
        if part not in ("*", "**") and part != segment:
            return False
    return True


def allowed_by_acl(
    access: Obj, caller: str, verb: str, operation: str, namespace: str = NAMESPACE
) -> bool:
    """Whether a Dapr access-control list lets `caller` (of `namespace`, with an mTLS
    identity) invoke `verb operation` on the sidecar it configures."""
    action = access["defaultAction"]
    for policy in access.get("policies", []):
        if policy["appId"] != caller or policy["namespace"] != namespace:
            continue
        if policy["trustDomain"] != access["trustDomain"]:
            continue
        action = policy.get("defaultAction", action)
        for operation_rule in policy.get("operations", []):
            if dapr_operation_matches(operation_rule["name"], operation):
                verbs = operation_rule.get("httpVerb", [])
                if verb in verbs or "*" in verbs:
                    action = operation_rule["action"]
    return bool(action == "allow")


def successor_call() -> tuple[str, str, str]:
    """What the recurrence processor asks its sidecar to invoke: (app id, verb, method)."""
    calls: list[tuple[str, str, str]] = []

    class Client:
        async def invoke_method(self, app_id: str, method: str, **options: Any) -> None:
            calls.append((app_id, options["http_verb"], method))

    sidecar = Sidecar()
    sidecar._client = cast(Any, Client())
    asyncio.run(
        SidecarInvoker(sidecar).create_successor(3, 7, datetime(2030, 1, 1, tzinfo=UTC), "x")
    )
    [call] = calls
    return call


def test_only_the_recurrence_processor_may_invoke_and_only_its_successor_call(
    objects: tuple[Obj, ...],
) -> None:
    access = get(objects, "Configuration", "taskflow-config")["spec"]["accessControl"]
    holds_only_the_successor_call(access, NAMESPACE)


def test_the_local_stack_has_the_same_access_list() -> None:
    """Its sidecars have mTLS identities from the stack's Sentry, in the namespace
    `default`; without them the list would refuse every call."""
    [config] = _self_hosted("configuration.yaml")
    holds_only_the_successor_call(config["spec"]["accessControl"], "default")
    stack = (ROOT / "scripts" / "stack.sh").read_text()
    assert "--enable-mtls --sentry-address" in stack


def holds_only_the_successor_call(access: Obj, namespace: str) -> None:
    assert access["defaultAction"] == "deny"
    assert [p["appId"] for p in access["policies"]] == ["recurrence"]
    assert access["policies"][0]["defaultAction"] == "deny"
    app_id, verb, method = successor_call()
    assert app_id == APP_ID == "taskflow"
    assert allowed_by_acl(access, "recurrence", verb, method, namespace)
    assert allowed_by_acl(
        access, "recurrence", "POST", "/internal/tasks/123456/successor", namespace
    )
    for caller in ("taskflow", "reminders", "audit", "anyone"):
        assert not allowed_by_acl(access, caller, verb, method, namespace), caller
    for other_verb, operation in [
        ("GET", method),
        ("PUT", method),
        ("DELETE", method),
        ("POST", "internal/tasks/7"),
        ("POST", "internal/tasks/successor"),
        ("POST", "internal/tasks/7/8/successor"),
        ("POST", "events/task-events"),
        ("POST", "job/reminder-7"),
        ("POST", "api/tasks"),
        ("DELETE", "api/tasks/7"),
    ]:
        assert not allowed_by_acl(access, "recurrence", other_verb, operation, namespace), operation


def test_the_access_list_names_the_route_the_app_serves(objects: tuple[Obj, ...]) -> None:
    access = get(objects, "Configuration", "taskflow-config")["spec"]["accessControl"]
    [rule] = access["policies"][0]["operations"]
    assert rule["httpVerb"] == ["POST"]
    # Of everything the sidecar may call on the app, the list admits the successor route
    # alone (Dapr would admit paths below it too: the app serves none).
    admitted = [p for p in callback_paths() if dapr_operation_matches(rule["name"], p)]
    assert admitted == ["/internal/tasks/7/successor"]


# --- Secrets: the Gemini key, Redis, the database roles -------------------------------------


def test_the_gemini_key_is_a_secret_only_the_app_reads(objects: tuple[Obj, ...]) -> None:
    config = get(objects, "Configuration", "taskflow-config")["spec"]
    [scope] = [s for s in config["secrets"]["scopes"] if s["storeName"] == "secretstore"]
    assert scope["allowedSecrets"] == [GEMINI_SECRET]
    assert get(objects, "Component", "secretstore")["scopes"] == ["taskflow"]
    readers: set[str] = set()
    for role in of_kind(objects, "Role"):
        for rule in role["rules"]:
            if "secrets" in rule["resources"]:
                assert rule["resourceNames"] == [GEMINI_SECRET], ident(role)
                assert set(rule["verbs"]) == {"get"}, ident(role)
                readers.add(name_of(role))
    bound = {
        (s["kind"], s["name"])
        for b in of_kind(objects, "RoleBinding")
        if b["roleRef"]["name"] in readers
        for s in b["subjects"]
    }
    assert bound == {("ServiceAccount", "taskflow")}
    # No pod gets it any other way (the app reads it from its sidecar).
    for workload, template in pod_templates(objects):
        assert GEMINI_SECRET not in str(template["spec"]), ident(workload)
    assert not of_kind(objects, "ClusterRoleBinding")


def _env(container: Obj) -> dict[str, Obj]:
    return {e["name"]: e for e in container.get("env", [])}


def _secret_ref(env: Obj) -> tuple[str, str]:
    ref = env["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def test_redis_asks_for_the_password_the_app_has(objects: tuple[Obj, ...]) -> None:
    redis = get(objects, "Deployment", "taskflow-redis")["spec"]["template"]["spec"]
    [server] = redis["containers"]
    args = server["args"]
    assert args[args.index("--requirepass") + 1] == "$(REDIS_PASSWORD)"
    env = _env(server)
    assert _secret_ref(env["REDIS_PASSWORD"]) == ("taskflow-redis", "password")
    assert _secret_ref(env["REDISCLI_AUTH"]) == ("taskflow-redis", "password"), "the probe"
    app = _env(get(objects, "Deployment", "taskflow")["spec"]["template"]["spec"]["containers"][0])
    assert _secret_ref(app["REDIS_PASSWORD"]) == ("taskflow-redis", "password")
    names = list(app)
    for url in ("REDIS_URL", "REFLEX_REDIS_URL"):
        assert app[url]["value"].startswith("redis://:$(REDIS_PASSWORD)@"), url
        assert names.index("REDIS_PASSWORD") < names.index(url), "defined before its use"


def test_migrations_run_as_their_own_role(overlay: str, objects: tuple[Obj, ...]) -> None:
    job = get(objects, "Job", "taskflow-migrate")["spec"]["template"]["spec"]
    migrate = _env(job["containers"][0])
    assert _secret_ref(migrate["TASKFLOW_DATABASE_URL"]) == ("taskflow-migrator", "database-url")
    runtime_role = migrate["TASKFLOW_DATABASE_RUNTIME_ROLE"]["value"]
    # Nothing else holds the migrator's credentials.
    for workload, template in pod_templates(objects):
        if name_of(workload) != "taskflow-migrate":
            for container in containers(template["spec"]):
                refs = {_secret_ref(e)[0] for e in _env(container).values() if "valueFrom" in e}
                assert "taskflow-migrator" not in refs, ident(workload)
    # The state store keeps its tables in the schema the runtime role may create in.
    state = metadata_items(get(objects, "Component", "statestore"))
    for key in ("tablePrefix", "metadataTableName"):
        assert state[key]["value"].startswith(f"{DAPR_STATE_SCHEMA}."), key
    if overlay == "local":
        init = get(objects, "ConfigMap", "taskflow-postgres-init")["data"]["roles.sh"]
        assert f"CREATE ROLE {runtime_role} LOGIN" in init
        assert "CREATE ROLE taskflow_migrator LOGIN" in init
        assert "CREATE DATABASE taskflow OWNER taskflow_migrator" in init
        postgres = get(objects, "StatefulSet", "taskflow-postgres")["spec"]["template"]["spec"]
        env = _env(postgres["containers"][0])
        assert env["POSTGRES_USER"]["value"] != runtime_role
        for name, key in (
            ("MIGRATOR_PASSWORD", "migrator-password"),
            ("RUNTIME_PASSWORD", "runtime-password"),
        ):
            assert _secret_ref(env[name]) == ("taskflow-postgres", key)


# --- The local stack ------------------------------------------------------------------------


def _self_hosted(name: str) -> list[Obj]:
    return [d for d in yaml.safe_load_all((SELF_HOSTED / name).read_text()) if d]


def test_the_local_stack_keeps_the_same_secret_and_state_rules() -> None:
    [config] = _self_hosted("configuration.yaml")
    [scope] = [s for s in config["spec"]["secrets"]["scopes"] if s["storeName"] == "secretstore"]
    assert scope["allowedSecrets"] == [GEMINI_SECRET]
    [state] = _self_hosted("statestore.yaml")
    items = metadata_items(state)
    for key in ("tablePrefix", "metadataTableName"):
        assert items[key]["value"].startswith(f"{DAPR_STATE_SCHEMA}."), key
