#!/usr/bin/env bash
# npm test: everything from a fresh clone (Debian 12, root or sudo):
#   lab deps (apt, only if missing) -> npm ci (if node_modules is missing or older than package-lock.json)
#   -> build -> typecheck -> unit tests -> e2e tests against a dedicated, throwaway lab.
# The lab is started in the background while build/typecheck/unit tests run, and always stopped and
# wiped on exit (also on failure or Ctrl-C).
#
#   scripts/test.sh [--unit-only | --load-only]
#   (the load test, test/load/, runs last; S3K_SKIP_LOAD=1 skips it, S3K_LOAD_FILES=N resizes it)
# Env:
#   S3K_TEST_RGW_PORT / S3K_TEST_MON_PORT / S3K_TEST_OIDC_PORT   test lab ports (default 7580 / 3400 / 8899;
#       https is served on RGW port + 3; if those are busy and none is set, the next free set +10, +20, ... is used)
#   S3K_TEST_TIMEOUT_MS   per-test timeout (default 300000)
#   S3K_TEST_KEEP_LAB=1   leave the test lab running at the end (prints how to stop it)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

UNIT_ONLY=0
LOAD_ONLY=0
for a in "$@"; do
  case $a in
    --unit-only) UNIT_ONLY=1 ;;
    --load-only) LOAD_ONLY=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "scripts/test.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done

# --- a clean environment: nothing of the developer's AWS / s3cmd / lab set-up leaks into the tests
for v in $(compgen -e); do
  case $v in AWS_*|S3CMD_CONFIG|LAB_*|CEPH_CONF|S3K_LAB_ENV) unset "$v" ;; esac
done
export AWS_EC2_METADATA_DISABLED=true

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }
T_START=$(now_us)
secs() { local d=$(( $(now_us) - $1 )); printf '%d.%01d s' $((d / 1000000)) $(( (d % 1000000) / 100000 )); }
hdr() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
SUMMARY=()
FAILED=0
record() { # name rc started_us
  local status=ok
  [ "$2" = 0 ] || { status=FAILED; FAILED=1; }
  [ "$2" = skip ] && status=skipped
  SUMMARY+=("$(printf '%-12s %-8s %s' "$1" "$status" "$(secs "$3")")")
}

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/s3k-test.XXXXXX")
TEST_HOME=$TEST_TMP/home
mkdir -p "$TEST_HOME" "$TEST_TMP/tmp"
# traversable, so tests that run s3k as an unprivileged user (setpriv) can reach their temp dirs
chmod 755 "$TEST_TMP" "$TEST_TMP/tmp"
LAB_DIR=
LAB_PID=
LAB_STARTED=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$LAB_PID" ] && kill -0 "$LAB_PID" 2>/dev/null; then
    kill -TERM "$LAB_PID" 2>/dev/null || true # start.sh stops what it started on TERM
    wait "$LAB_PID" 2>/dev/null || true
  fi
  if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
    if [ "${S3K_TEST_KEEP_LAB:-0}" = 1 ] && [ "$LAB_STARTED" = 1 ]; then
      echo "test lab left running: S3K_LAB_ENV=$LAB_DIR/env.json; stop it with: LAB_DIR=$LAB_DIR lab/stop.sh --wipe"
    else
      LAB_DIR=$LAB_DIR bash "$ROOT/lab/stop.sh" --kill --wipe >/dev/null 2>&1 || true
    fi
  fi
  rm -rf "$TEST_TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "scripts/test.sh: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

shopt -s nullglob
UNIT_FILES=(test/unit/*.test.ts)
E2E_FILES=(test/e2e/*.test.ts)
LOAD_FILES=(test/load/*.test.ts)
shopt -u nullglob
[ "${S3K_SKIP_LOAD:-0}" = 1 ] && [ "$LOAD_ONLY" = 0 ] && LOAD_FILES=()
if [ "$LOAD_ONLY" = 1 ]; then UNIT_FILES=(); E2E_FILES=(); fi
RUN_E2E=0
[ "$UNIT_ONLY" = 0 ] && [ $(( ${#E2E_FILES[@]} + ${#LOAD_FILES[@]} )) -gt 0 ] && RUN_E2E=1

# --- 1. system packages for the lab
if [ "$RUN_E2E" = 1 ]; then
  hdr "lab dependencies"
  t=$(now_us)
  bash lab/install-deps.sh --with-test-tools
  record deps 0 "$t"
fi

# --- 2. node_modules
t=$(now_us)
marker=node_modules/.package-lock.json
[ -f "$marker" ] || marker=node_modules
if [ ! -d node_modules ] || [ package-lock.json -nt "$marker" ]; then
  hdr "npm ci"
  npm ci --no-audit --no-fund
  record "npm ci" 0 "$t"
fi

# --- 3. start the test lab in the background (it needs only node + the deps above)
free_set() { # rgw mon oidc -> 0 if all of rgw, rgw+3 (https), mon, mon+1, oidc are free
  local p
  for p in "$1" $(($1 + 3)) "$2" $(($2 + 1)) "$3"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 1; fi
  done
}
if [ "$RUN_E2E" = 1 ]; then
  # test labs left behind by runs that were SIGKILLed (their test.sh pid is gone): stop and remove them
  for d in "${TMPDIR:-/tmp}"/s3k-testlab-*; do
    [ -d "$d" ] && [ -f "$d/ceph.conf" ] || continue
    owner=${d##*-}
    [[ $owner =~ ^[0-9]+$ ]] && ! kill -0 "$owner" 2>/dev/null || continue
    echo "removing a stale test lab: $d"
    LAB_DIR=$d bash lab/stop.sh --kill --wipe >/dev/null 2>&1 || true
  done
  RGW_PORT=${S3K_TEST_RGW_PORT:-7580} MON_PORT=${S3K_TEST_MON_PORT:-3400} OIDC_PORT=${S3K_TEST_OIDC_PORT:-8899}
  if [ -z "${S3K_TEST_RGW_PORT:-}${S3K_TEST_MON_PORT:-}${S3K_TEST_OIDC_PORT:-}" ]; then
    for off in 0 10 20 30 40 50 60 70 80 90; do
      if free_set $((7580 + off)) $((3400 + off)) $((8899 - off)); then
        RGW_PORT=$((7580 + off)) MON_PORT=$((3400 + off)) OIDC_PORT=$((8899 - off)); break
      fi
    done
  fi
  LAB_DIR=${TMPDIR:-/tmp}/s3k-testlab-$$
  LAB_T0=$(now_us)
  (
    trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
    LAB_DIR=$LAB_DIR LAB_RGW_PORT=$RGW_PORT LAB_MON_PORT=$MON_PORT LAB_OIDC_PORT=$OIDC_PORT LAB_SKIP_DEPS=1 \
      bash lab/start.sh >"$TEST_TMP/lab-start.log" 2>&1 </dev/null &
    child=$!
    rc=0
    wait "$child" || rc=$?
    now_us >"$TEST_TMP/lab-ready-at"
    exit "$rc"
  ) &
  LAB_PID=$!
fi

# --- 4. build
hdr "build"
t=$(now_us)
BUILD_OK=1
rc=0
npm run --silent build || rc=$?
record build "$rc" "$t"
if [ "$rc" != 0 ]; then
  BUILD_OK=0
  echo "scripts/test.sh: build failed; unit tests still run, e2e tests will not (they need dist/s3k.mjs)" >&2
fi

# --- 5. typecheck
hdr "typecheck (tsc --noEmit)"
t=$(now_us)
rc=0
node_modules/.bin/tsc --noEmit || rc=$?
record typecheck "$rc" "$t"

# test processes: temp HOME and TMPDIR (wiped at exit), S3K_LAB_ENV for e2e
run_tests() { # label files...
  local label=$1; shift
  env HOME="$TEST_HOME" TMPDIR="$TEST_TMP/tmp" AWS_EC2_METADATA_DISABLED=true ${S3K_LAB_ENV:+S3K_LAB_ENV="$S3K_LAB_ENV"} \
    node --import tsx --test --test-reporter=spec --test-timeout="${S3K_TEST_TIMEOUT_MS:-300000}" "$@"
}

# --- 6. unit tests
hdr "unit tests (${#UNIT_FILES[@]} files)"
t=$(now_us)
if [ ${#UNIT_FILES[@]} -gt 0 ]; then
  rc=0
  run_tests unit "${UNIT_FILES[@]}" || rc=$?
  record unit "$rc" "$t"
else
  echo "no test/unit/*.test.ts files; skipped"
  record unit skip "$t"
fi

# --- 7. e2e tests against the lab
if [ "$UNIT_ONLY" = 1 ]; then
  :
elif [ "$RUN_E2E" = 0 ]; then
  hdr "e2e tests"
  echo "no test/e2e/*.test.ts files; skipped"
else
  hdr "test lab ($LAB_DIR, rgw $RGW_PORT, https $((RGW_PORT + 3)), mon $MON_PORT, oidc $OIDC_PORT)"
  rc=0
  wait "$LAB_PID" || rc=$?
  LAB_PID=
  sed -e 's/^/  /' "$TEST_TMP/lab-start.log"
  LAB_T1=$(cat "$TEST_TMP/lab-ready-at" 2>/dev/null || now_us)
  if [ "$BUILD_OK" = 0 ]; then
    LAB_STARTED=$(( rc == 0 ))
    echo "e2e tests not run: the build failed"
    record e2e 1 "$(now_us)"
  elif [ "$rc" != 0 ]; then
    record "lab start" "$rc" $((LAB_T0 + $(now_us) - LAB_T1))
    echo "scripts/test.sh: the test lab did not start (rc=$rc); e2e tests not run" \
      "(ports: S3K_TEST_RGW_PORT, S3K_TEST_MON_PORT, S3K_TEST_OIDC_PORT)" >&2
  else
    LAB_STARTED=1
    record "lab start" 0 $((LAB_T0 + $(now_us) - LAB_T1))
    if [ ${#E2E_FILES[@]} -gt 0 ]; then
      hdr "e2e tests (${#E2E_FILES[@]} files)"
      t=$(now_us)
      rc=0
      S3K_LAB_ENV=$LAB_DIR/env.json run_tests e2e --test-concurrency=1 "${E2E_FILES[@]}" || rc=$?
      record e2e "$rc" "$t"
    fi
    if [ ${#LOAD_FILES[@]} -gt 0 ]; then
      hdr "load test (${#LOAD_FILES[@]} files)"
      t=$(now_us)
      rc=0
      S3K_LAB_ENV=$LAB_DIR/env.json S3K_TEST_TIMEOUT_MS=${S3K_TEST_TIMEOUT_MS:-1500000} run_tests load --test-concurrency=1 "${LOAD_FILES[@]}" || rc=$?
      record load "$rc" "$t"
    fi
  fi
fi

hdr "summary"
printf '  %s\n' "${SUMMARY[@]}"
echo "  total        $(secs "$T_START")"
if [ "$FAILED" != 0 ]; then
  echo "FAILED"
  exit 1
fi
echo "OK"
