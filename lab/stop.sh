#!/usr/bin/env bash
# Stop the lab in $LAB_DIR (default /tmp/s3k-lab): only the processes whose PIDs are recorded in
# $LAB_DIR/run/*.pid, and only if they still are what we started (issuer, radosgw, osd, mon).
# Order: issuer + radosgw, then osd, then mon. SIGTERM, SIGKILL after 10 s.
#   --kill   SIGKILL at once (fine for a memstore throwaway lab)
#   --wipe   delete $LAB_DIR afterwards
set -euo pipefail
LAB_DIR=${LAB_DIR:-/tmp/s3k-lab}
case $LAB_DIR in /*) ;; *) LAB_DIR=$PWD/$LAB_DIR ;; esac
LAB_DIR=${LAB_DIR%/}
SIG=TERM WIPE=0
for a in "$@"; do
  case $a in
    --kill) SIG=KILL ;;
    --wipe) WIPE=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "lab/stop.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }
T0=$(now_us)

# exists and is not a zombie (some container PID 1s reap late, so kill -0 is not enough)
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [ -n "$st" ] && [ "${st#Z}" = "$st" ]; }
# the command line must match what this lab started there, so a recycled PID is never signalled
ours() { # pid pattern
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *$2* ]] && [[ $cmd == *"$LAB_DIR/ceph.conf"* || $2 == oidc-issuer.mjs ]]
}
pattern() {
  case $1 in
    oidc) echo oidc-issuer.mjs ;;
    client.rgw.a) echo radosgw ;;
    osd.0) echo ceph-osd ;;
    mon.a) echo ceph-mon ;;
  esac
}

stop_group() { # names...
  local name f pid pids=() names=()
  for name in "$@"; do
    f=$LAB_DIR/run/$name.pid
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    rm -f "$f"
    [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || continue
    if ! ours "$pid" "$(pattern "$name")"; then
      echo "lab/stop.sh: pid $pid recorded for $name is not the lab's $(pattern "$name"); not touching it" >&2
      continue
    fi
    kill -s "$SIG" "$pid" 2>/dev/null || true
    pids+=("$pid") names+=("$name")
  done
  local i n=${#pids[@]}
  for ((i = 0; i < n; i++)); do
    for _ in $(seq 1 200); do alive "${pids[$i]}" || break; sleep 0.05; done
    if alive "${pids[$i]}"; then
      kill -9 "${pids[$i]}" 2>/dev/null || true
      echo "killed -9 ${names[$i]} (${pids[$i]})"
    else
      echo "stopped ${names[$i]} (${pids[$i]})"
    fi
  done
}

if [ -d "$LAB_DIR/run" ]; then
  stop_group oidc client.rgw.a
  stop_group osd.0
  stop_group mon.a
fi

if [ "$WIPE" = 1 ] && [ -e "$LAB_DIR" ]; then
  if [ -f "$LAB_DIR/ceph.conf" ] || [ -f "$LAB_DIR/env" ] || [ -d "$LAB_DIR/run" ]; then
    rm -rf "$LAB_DIR"
    echo "wiped $LAB_DIR"
  else
    echo "lab/stop.sh: $LAB_DIR does not look like a lab directory; not wiping it" >&2
  fi
else
  rm -f "$LAB_DIR/env" "$LAB_DIR/env.json"
fi
printf 'lab in %s stopped in %d ms\n' "$LAB_DIR" $(( ($(now_us) - T0) / 1000 ))
