#!/bin/bash
# Build QEMU's own ivshmem-server and ivshmem-client (contrib/ in QEMU's
# source) for the interoperability tests: OUTDIR/ivshmem-server and
# OUTDIR/ivshmem-client.
#
#   usage: build-qemu-tools.sh OUTDIR
#
# Debian ships neither program, so this fetches the source of the QEMU that
# Debian 12 runs (7.2, Debian's orig tarball, checked against a pinned
# SHA-256), configures it for tools only and builds just these two targets
# (about a minute on 2 cores). Nothing of QEMU is kept but the two binaries.
# Cheap when already built. Concurrent runs on one OUTDIR are serialised.
#
# Needs (Debian packages): curl, xz-utils, meson, ninja-build, pkg-config,
# libglib2.0-dev, gcc, python3, util-linux (flock).
# DEBIAN_MIRROR overrides http://deb.debian.org/debian.
set -euo pipefail

die() { echo "famez qemu-tools build: $*" >&2; exit 1; }

OUT=${1:-}
[ -n "$OUT" ] || die "usage: build-qemu-tools.sh OUTDIR"

VERSION=7.2+dfsg
TARBALL=qemu_${VERSION}.orig.tar.xz
SHA256=91aca71520040edc40b8d437aa3004dae614f58e286cf653ee8996c07af2962f
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
URL=$MIRROR/pool/main/q/qemu/$TARBALL

for t in curl:curl xz:xz-utils tar:tar meson:meson ninja:ninja-build pkg-config:pkg-config \
         cc:gcc python3:python3 flock:util-linux sha256sum:coreutils; do
    command -v "${t%%:*}" >/dev/null 2>&1 || die "missing tool '${t%%:*}' (apt-get install ${t#*:})"
done
pkg-config --exists glib-2.0 || die "missing glib headers (apt-get install libglib2.0-dev)"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
exec 9>"$OUT/.lock"
flock 9

built() { [ -x "$OUT/ivshmem-server" ] && [ -x "$OUT/ivshmem-client" ] && [ "$(cat "$OUT/version" 2>/dev/null)" = "$VERSION" ]; }
built && exit 0

WORK=$(mktemp -d "$OUT/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "famez qemu-tools build: fetching $URL" >&2
curl -fsS --retry 3 -o "$WORK/$TARBALL" "$URL" || die "cannot download $URL (set DEBIAN_MIRROR to a reachable Debian mirror)"
echo "$SHA256  $WORK/$TARBALL" | sha256sum -c --quiet - || die "$TARBALL does not match its pinned SHA-256"
tar -xJf "$WORK/$TARBALL" -C "$WORK"
SRC=$(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*' | head -n 1)
[ -n "$SRC" ] || die "$TARBALL holds no qemu-* directory"

mkdir "$SRC/build"
log=$WORK/build.log
# Debian's tarball has no firmware blobs and no bundled meson: tools only, system meson.
if ! (cd "$SRC/build" && ../configure --meson=meson --target-list= --without-default-features \
        --disable-system --disable-user --enable-tools --disable-docs --disable-install-blobs \
        --disable-werror) >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "QEMU's configure failed (log above)"
fi
if ! ninja -C "$SRC/build" contrib/ivshmem-server/ivshmem-server contrib/ivshmem-client/ivshmem-client >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "building ivshmem-server and ivshmem-client failed (log above)"
fi

install -m 0755 "$SRC/build/contrib/ivshmem-server/ivshmem-server" "$OUT/ivshmem-server"
install -m 0755 "$SRC/build/contrib/ivshmem-client/ivshmem-client" "$OUT/ivshmem-client"
echo "$VERSION" >"$OUT/version"
echo "famez qemu-tools build: built $OUT/ivshmem-server and $OUT/ivshmem-client from QEMU $VERSION" >&2
