#!/bin/bash
# Build the famez e2e test guest: OUTDIR/vmlinuz + OUTDIR/initrd.gz.
#
#   usage: build.sh OUTDIR
#
# - vmlinuz is taken out of the Debian kernel package that linux-image-amd64
#   depends on (apt-get download + dpkg-deb; nothing is installed into the
#   host's /boot). The stock Debian kernel has PCI, the 8250 serial console,
#   devtmpfs, ACPI and /dev/mem built in, so the guest needs no modules.
#   KERNEL_PKG=linux-image-X.Y.Z-N-amd64 pins a package.
# - initrd.gz is a static busybox plus init.sh as /init (about 1 MB,
#   byte-reproducible).
#
# Cheap when already built: the kernel is fetched again only when the kernel
# package changes (it is looked up again only when apt's package lists are
# newer than the last build), and the initrd is rebuilt only when the hash of
# init.sh, busybox and this script changes. Concurrent runs on the same OUTDIR
# are serialised with flock.
#
# Needs (Debian packages): busybox-static, cpio, apt, dpkg, gzip, tar,
# coreutils, util-linux (flock); running the guest needs qemu-system-x86.
# `apt-get update` (root) runs only if apt cannot find linux-image-amd64.
# BUSYBOX=/path/to/static/busybox overrides /bin/busybox.
set -euo pipefail

die() { echo "famez guest build: $*" >&2; exit 1; }

OUT=${1:-}
[ -n "$OUT" ] || die "usage: build.sh OUTDIR"
SELF=${BASH_SOURCE[0]}
case "$SELF" in */*) HERE=${SELF%/*} ;; *) HERE=. ;; esac
HERE=$(cd "$HERE" && pwd)
INIT=$HERE/init.sh
BUSYBOX=${BUSYBOX:-/bin/busybox}

for t in cpio gzip sha256sum flock tar find sort touch mkdir mktemp cat cut cp mv rm chmod ln id ldd head sed; do
    command -v "$t" >/dev/null 2>&1 ||
        die "missing tool '$t' (apt-get install cpio gzip coreutils util-linux tar findutils libc-bin sed)"
done
[ -r "$INIT" ] || die "missing $INIT"
[ -x "$BUSYBOX" ] || die "missing $BUSYBOX (apt-get install busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; the guest needs a static one (apt-get install busybox-static)"
fi

mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
exec 9>"$OUT/.lock"
flock 9
tmp=$(mktemp -d "$OUT/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------- kernel
LISTS=/var/lib/apt/lists
resolve_kernel() {  # the versioned package linux-image-amd64 depends on
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1
}
apt_update() {
    [ "$(id -u)" -eq 0 ] || die "apt has no package lists for linux-image-amd64 and 'apt-get update' needs root"
    echo "famez guest build: apt-get update" >&2
    apt-get update -qq >&2 || die "apt-get update failed"
}
have_kernel() { [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/kernel-package" ]; }
lists_newer() {  # apt lists changed since the kernel was fetched?
    [ -n "$(find "$LISTS" -maxdepth 1 -name '*Packages*' -newer "$OUT/kernel-package" 2>/dev/null | head -n1)" ]
}

kernel_state=cached
pkg=${KERNEL_PKG:-}
if [ -z "$pkg" ] && have_kernel && ! lists_newer; then
    pkg=$(cat "$OUT/kernel-package")
fi
if [ -z "$pkg" ]; then
    command -v apt-cache >/dev/null 2>&1 || die "missing apt-cache (a Debian host is needed to fetch the kernel)"
    pkg=$(resolve_kernel)
    if [ -z "$pkg" ]; then
        apt_update
        pkg=$(resolve_kernel)
        [ -n "$pkg" ] || die "apt cannot find linux-image-amd64 or the kernel package it depends on"
    fi
fi
if ! have_kernel || [ "$(cat "$OUT/kernel-package")" != "$pkg" ]; then
    for t in apt-get dpkg-deb; do
        command -v "$t" >/dev/null 2>&1 || die "missing tool '$t' (a Debian host is needed to fetch the kernel)"
    done
    sandbox=()
    [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
    download() { (cd "$tmp" && apt-get download -qq "${sandbox[@]}" "$pkg") >&2; }
    if ! download; then
        apt_update
        download || die "apt-get download $pkg failed"
    fi
    deb=$(find "$tmp" -maxdepth 1 -name '*.deb' | head -n1)
    [ -n "$deb" ] || die "apt-get download $pkg produced no .deb"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*' ||
        die "no /boot/vmlinuz-* in $pkg"
    kernel=$(find "$tmp/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
    [ -s "$kernel" ] || die "no /boot/vmlinuz-* in $pkg"
    cp "$kernel" "$OUT/vmlinuz.tmp"
    mv -f "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
    echo "$pkg" >"$OUT/kernel-package"
    rm -f "$deb"
    kernel_state=built
else
    touch "$OUT/kernel-package"   # checked against the current apt lists
fi

# ---------------------------------------------------------------- initrd
hash=$(cat "$INIT" "$BUSYBOX" "$SELF" | sha256sum | cut -d' ' -f1)
initrd_state=cached
if [ ! -s "$OUT/initrd.gz" ] || [ "$(cat "$OUT/initrd.sha256" 2>/dev/null)" != "$hash" ]; then
    root=$tmp/root
    mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys"
    cp "$BUSYBOX" "$root/bin/busybox"
    chmod 755 "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    cp "$INIT" "$root/init"
    chmod 755 "$root/init"
    find "$root" -exec touch -h -d @0 {} +          # byte-reproducible archive
    (cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
        gzip -9n >"$OUT/initrd.gz.tmp" || die "cpio/gzip failed"
    mv -f "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"
    echo "$hash" >"$OUT/initrd.sha256"
    initrd_state=built
fi

echo "famez guest: $OUT/vmlinuz ($pkg, $kernel_state) $OUT/initrd.gz ($initrd_state)"
