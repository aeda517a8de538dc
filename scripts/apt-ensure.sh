#!/usr/bin/env bash
# Install the given Debian packages, only those missing. Idempotent; one dpkg-query call when
# everything is present. Uses sudo when not root. Shared by lab/install-deps.sh and
# deploy/image/install-deps.sh.
#
#   scripts/apt-ensure.sh [--check] PKG...    --check: only report what is missing (exit 1 if something is)
set -euo pipefail

CHECK=0
PKGS=()
for a in "$@"; do
  case $a in
    --check) CHECK=1 ;;
    -*) echo "apt-ensure.sh: unknown argument: $a" >&2; exit 2 ;;
    *) PKGS+=("$a") ;;
  esac
done
[ ${#PKGS[@]} -gt 0 ] || exit 0

command -v dpkg-query >/dev/null 2>&1 || {
  echo "apt-ensure.sh: dpkg-query not found; this supports Debian 12 (install ${PKGS[*]} yourself)" >&2
  exit 1
}

missing=()
# One call for all packages; a package never installed makes dpkg-query exit 1 with a message on
# stderr, so read the status lines and compare.
status=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null || true)
for p in "${PKGS[@]}"; do
  grep -qx "$p installed" <<<"$status" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$CHECK" = 1 ]; then
  echo "missing: ${missing[*]}"
  exit 1
fi

SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    if [ -t 0 ]; then SUDO=(sudo); else SUDO=(sudo -n); fi
  else
    echo "apt-ensure.sh: missing packages (${missing[*]}) and not root and no sudo; install them as root" >&2
    exit 1
  fi
fi

echo "install: ${missing[*]}"
T0=$(date +%s)
apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -o Dpkg::Use-Pty=0)
# Try without refreshing the package lists first; a fresh machine has none, so update and retry.
if ! "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  "${apt[@]}" update -qq
  "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "installed in $(( $(date +%s) - T0 )) s"
