#!/bin/bash
# Builds the famez lab guest into OUTDIR: vmlinuz (from the Debian kernel
# package linux-image-amd64 depends on; nothing is installed on the host) and
# initrd.gz (static busybox, this folder's init, and the agent compiled here
# with gcc -static). Cheap when built: the kernel is fetched once (KERNEL=FILE
# gives one instead), the initrd is rebuilt when the agent's sources (*.c,
# *.h), init, busybox or this script change. Concurrent builds of one OUTDIR are serialised with flock.
#   usage: build.sh OUTDIR     env: KERNEL=FILE, BUSYBOX=FILE, CC=gcc
set -euo pipefail
die() { echo "famez lab: $*" >&2; exit 1; }
OUT=${1:?usage: build.sh OUTDIR}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUSYBOX=${BUSYBOX:-/bin/busybox}
CC=${CC:-gcc}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
exec 9>"$OUT/.lock"
flock 9
tmp=$(mktemp -d "$OUT/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ -n "${KERNEL:-}" ]; then
    [ -s "$KERNEL" ] || die "no kernel at $KERNEL"
elif [ ! -s "$OUT/vmlinuz" ]; then
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
        die "no apt-get here to fetch a Debian kernel: give one with --kernel FILE (PCI, 8250 serial and devtmpfs built in), and --initrd FILE too where there is no static busybox and gcc"
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
    if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq >&2
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
    fi
    [ -n "$pkg" ] || die "apt knows no linux-image-amd64 (run apt-get update as root), or give a kernel with --kernel FILE"
    sandbox=()
    [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
    (cd "$tmp" && apt-get download -qq "${sandbox[@]}" "$pkg") >&2 || die "apt-get download $pkg failed"
    dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*' || die "no kernel in $pkg"
    cp "$tmp"/boot/vmlinuz-* "$OUT/vmlinuz.tmp" && mv -f "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
    echo "$pkg" >"$OUT/kernel-package"
fi

[ -x "$BUSYBOX" ] || die "no static busybox at $BUSYBOX (apt-get install busybox-static), or give --initrd FILE"
! ldd "$BUSYBOX" >/dev/null 2>&1 || die "$BUSYBOX is dynamically linked: the guest needs a static one (apt-get install busybox-static)"
hash=$(cat "$HERE"/*.c "$HERE"/*.h "$HERE/init" "$BUSYBOX" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
if [ ! -s "$OUT/initrd.gz" ] || [ "$(cat "$OUT/initrd.sha256" 2>/dev/null)" != "$hash" ]; then
    command -v "$CC" >/dev/null || die "no $CC to build the guest agent (apt-get install gcc libc6-dev), or give --initrd FILE"
    command -v cpio >/dev/null || die "no cpio to pack the initrd (apt-get install cpio)"
    root=$tmp/root
    mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys"
    "$CC" -static -O2 -Wall -o "$root/bin/famez-agent" "$HERE"/*.c || die "the guest agent did not compile (a static libc: apt-get install libc6-dev)"
    cp "$BUSYBOX" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    install -m 755 "$HERE/init" "$root/init"
    (cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -9n >"$OUT/initrd.gz.tmp"
    mv -f "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"
    echo "$hash" >"$OUT/initrd.sha256"
fi
echo "famez lab guest: ${KERNEL:-$OUT/vmlinuz} $OUT/initrd.gz"
