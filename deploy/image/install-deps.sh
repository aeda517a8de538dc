#!/usr/bin/env bash
# Install the Debian packages that build and run the image without a Docker engine (podman, buildah,
# runc), only if some are missing. Idempotent; a fast no-op when everything is present.
#
#   deploy/image/install-deps.sh           install what is missing (apt-get; sudo when not root)
#   deploy/image/install-deps.sh --check   only report what is missing (exit 1 if something is)
#
# runc, not crun: crun refuses hosts with hybrid cgroups (v1 + v2), which some CI VMs have.
set -euo pipefail

PKGS=(podman buildah runc binutils ca-certificates)
CHECK=0
for a in "$@"; do
  case $a in
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done

command -v dpkg-query >/dev/null 2>&1 || {
  echo "install-deps.sh: dpkg-query not found; install ${PKGS[*]} (or docker) yourself" >&2
  exit 1
}
missing=()
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
    echo "install-deps.sh: missing packages (${missing[*]}) and not root and no sudo; install them as root" >&2
    exit 1
  fi
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
if ! "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"; then
  "${apt[@]}" update -q
  "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"
fi
