"""What the deploy tier checks against: the rendered overlays and the schemas they must meet.

Rendering goes through scripts/kustomize.sh (kustomize, or kubectl's built-in one, or a
kustomize built once from the Go module proxy); the CRD schemas and Dapr's component metadata
come from scripts/deploy-schemas.sh. Both keep what they download under the cache directory.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.adapters.dapr.secrets import entry_name
from app.chat.gemini_settings import API_KEY_SECRET
from app.domain.events import DEAD_LETTERS
from app.domain.events import TOPICS as EVENT_TOPICS

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("local", "cloud")
NAMESPACE = "taskflow"

# The contract the lead fixed: Dapr app ids and the port each app listens on.
DAPR_APPS: dict[str, int] = {
    "taskflow": 3000,
    "recurrence": 8000,
    "reminders": 8000,
    "audit": 8000,
    "notifier": 8000,
}
PROCESSORS = ("recurrence", "reminders", "audit", "notifier")
TOPICS = EVENT_TOPICS
DEADLETTER_TOPIC = DEAD_LETTERS
GEMINI_SECRET = entry_name(API_KEY_SECRET)


def token_secrets(app: str) -> tuple[str, str]:
    """The Secrets of an app's two tokens: the one its sidecar sends to it (APP_API_TOKEN,
    dapr.io/app-token-secret), and the one it sends to its sidecar (DAPR_API_TOKEN,
    dapr.io/api-token-secret)."""
    return f"{app}-app-api-token", f"{app}-dapr-api-token"


COMPONENT_SCOPES: dict[str, set[str]] = {
    "pubsub": {"taskflow", "recurrence", "reminders", "audit", "notifier"},
    "live": {"taskflow"},
    "statestore": {"taskflow"},
    "taskdb": {"taskflow", "reminders", "audit", "notifier"},
    "secretstore": {"taskflow"},
}
COMPONENT_TYPES: dict[str, str] = {
    "pubsub": "pubsub.kafka",
    "live": "pubsub.kafka",
    "statestore": "state.postgresql",
    "taskdb": "bindings.postgresql",
    "secretstore": "secretstores.kubernetes",
}
# Every Secret the manifests read, and its keys. None is in the repository: docs/deploy.md
# creates them with `kubectl create secret`.
SECRETS: dict[str, set[str]] = {
    "taskflow-secrets": {
        "pg-connection-string",
        "kafka-brokers",
        "kafka-sasl-username",
        "kafka-sasl-password",
    },
    # The migration Job's URL, as the role that owns the schema.
    "taskflow-migrator": {"database-url"},
    # Read by the app alone, through Dapr's secret store.
    GEMINI_SECRET: {"value"},
    "taskflow-redis": {"password"},
    # Read by the notifier alone, to send mail (optional).
    "taskflow-smtp": {"url", "from"},
    "taskflow-postgres": {"password", "migrator-password", "runtime-password"},
    # Dapr's injector reads the key `token` of the Secrets named by dapr.io/app-token-secret
    # and dapr.io/api-token-secret: two of its own for each app.
    **{secret: {"token"} for app in DAPR_APPS for secret in token_secrets(app)},
}
# Kubernetes releases whose schemas every built-in object must meet: the oldest one OKE and
# Minikube still ship that we support, and the newest the schema package knows.
OLDEST_KUBERNETES = "1.33"

Obj = dict[str, Any]


class RenderError(RuntimeError):
    """kustomize could not build an overlay."""


def _run(args: list[str], timeout: float) -> str:
    proc = subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RenderError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


@functools.cache
def render(overlay: str) -> tuple[Obj, ...]:
    """The objects `kubectl apply -k k8s/overlays/<overlay>` would send, in order."""
    out = _run([str(ROOT / "scripts" / "kustomize.sh"), f"k8s/overlays/{overlay}"], 900)
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


@functools.cache
def schemas_dir() -> Path:
    """The directory scripts/deploy-schemas.sh fills (Dapr and Strimzi CRDs, Dapr metadata)."""
    out = _run([str(ROOT / "scripts" / "deploy-schemas.sh")], 1200)
    return Path(out.strip().splitlines()[-1])


def name_of(obj: Obj) -> str:
    return str(obj["metadata"]["name"])


def ident(obj: Obj) -> str:
    return f"{obj['kind']}/{name_of(obj)}"


def of_kind(objs: Iterable[Obj], kind: str) -> list[Obj]:
    return [o for o in objs if o["kind"] == kind]


def get(objs: Iterable[Obj], kind: str, name: str) -> Obj:
    for obj in objs:
        if obj["kind"] == kind and name_of(obj) == name:
            return obj
    raise KeyError(f"{kind}/{name} is not rendered")


WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def pod_templates(objs: Iterable[Obj]) -> Iterator[tuple[Obj, Obj]]:
    """(workload, its pod template) for every workload."""
    for obj in objs:
        if obj["kind"] == "CronJob":
            yield obj, obj["spec"]["jobTemplate"]["spec"]["template"]
        elif obj["kind"] in WORKLOADS:
            yield obj, obj["spec"]["template"]


def containers(pod_spec: Obj) -> list[Obj]:
    return [*pod_spec.get("initContainers", []), *pod_spec.get("containers", [])]


def dapr_deployments(objs: Iterable[Obj]) -> list[Obj]:
    return [
        o
        for o in of_kind(objs, "Deployment")
        if o["spec"]["template"]["metadata"].get("annotations", {}).get("dapr.io/enabled") == "true"
    ]


def app_id(deployment: Obj) -> str:
    return str(deployment["spec"]["template"]["metadata"]["annotations"]["dapr.io/app-id"])


def labels_match(selector: Obj, labels: dict[str, str]) -> bool:
    """Whether a LabelSelector (matchLabels and matchExpressions) selects these labels."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "Ki": 1024.0,
    "Mi": 1024.0**2,
    "Gi": 1024.0**3,
}


def quantity(value: str | int | float) -> float:
    """A Kubernetes resource quantity ('250m', '1Gi', 2) as a number."""
    match = _QUANTITY.match(str(value))
    if not match or match.group(2) not in _SUFFIX:
        raise ValueError(f"not a quantity I know: {value!r}")
    return float(match.group(1)) * _SUFFIX[match.group(2)]


# --- Schemas of built-in kinds (the package kubernetes-validate) ---------------------------


def kubernetes_versions() -> tuple[str, ...]:
    """OLDEST_KUBERNETES and the newest release whose strict schemas are installed."""
    root = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    found = sorted(
        (
            tuple(int(p) for p in entry.name[1:].split("-")[0].split(".")[:2])
            for entry in root.iterdir()
            if entry.name.endswith("-local-strict")
        ),
    )
    newest = f"{found[-1][0]}.{found[-1][1]}"
    return (OLDEST_KUBERNETES, newest) if newest != OLDEST_KUBERNETES else (newest,)


class KubernetesSchemas:
    """Strict JSON schemas of one Kubernetes release: unknown fields are errors."""

    def __init__(self, version: str) -> None:
        self.version = version
        self._dir: Traversable = resources.files("kubernetes_validate").joinpath(
            "kubernetes-json-schema", f"v{version}.0-local-strict"
        )
        if not self._dir.joinpath("_definitions.json").is_file():
            raise LookupError(f"no schemas for Kubernetes {version}")
        definitions = json.loads(self._dir.joinpath("_definitions.json").read_text())
        self.registry: Registry[Any] = Registry().with_resource(
            "https://kubernetes.io/api/_definitions.json",
            Resource.from_contents(definitions, default_specification=DRAFT202012),
        )
        self._validators: dict[tuple[str, str], Any] = {}

    def has(self, api_version: str, kind: str) -> bool:
        return bool(self._file(api_version, kind).is_file())

    def _file(self, api_version: str, kind: str) -> Traversable:
        group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        return self._dir.joinpath(f"{kind.lower()}-{group_version}.json")

    def validator(self, api_version: str, kind: str) -> Any:
        key = (api_version, kind)
        if key not in self._validators:
            schema = json.loads(self._file(api_version, kind).read_text())
            self._validators[key] = jsonschema.Draft202012Validator(schema, registry=self.registry)
        return self._validators[key]

    def object_meta(self) -> Any:
        ref = "https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        return jsonschema.Draft202012Validator({"$ref": ref}, registry=self.registry)

    def errors(self, obj: Obj) -> list[str]:
        found = self.validator(obj["apiVersion"], obj["kind"]).iter_errors(obj)
        return [_describe(error) for error in found]


@functools.cache
def kubernetes_schemas(version: str) -> KubernetesSchemas:
    return KubernetesSchemas(version)


def _describe(error: Any) -> str:
    path = ".".join(str(p) for p in error.absolute_path) or "<root>"
    return f"{path}: {error.message[:300]}"


# --- Schemas of custom resources (openAPIV3Schema of each CRD version) ----------------------


def structural_to_json_schema(node: Any) -> Any:
    """A CRD's structural schema as a JSON schema that rejects unknown fields.

    The API server drops or (with field validation Strict, kubectl's default) refuses fields
    a structural schema does not declare unless x-kubernetes-preserve-unknown-fields is set:
    the JSON schema says additionalProperties: false where the API server would do that.
    """
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {
        k: v for k, v in node.items() if k not in ("x-kubernetes-validations", "default")
    }
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: structural_to_json_schema(v) for k, v in out["properties"].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(out.get(key), dict):
            out[key] = structural_to_json_schema(out[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(out.get(key), list):
            out[key] = [structural_to_json_schema(v) for v in out[key]]
    if out.get("x-kubernetes-int-or-string") is True and "type" not in out:
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    preserve = out.get("x-kubernetes-preserve-unknown-fields") is True
    if (
        out.get("type") == "object"
        and "properties" in out
        and "additionalProperties" not in out
        and not preserve
    ):
        out["additionalProperties"] = False
    if out.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


@dataclass(frozen=True)
class CrdVersion:
    group: str
    kind: str
    version: str
    served: bool
    validator: Any


class CustomResourceSchemas:
    """Validators for the custom resources of the given CRD files."""

    def __init__(self, crd_files: Iterable[Path]) -> None:
        self.versions: dict[tuple[str, str], CrdVersion] = {}
        for path in crd_files:
            for crd in yaml.safe_load_all(path.read_text()):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                for version in crd["spec"]["versions"]:
                    schema = structural_to_json_schema(version["schema"]["openAPIV3Schema"])
                    self.versions[(f"{group}/{version['name']}", kind)] = CrdVersion(
                        group,
                        kind,
                        version["name"],
                        bool(version.get("served")),
                        jsonschema.Draft202012Validator(schema),
                    )

    def has(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self.versions

    def errors(self, obj: Obj) -> list[str]:
        crd = self.versions[(obj["apiVersion"], obj["kind"])]
        problems = [] if crd.served else [f"{obj['apiVersion']} is not served"]
        problems += [_describe(e) for e in crd.validator.iter_errors(obj)]
        return problems


@functools.cache
def custom_resource_schemas() -> CustomResourceSchemas:
    base = schemas_dir()
    files = sorted((base / "dapr" / "crds").glob("*.yaml")) + sorted(
        (base / "strimzi").glob("*.yaml")
    )
    return CustomResourceSchemas(files)


# --- Dapr: injector annotations and component metadata ------------------------------------


@functools.cache
def dapr_annotations() -> frozenset[str]:
    text = (schemas_dir() / "dapr" / "annotations.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


@dataclass(frozen=True)
class ComponentMetadata:
    """What components-contrib's metadata.yaml says about one component type and version."""

    fields: frozenset[str]
    sensitive: frozenset[str]
    required: frozenset[str]
    allowed_values: dict[str, frozenset[str]]
    # Each authentication profile: its required fields and the values they must take.
    profiles: tuple[tuple[frozenset[str], dict[str, frozenset[str]]], ...]


@functools.cache
def component_metadata(component_type: str, version: str) -> ComponentMetadata:
    path = schemas_dir() / "dapr" / "components" / component_type / f"{version}.yaml"
    doc = yaml.safe_load(path.read_text())
    fields: set[str] = set()
    sensitive: set[str] = set()
    allowed: dict[str, set[str]] = {}

    def take(items: list[Obj]) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
        required: set[str] = set()
        values: dict[str, frozenset[str]] = {}
        for item in items:
            fields.add(item["name"])
            if item.get("sensitive"):
                sensitive.add(item["name"])
            if item.get("required"):
                required.add(item["name"])
            if item.get("allowedValues"):
                vals = frozenset(str(v) for v in item["allowedValues"])
                values[item["name"]] = vals
                allowed.setdefault(item["name"], set()).update(vals)
        return frozenset(required), values

    top_required, _ = take(doc.get("metadata") or [])
    profiles = [
        take(p.get("metadata") or [])
        for p in [
            *(doc.get("authenticationProfiles") or []),
            *(doc.get("builtinAuthenticationProfiles") or []),
        ]
    ]
    return ComponentMetadata(
        frozenset(fields),
        frozenset(sensitive),
        top_required,
        {k: frozenset(v) for k, v in allowed.items()},
        tuple(profiles),
    )


def metadata_items(component: Obj) -> dict[str, Obj]:
    return {item["name"]: item for item in component["spec"].get("metadata") or []}


# --- Dockerfiles ----------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction]

    def all(self, keyword: str) -> list[str]:
        return [i.args for i in self.instructions if i.keyword == keyword]


@dataclass
class Dockerfile:
    args: dict[str, str]  # ARG defaults declared before the first FROM
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def resolve(self, text: str) -> str:
        return re.sub(
            r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
            lambda m: self.args.get(m.group(1), m.group(0)),
            text,
        )


def parse_dockerfile(path: Path) -> Dockerfile:
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name, []))
        elif keyword == "ARG" and not stages:
            key, _, default = rest.partition("=")
            args[key] = default
        elif stages:
            stages[-1].instructions.append(Instruction(keyword, rest))
    return Dockerfile(args, stages)


def env_of(stage: Stage) -> dict[str, str]:
    """The ENV key=value pairs a stage sets (the form with '=' only)."""
    import shlex

    env: dict[str, str] = {}
    for args in stage.all("ENV"):
        for token in shlex.split(args):
            key, sep, value = token.partition("=")
            if sep:
                env[key] = value
    return env


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return [str(v) for v in value]
