#!/usr/bin/env bash
# Install the Debian packages that build and run the image without a Docker engine (podman, buildah,
# runc; qemu-user for the arm64 image), only if some are missing. Idempotent; a fast no-op when everything is present.
#
#   deploy/image/install-deps.sh           install what is missing (apt-get; sudo when not root)
#   deploy/image/install-deps.sh --check   only report what is missing (exit 1 if something is)
#
# runc, not crun: crun refuses hosts with hybrid cgroups (v1 + v2), which some CI VMs have.
set -euo pipefail

# qemu-user-static runs the arm64 Node (the SEA blob, checks, tests); binutils-aarch64-linux-gnu strips it.
PKGS=(podman buildah runc binutils ca-certificates qemu-user-static binutils-aarch64-linux-gnu)
CHECK=0
for a in "$@"; do
  case $a in
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done

args=()
[ "$CHECK" = 1 ] && args+=(--check)
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../scripts/apt-ensure.sh" "${args[@]}" "${PKGS[@]}"
