#!/usr/bin/env bash
# Install the Debian 12 packages the lab needs, only if some are missing.
# Idempotent and a fast no-op when everything is present (one dpkg-query call).
#
#   lab/install-deps.sh              ceph (mon, osd, radosgw, cli) + uuid-runtime curl openssl procps
#   lab/install-deps.sh --with-s3cmd also s3cmd (or LAB_WITH_S3CMD=1), for s3cmd compatibility tests
#   lab/install-deps.sh --with-test-tools  also what npm test uses: s3cmd, faketime (clock skew tests), time (peak RSS)
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
    --with-test-tools) PKGS+=(s3cmd faketime time) ;;
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done

command -v dpkg-query >/dev/null 2>&1 || {
  echo "install-deps.sh: dpkg-query not found; the lab supports Debian 12 (install ${PKGS[*]} yourself)" >&2
  exit 1
}

missing=()
# One call for all packages; a package that was never installed makes dpkg-query exit 1 with a message
# on stderr, so read the status lines and compare.
status=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null || true)
for p in "${PKGS[@]}"; do
  grep -qx "$p installed" <<<"$status" || missing+=("$p")
done

node_ok=1
if ! command -v node >/dev/null 2>&1; then node_ok=0
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then node_ok=0; fi
[ "$node_ok" = 1 ] || echo "install-deps.sh: warning: Node.js >= 20 is required (not installed by this script)" >&2

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$CHECK" = 1 ]; then
  echo "missing: ${missing[*]}"
  exit 1
fi

SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    if [ -t 0 ]; then SUDO=(sudo); else SUDO=(sudo -n); fi
  else
    echo "install-deps.sh: missing packages (${missing[*]}) and not root and no sudo; install them as root" >&2
    exit 1
  fi
fi

echo "install-deps.sh: installing ${missing[*]}"
T0=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
echo "install-deps.sh: installed in $(( $(date +%s) - T0 )) s"
