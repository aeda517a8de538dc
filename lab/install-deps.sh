#!/usr/bin/env bash
# Install the Debian 12 packages the lab needs, only if some are missing.
# Idempotent and a fast no-op when everything is present (one dpkg-query call).
#
#   lab/install-deps.sh              ceph (mon, osd, radosgw, cli) + uuid-runtime curl openssl procps
#   lab/install-deps.sh --with-s3cmd also s3cmd (or LAB_WITH_S3CMD=1), for s3cmd compatibility tests
#   lab/install-deps.sh --with-test-tools  also what npm test uses: s3cmd, faketime (clock skew tests), time (peak RSS),
#                                    zsh (completion tests), man-db and groff-base (man -l of the man page)
#   lab/install-deps.sh --check      only report what is missing (exit 1 if something is)
#
# Uses sudo when not root. apt-get update runs only when something has to be installed.
set -euo pipefail

PKGS=(radosgw ceph-mon ceph-osd ceph-common uuid-runtime curl openssl procps)
CHECK=0
[ "${LAB_WITH_S3CMD:-0}" = 1 ] && PKGS+=(s3cmd)
for a in "$@"; do
  case $a in
    --with-s3cmd) PKGS+=(s3cmd) ;;
    --with-test-tools) PKGS+=(s3cmd faketime time zsh man-db groff-base) ;;
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done

node_ok=1
if ! command -v node >/dev/null 2>&1; then node_ok=0
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then node_ok=0; fi
[ "$node_ok" = 1 ] || echo "install-deps.sh: warning: Node.js >= 20 is required (not installed by this script)" >&2

args=()
[ "$CHECK" = 1 ] && args+=(--check)
exec bash "$(dirname "${BASH_SOURCE[0]}")/../scripts/apt-ensure.sh" "${args[@]}" "${PKGS[@]}"
