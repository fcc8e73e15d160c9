#!/usr/bin/env bash
# Point the cloud overlay at its public host name and at the images to run:
#   scripts/deploy-cloud-params.sh HOST APP_IMAGE PROCESSORS_IMAGE [PARAMS_FILE]
#   scripts/deploy-cloud-params.sh todo.example.org \
#     fra.ocir.io/mytenancy/taskflow/app:1a2b3c4 fra.ocir.io/mytenancy/taskflow/processors:1a2b3c4
# Writes k8s/overlays/cloud/params.env (or PARAMS_FILE), which the overlay's replacements
# read; `kubectl apply -k k8s/overlays/cloud` then deploys exactly these.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "deploy-cloud-params.sh: $*" >&2; exit 2; }

[[ $# -ge 3 && $# -le 4 ]] || die "usage: $0 HOST APP_IMAGE PROCESSORS_IMAGE [PARAMS_FILE]"
host="$1" app_image="$2" processors_image="$3"
file="${4:-$ROOT/k8s/overlays/cloud/params.env}"

[[ "$host" =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$ ]] \
  || die "not a DNS host name: $host"
for image in "$app_image" "$processors_image"; do
  [[ "$image" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] \
    || die "not REGISTRY/REPOSITORY:TAG: $image"
  [[ "$image" != *:latest ]] || die "pin a version, not latest: $image"
done

tmp="$(mktemp "$file.XXXXXX")"
cat >"$tmp" <<PARAMS
# What differs from one OKE deployment to the next. Edit these three lines (or let
# scripts/deploy-cloud-params.sh or .github/workflows/deploy.yml write them) before
# \`kubectl apply -k k8s/overlays/cloud\`.
# Images are pinned by tag (a release or a commit SHA), never \`latest\`.
host=$host
appImage=$app_image
processorsImage=$processors_image
PARAMS
mv "$tmp" "$file"
echo "deploy-cloud-params.sh: $file -> host=$host" >&2
