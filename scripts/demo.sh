#!/usr/bin/env bash
# npm run demo: s3k with IRSA, the way it runs in an EKS pod, against the local lab.
#   lab deps -> npm ci (if needed) -> build -> start the demo lab (left running) -> IAM set-up
#   (OIDC provider + role trusted by system:serviceaccount:default:s3-full-access) -> service-account
#   token in $LAB_DIR/sa/token -> s3k mb + ls in an environment that holds NO keys at all:
#   only AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (+ region and endpoints pointing at the lab).
# Lab settings: LAB_DIR, LAB_RGW_PORT, LAB_MON_PORT, LAB_OIDC_PORT (see lab/start.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export LAB_DIR=${LAB_DIR:-/tmp/s3k-lab}
case $LAB_DIR in /*) ;; *) LAB_DIR=$PWD/$LAB_DIR ;; esac
hdr() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

DEMO_HOME=$(mktemp -d "${TMPDIR:-/tmp}/s3k-demo-home.XXXXXX")
trap 'rm -rf "$DEMO_HOME"' EXIT

hdr "dependencies"
bash lab/install-deps.sh
marker=node_modules/.package-lock.json
[ -f "$marker" ] || marker=node_modules
if [ ! -d node_modules ] || [ package-lock.json -nt "$marker" ]; then
  npm ci --no-audit --no-fund
fi

hdr "build"
npm run --silent build
echo "dist/s3k.mjs built"

hdr "lab ($LAB_DIR)"
bash lab/start.sh
# shellcheck disable=SC1091
. "$LAB_DIR/env"

hdr "IAM: OIDC provider + role for service account default/s3-full-access"
SETUP=$(node lab/irsa.mjs setup --role s3-full-access --ns default --sa s3-full-access)
echo "$SETUP"
ROLE_ARN=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).roleArn)' "$SETUP")

# Where EKS mounts it: /var/run/secrets/eks.amazonaws.com/serviceaccount/token
TOKEN_FILE=$LAB_DIR/sa/token
node lab/irsa.mjs token --out "$TOKEN_FILE" --ns default --sa s3-full-access --ttl 86400
echo "service-account token written to $TOKEN_FILE (valid 24 h)"

# The pod's environment, also saved for trying more commands by hand.
POD_ENV=(
  AWS_ROLE_ARN="$ROLE_ARN"
  AWS_WEB_IDENTITY_TOKEN_FILE="$TOKEN_FILE"
  AWS_REGION=us-east-1
  AWS_ENDPOINT_URL_S3="$LAB_ENDPOINT"
  AWS_ENDPOINT_URL_STS="$LAB_ENDPOINT"
  AWS_EC2_METADATA_DISABLED=true
)
for kv in "${POD_ENV[@]}"; do printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"; done >"$LAB_DIR/sa/irsa.env"
mkdir -p "$LAB_DIR/sa/home" # an empty HOME for trying commands by hand

hdr "s3k with IRSA: no keys anywhere, only a role and a token file"
echo "env -i PATH=... HOME=<empty temp dir> \\"
for kv in "${POD_ENV[@]}"; do echo "  $kv \\"; done
echo "  node dist/s3k.mjs ..."
pod() {
  echo
  echo "\$ s3k $*"
  env -i PATH="$PATH" HOME="$DEMO_HOME" "${POD_ENV[@]}" node "$ROOT/dist/s3k.mjs" "$@"
}
BUCKET=s3k-demo-$(date +%Y%m%d-%H%M%S)
rc=0
# The bucket is created through the role: in RGW a role session lists only buckets its role owns.
pod mb "s3://$BUCKET" || rc=$?
[ "$rc" = 0 ] && { pod ls || rc=$?; }

echo
if [ "$rc" != 0 ]; then
  echo "demo: s3k failed (exit $rc)." >&2
fi
echo "The demo lab is still running (S3 $LAB_ENDPOINT, OIDC issuer $LAB_OIDC_ISSUER)."
echo "Try more:  env -i PATH=\"\$PATH\" HOME=$LAB_DIR/sa/home bash -c '. $LAB_DIR/sa/irsa.env && node dist/s3k.mjs ls s3://$BUCKET'"
echo "Stop it:   npm run lab:stop    (or: LAB_DIR=$LAB_DIR bash lab/stop.sh --wipe)"
exit "$rc"
