#!/usr/bin/env bash
# Start a throwaway S3 + STS + IAM lab on 127.0.0.1: single-node Ceph (1 mon, 1 memstore OSD,
# no mgr, no cephx) + radosgw (beast) + a local OIDC issuer (lab/oidc-issuer.mjs).
# Everything lives in $LAB_DIR; data is in RAM (memstore), so a restart starts empty.
#
# Env (all optional):
#   LAB_DIR            /tmp/s3k-lab     state, logs, pid files, env files
#   LAB_RGW_PORT       7480             S3/STS/IAM endpoint http://127.0.0.1:$LAB_RGW_PORT
#   LAB_RGW_TLS_PORT   LAB_RGW_PORT+3   the same over TLS: https://127.0.0.1:$LAB_RGW_TLS_PORT, its certificate
#                                       signed by a throwaway CA made at each start ($LAB_DIR/tls/ca.pem)
#   LAB_MON_PORT       3300             mon msgr v2 port
#   LAB_MON_V1_PORT    LAB_MON_PORT+1   mon msgr v1 port
#   LAB_OIDC_PORT      8999             OIDC issuer http://127.0.0.1:$LAB_OIDC_PORT
#   LAB_RGW_EXTRA_CONF                  extra ceph.conf lines for the [client.rgw.a] section
#   LAB_RGW_DEBUG      1                'debug rgw' level (20 for STS/auth troubleshooting)
#   LAB_MEMSTORE_BYTES 4294967296       OSD RAM cap
#   LAB_SKIP_DEPS=1                     do not run lab/install-deps.sh
#
# Idempotent: if the lab in $LAB_DIR is already running and answering, prints its env and exits 0.
# Writes $LAB_DIR/env (shell export lines, mode 600) and $LAB_DIR/env.json (same values).
# Stop with: LAB_DIR=... lab/stop.sh [--wipe]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_DIR=${LAB_DIR:-/tmp/s3k-lab}
case $LAB_DIR in /*) ;; *) LAB_DIR=$PWD/$LAB_DIR ;; esac
LAB_DIR=${LAB_DIR%/}
LAB_RGW_PORT=${LAB_RGW_PORT:-7480}
LAB_MON_PORT=${LAB_MON_PORT:-3300}
LAB_MON_V1_PORT=${LAB_MON_V1_PORT:-$((LAB_MON_PORT + 1))}
LAB_OIDC_PORT=${LAB_OIDC_PORT:-8999}
# (a non-numeric LAB_RGW_PORT is reported with the other ports below)
LAB_RGW_TLS_PORT=${LAB_RGW_TLS_PORT:-$(( 10#0${LAB_RGW_PORT//[^0-9]/} + 3 ))}
ENDPOINT=http://127.0.0.1:$LAB_RGW_PORT
HTTPS_ENDPOINT=https://127.0.0.1:$LAB_RGW_TLS_PORT
TLS_DIR=$LAB_DIR/tls
CA_FILE=$TLS_DIR/ca.pem
ISSUER=http://127.0.0.1:$LAB_OIDC_PORT
RUN=$LAB_DIR/run

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }
T0=$(now_us)
# progress output must never break the start (e.g. stdout piped into head)
trap '' PIPE
ts() { printf '[%5d ms] %s\n' $(( ($(now_us) - T0) / 1000 )) "$*" 2>/dev/null || true; }
die() { echo "lab/start.sh: $*" >&2; exit 1; }

# --- already running? ----------------------------------------------------------------------
# "alive" = process exists and is not a zombie (some container PID 1s reap late).
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [ -n "$st" ] && [ "${st#Z}" = "$st" ]; }
DAEMONS=(oidc client.rgw.a osd.0 mon.a)
n_alive=0
for d in "${DAEMONS[@]}"; do
  f=$RUN/$d.pid
  [ -s "$f" ] && alive "$(cat "$f")" && n_alive=$((n_alive + 1))
done

show_env() {
  {
    echo "lab env: $LAB_DIR/env (shell: . $LAB_DIR/env), $LAB_DIR/env.json"
    sed -e 's/^export /  /' -e 's/^\(  LAB_ADMIN_SECRET_KEY\)=.*/\1=<see env file>/' "$LAB_DIR/env"
    echo "stop: LAB_DIR=$LAB_DIR $HERE/stop.sh [--wipe]"
  } 2>/dev/null || true
}

if [ "$n_alive" = ${#DAEMONS[@]} ] && [ -f "$LAB_DIR/env" ]; then
  # shellcheck disable=SC1091
  running_ep=$( . "$LAB_DIR/env"; echo "$LAB_ENDPOINT") running_iss=$( . "$LAB_DIR/env"; echo "$LAB_OIDC_ISSUER")
  running_tls=$( . "$LAB_DIR/env"; echo "${LAB_HTTPS_ENDPOINT:-none}")
  if curl -s -o /dev/null --max-time 2 "$running_ep/" && curl -sf -o /dev/null --max-time 2 "$running_iss/healthz"; then
    if [ "$running_ep" != "$ENDPOINT" ] || [ "$running_iss" != "$ISSUER" ] || [ "$running_tls" != "$HTTPS_ENDPOINT" ]; then
      die "the lab in $LAB_DIR is already running at $running_ep / $running_tls / $running_iss (asked for $ENDPOINT / $HTTPS_ENDPOINT / $ISSUER); stop it first: LAB_DIR=$LAB_DIR $HERE/stop.sh"
    fi
    echo "lab already running in $LAB_DIR"
    show_env
    exit 0
  fi
fi
if [ "$n_alive" -gt 0 ]; then
  echo "lab in $LAB_DIR is only partly running ($n_alive of ${#DAEMONS[@]} daemons); restarting it"
  LAB_DIR=$LAB_DIR "$HERE/stop.sh" >/dev/null
fi

# --- preflight -----------------------------------------------------------------------------
[ "${LAB_SKIP_DEPS:-0}" = 1 ] || "$HERE/install-deps.sh"
for c in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool uuidgen curl openssl node; do
  command -v "$c" >/dev/null 2>&1 || die "$c not found (run lab/install-deps.sh)"
done

declare -A seen=()
for pair in "rgw:$LAB_RGW_PORT" "rgw-tls:$LAB_RGW_TLS_PORT" "mon:$LAB_MON_PORT" "mon-v1:$LAB_MON_V1_PORT" "oidc:$LAB_OIDC_PORT"; do
  name=${pair%%:*} port=${pair#*:}
  [[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "bad port for $name: $port"
  [ -z "${seen[$port]:-}" ] || die "port $port is configured for both ${seen[$port]} and $name"
  seen[$port]=$name
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    who=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -1 | sed 's/users:(("//; s/",pid=/ pid /' || true)
    die "port $port ($name) on 127.0.0.1 is already in use${who:+ by $who}; stop that or pick another port (LAB_RGW_PORT, LAB_RGW_TLS_PORT, LAB_MON_PORT, LAB_MON_V1_PORT, LAB_OIDC_PORT)"
  fi
done

if [ -e "$LAB_DIR" ]; then
  if [ -f "$LAB_DIR/ceph.conf" ] || [ -f "$LAB_DIR/env" ] || [ -z "$(ls -A "$LAB_DIR")" ]; then
    rm -rf "$LAB_DIR"
  else
    die "$LAB_DIR exists and does not look like a lab directory; refusing to wipe it"
  fi
fi
mkdir -p "$LAB_DIR"
chmod 700 "$LAB_DIR"
mkdir -p "$RUN" "$LAB_DIR"/{log,mon.a,osd.0,rgw.a,oidc,tls}

# On failure: show where to look, stop whatever was started (logs are kept).
started=0
on_exit() {
  local rc=$?
  if [ "$rc" != 0 ] && [ "$started" = 1 ]; then
    echo "lab/start.sh: FAILED (rc=$rc); logs in $LAB_DIR/log; stopping what was started" >&2
    for l in "$LAB_DIR"/log/*.log; do [ -s "$l" ] && { echo "--- tail $l" >&2; tail -n 5 "$l" >&2; }; done
    LAB_DIR=$LAB_DIR "$HERE/stop.sh" --kill >/dev/null 2>&1 || true
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM
started=1

# --- OIDC issuer (in the background while Ceph comes up) ---------------------------------------
OIDC_PORT=$LAB_OIDC_PORT OIDC_DIR=$LAB_DIR/oidc OIDC_ISSUER=$ISSUER OIDC_PIDFILE=$RUN/oidc.pid \
  setsid node "$HERE/oidc-issuer.mjs" >"$LAB_DIR/log/oidc.log" 2>&1 </dev/null &
echo $! >"$RUN/oidc.pid" # setsid execs node here (no fork), so this is the issuer's pid

# --- TLS: a throwaway CA and a server certificate for 127.0.0.1 / localhost -------------------
# P-256 keys (generated in milliseconds); the CA signs the server certificate, so a client that trusts
# ca.pem verifies the chain and the name. Only ca.pem is meant for clients; the keys stay in $TLS_DIR.
tls_log=$LAB_DIR/log/openssl.log
(
  cd "$TLS_DIR"
  umask 077
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
    -subj "/CN=s3k lab throwaway CA $(date -u +%Y%m%dT%H%M%SZ)" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
  printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \
    'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" -days 30 \
    -extfile server.ext -out server.pem
  chmod 644 ca.pem
  rm -f server.csr server.ext
) >"$tls_log" 2>&1 || die "could not make the lab's TLS certificates (see $tls_log)"

# --- ceph.conf -------------------------------------------------------------------------------
FSID=$(uuidgen)
STS_KEY=$(openssl rand -hex 8) # exactly 16 chars
CONF=$LAB_DIR/ceph.conf
export CEPH_CONF=$CONF
cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$LAB_MON_PORT,v1:127.0.0.1:$LAB_MON_V1_PORT]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.1/32
ms bind ipv4 = true
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = $RUN
pid file = $RUN/\$name.pid
admin socket = $RUN/\$name.asok
log file = $LAB_DIR/log/\$name.log
crash dir = $LAB_DIR/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0

[mon]
mon data = $LAB_DIR/mon.\$id
mon data avail warn = 1
mon data avail crit = 0
# the default of 1 s per osdmap proposal makes every pool create / app enable take about 1 s
paxos propose interval = 0.05
paxos min wait = 0.01

[osd]
osd data = $LAB_DIR/osd.\$id
osd objectstore = memstore
memstore device bytes = ${LAB_MEMSTORE_BYTES:-4294967296}
osd max object size = 134217728

[client.rgw.a]
rgw data = $LAB_DIR/rgw.a
# tcp_nodelay=1: without it every request on a kept-alive connection stalls ~40 ms (Nagle vs delayed ACK)
rgw frontends = beast endpoint=127.0.0.1:$LAB_RGW_PORT ssl_endpoint=127.0.0.1:$LAB_RGW_TLS_PORT ssl_certificate=$TLS_DIR/server.pem ssl_private_key=$TLS_DIR/server.key tcp_nodelay=1
rgw thread pool size = 64
rgw enable apis = s3, admin, sts, iam
rgw s3 auth use sts = true
rgw sts key = $STS_KEY
# radosgw defaults to ms_mon_client_mode=secure and auth_client_required=cephx; undo both for auth none
auth client required = none
ms mon client mode = crc
debug rgw = ${LAB_RGW_DEBUG:-1}
${LAB_RGW_EXTRA_CONF:-}
EOF

# --- mon -------------------------------------------------------------------------------------
monmaptool --create --clobber --fsid "$FSID" \
  --addv a "[v2:127.0.0.1:$LAB_MON_PORT,v1:127.0.0.1:$LAB_MON_V1_PORT]" "$LAB_DIR/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$LAB_DIR/monmap" >>"$LAB_DIR/log/mkfs.log" 2>&1
ceph-mon -c "$CONF" -i a >>"$LAB_DIR/log/daemon-start.log" 2>&1
ts "mon started (pid $(cat "$RUN/mon.a.pid" 2>/dev/null || echo '?'))"

# --- osd -------------------------------------------------------------------------------------
OSD_UUID=$(uuidgen)
OSD_ID=$(ceph --connect-timeout 30 osd new "$OSD_UUID" 2>>"$LAB_DIR/log/ceph-cli.log")
[ "$OSD_ID" = 0 ] || die "unexpected osd id '$OSD_ID'"
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >>"$LAB_DIR/log/mkfs.log" 2>&1
ceph-osd -c "$CONF" -i 0 >>"$LAB_DIR/log/daemon-start.log" 2>&1
up=0
for _ in $(seq 1 160); do
  if ceph osd dump 2>>"$LAB_DIR/log/ceph-cli.log" | grep -q '^osd.0 up'; then up=1; break; fi
  sleep 0.2
done
[ "$up" = 1 ] || die "osd.0 did not come up (see $LAB_DIR/log/osd.0.log)"
ts "osd.0 up (pid $(cat "$RUN/osd.0.pid"))"

# --- radosgw ---------------------------------------------------------------------------------
radosgw -c "$CONF" -n client.rgw.a >>"$LAB_DIR/log/daemon-start.log" 2>&1
ok=0
for _ in $(seq 1 600); do
  if curl -s -o /dev/null --max-time 1 "$ENDPOINT/"; then ok=1; break; fi
  sleep 0.1
done
[ "$ok" = 1 ] || die "radosgw is not answering on $ENDPOINT (see $LAB_DIR/log/client.rgw.a.log)"
ts "radosgw answering on $ENDPOINT (pid $(cat "$RUN/client.rgw.a.pid"))"
# both frontends are up once the first answers, but check the TLS one with the CA (chain + name)
ok=0
for _ in $(seq 1 50); do
  if curl -s -o /dev/null --max-time 1 --cacert "$CA_FILE" "$HTTPS_ENDPOINT/"; then ok=1; break; fi
  sleep 0.1
done
[ "$ok" = 1 ] || die "radosgw is not answering on $HTTPS_ENDPOINT with a certificate that $CA_FILE verifies (curl -v --cacert $CA_FILE $HTTPS_ENDPOINT/; see $LAB_DIR/log/client.rgw.a.log)"
ts "radosgw answering on $HTTPS_ENDPOINT (CA $CA_FILE)"

# RGW generates the keys, so the secret never appears on a command line (ps)
USER_JSON=$(radosgw-admin -c "$CONF" user create --uid=admin --display-name=admin \
  --caps="roles=*;oidc-provider=*;users=*;buckets=*;metadata=*;usage=*" 2>>"$LAB_DIR/log/ceph-cli.log")
read -r ADMIN_AK ADMIN_SK < <(node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const k = JSON.parse(s).keys[0]; process.stdout.write(`${k.access_key} ${k.secret_key}\n`);
  });' <<<"$USER_JSON")
unset USER_JSON
[ -n "$ADMIN_AK" ] && [ -n "$ADMIN_SK" ] || die "could not read the admin keys from radosgw-admin"
ts "admin user created"

# --- issuer ready? ---------------------------------------------------------------------------
ok=0
for _ in $(seq 1 100); do
  if curl -sf -o /dev/null --max-time 1 "$ISSUER/healthz"; then ok=1; break; fi
  sleep 0.1
done
[ "$ok" = 1 ] || die "OIDC issuer is not answering on $ISSUER (see $LAB_DIR/log/oidc.log)"
ts "OIDC issuer answering on $ISSUER (pid $(cat "$RUN/oidc.pid"))"

# --- env files -------------------------------------------------------------------------------
VARS=(
  LAB_DIR="$LAB_DIR"
  LAB_ENDPOINT="$ENDPOINT"
  LAB_HTTPS_ENDPOINT="$HTTPS_ENDPOINT"
  LAB_CA_FILE="$CA_FILE"
  LAB_REGION=us-east-1
  LAB_ADMIN_ACCESS_KEY="$ADMIN_AK"
  LAB_ADMIN_SECRET_KEY="$ADMIN_SK"
  LAB_OIDC_ISSUER="$ISSUER"
  LAB_OIDC_PORT="$LAB_OIDC_PORT"
  LAB_OIDC_PROVIDER_ARN="arn:aws:iam:::oidc-provider/127.0.0.1:$LAB_OIDC_PORT"
  LAB_RGW_PORT="$LAB_RGW_PORT"
  LAB_RGW_TLS_PORT="$LAB_RGW_TLS_PORT"
  LAB_MON_PORT="$LAB_MON_PORT"
  LAB_MON_V1_PORT="$LAB_MON_V1_PORT"
  CEPH_CONF="$CONF"
)
umask 077
: >"$LAB_DIR/env.tmp"
for kv in "${VARS[@]}"; do printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}" >>"$LAB_DIR/env.tmp"; done
# values go through the environment, not argv (ps would show the secret)
( export "${VARS[@]}"; exec node -e '
  const o = {};
  for (const k of process.argv.slice(1)) o[k] = process.env[k];
  process.stdout.write(JSON.stringify(o, null, 2) + "\n");
' "${VARS[@]%%=*}" ) >"$LAB_DIR/env.json.tmp"
mv "$LAB_DIR/env.json.tmp" "$LAB_DIR/env.json"
mv "$LAB_DIR/env.tmp" "$LAB_DIR/env" # written last: its presence means "lab is up"
started=0 # the lab is up: from here on, a failure (e.g. a closed stdout) must not tear it down

ts "lab ready"
show_env
