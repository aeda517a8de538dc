#!/usr/bin/env bash
# npm run bench: s3k against s3cmd, aws (awscli v2) and rclone on a private, throwaway RGW lab.
#   installs what is missing (lab deps, s3cmd, awscli, rclone, GNU time: Debian packages),
#   builds s3k, starts the lab on its own ports, runs bench/bench.mjs, always stops and wipes the lab.
# Env (all optional; see bench/README.md):
#   BENCH_QUICK=1            smoke run: small data, 1 round (about 2 minutes)
#   BENCH_ROUNDS             rounds (default 3; 1 with BENCH_QUICK)
#   BENCH_WORKLOADS          comma list of startup,upload,list,download,delete,big,sync,list100k,sync100k,tls
#                            (default: all but sync100k)
#   BENCH_CLIENTS            comma list of s3cmd,aws,rclone,s3k (default: all)
#   BENCH_BIG_MB             size of the big file in MiB (default 512)
#   BENCH_SMALL_FILES / BENCH_SYNC_FILES / BENCH_LIST_OBJECTS / BENCH_LIST_PREFIX_OBJECTS / BENCH_STARTUP_REPS
#   BENCH_S3K_BIN            an s3k.mjs to measure instead of building dist/s3k.mjs
#   BENCH_S3K_REF            build s3k from this commit (e.g. HEAD) in a clean export, not the work tree
#   BENCH_NO_BUILD=1         use dist/s3k.mjs as it is
#   BENCH_LAB_DIR            lab directory (default /tmp/s3k-benchlab)
#   BENCH_RGW_PORT / BENCH_MON_PORT / BENCH_OIDC_PORT   lab ports (default 7980 / 3900 / 8599)
#   BENCH_MEMSTORE_BYTES     OSD RAM cap (default 8 GiB; data lives in RAM)
#   BENCH_OUT_DIR            where results go (default bench/results)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# --- a clean environment: the developer's AWS / s3cmd / lab settings and CA bundles stay out -------
for v in $(compgen -e); do
  case $v in AWS_*|S3CMD_CONFIG|LAB_*|CEPH_CONF|S3K_*|RCLONE_*|NODE_EXTRA_CA_CERTS) unset "$v" ;; esac
done

export LAB_DIR=${BENCH_LAB_DIR:-/tmp/s3k-benchlab}
export LAB_RGW_PORT=${BENCH_RGW_PORT:-7980}
export LAB_MON_PORT=${BENCH_MON_PORT:-3900}
export LAB_OIDC_PORT=${BENCH_OIDC_PORT:-8599}
export LAB_MEMSTORE_BYTES=${BENCH_MEMSTORE_BYTES:-8589934592}

SUDO=()
if [ "$(id -u)" != 0 ]; then
  if [ -t 0 ]; then SUDO=(sudo); else SUDO=(sudo -n); fi
fi

# --- dependencies --------------------------------------------------------------------------------
bash lab/install-deps.sh
missing=()
[ -x /usr/bin/s3cmd ] || missing+=(s3cmd)
[ -x /usr/bin/aws ] || missing+=(awscli) # Debian's awscli v2 (a pyenv/pip aws v1 may come first on PATH)
[ -x /usr/bin/rclone ] || missing+=(rclone)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -d node_modules/aws4 ] || [ ! -d node_modules/esbuild ]; then npm ci --no-audit --no-fund; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/s3k-bench.XXXXXX")
LAB_STARTED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$LAB_STARTED" = 1 ] || [ -f "$LAB_DIR/ceph.conf" ]; then
    bash "$ROOT/lab/stop.sh" --kill --wipe >/dev/null 2>&1 || echo "bench: could not stop the lab in $LAB_DIR" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

# --- s3k: a private copy, so a concurrent rebuild of dist/ cannot change it mid-run ------------------
if [ -n "${BENCH_S3K_BIN:-}" ]; then
  cp "$BENCH_S3K_BIN" "$WORK/s3k.mjs"
  BENCH_S3K_DESC="given file $BENCH_S3K_BIN"
elif [ -n "${BENCH_S3K_REF:-}" ]; then
  # build a committed version (e.g. HEAD) from a clean export, not the shared work tree
  commit=$(git rev-parse --verify "$BENCH_S3K_REF^{commit}")
  mkdir -p "$WORK/s3k-src"
  git archive "$commit" | tar -x -C "$WORK/s3k-src"
  ln -s "$ROOT/node_modules" "$WORK/s3k-src/node_modules"
  (cd "$WORK/s3k-src" && node scripts/build.mjs)
  cp "$WORK/s3k-src/dist/s3k.mjs" "$WORK/s3k.mjs"
  rm -rf "$WORK/s3k-src"
  BENCH_S3K_DESC="built from commit $(git rev-parse --short "$commit") ($BENCH_S3K_REF)"
else
  if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    if ! npm run --silent build; then
      [ -f dist/s3k.mjs ] || { echo "bench: build failed and there is no dist/s3k.mjs" >&2; exit 1; }
      echo "bench: WARNING: build failed; measuring the existing dist/s3k.mjs" >&2
    fi
  fi
  cp dist/s3k.mjs "$WORK/s3k.mjs"
  dirty=$(git status --porcelain -- src scripts/build.mjs | wc -l)
  BENCH_S3K_DESC="work tree at $(git rev-parse --short HEAD)$([ "$dirty" = 0 ] || echo " + $dirty uncommitted file(s) in src/")"
fi
export BENCH_S3K_BIN=$WORK/s3k.mjs BENCH_WORK=$WORK BENCH_S3K_DESC

# --- the lab -----------------------------------------------------------------------------------------
if [ -f "$LAB_DIR/env" ]; then
  echo "bench: a lab is already running in $LAB_DIR; stopping it first"
  bash lab/stop.sh --kill --wipe >/dev/null
fi
LAB_STARTED=1
LAB_SKIP_DEPS=1 bash lab/start.sh >"$WORK/lab-start.log" 2>&1 || { cat "$WORK/lab-start.log" >&2; exit 1; }
grep -E 'lab ready' "$WORK/lab-start.log" || true
export BENCH_LAB_ENV=$LAB_DIR/env.json

node bench/bench.mjs
