#!/bin/bash
# Builds the famez lab guest into OUTDIR: vmlinuz (from the Debian kernel
# package linux-image-amd64 depends on; nothing is installed on the host) and
# initrd.gz (static busybox, this folder's init, and the agent compiled here
# with gcc -static). Cheap when built: the kernel is fetched once (KERNEL=FILE
# gives one instead), the initrd is rebuilt when the agent's sources (*.c,
# *.h), init, fam-setup, busybox or this script change. Concurrent builds of one OUTDIR are serialised with flock.
# With `dax`, also initrd-dax.gz for --fam-as nvdimm|cxl: the same, plus the
# nvdimm/dax/cxl modules of the same kernel package (in dependency order, from
# each module's depends= field) and ndctl and cxl from Debian with their libraries.
#   usage: build.sh OUTDIR [dax]     env: KERNEL=FILE, BUSYBOX=FILE, CC=gcc
set -euo pipefail
die() { echo "famez lab: $*" >&2; exit 1; }
OUT=${1:?usage: build.sh OUTDIR [dax]}
DAX=${2:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUSYBOX=${BUSYBOX:-/bin/busybox}
CC=${CC:-gcc}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
exec 9>"$OUT/.lock"
flock 9
tmp=$(mktemp -d "$OUT/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The modules --fam-as nvdimm|cxl loads, and the packages of ndctl and cxl with their libraries.
MODULES="nvdimm/libnvdimm nvdimm/nd_btt nvdimm/nd_pmem acpi/nfit/nfit dax/dax_pmem dax/device_dax
    cxl/core/cxl_core cxl/cxl_port cxl/cxl_acpi cxl/cxl_pci cxl/cxl_mem cxl/cxl_pmem"
DAX_PACKAGES="ndctl libndctl6 libdaxctl1 libcxl1 libiniparser1 libjson-c5 libkeyutils1 libtraceevent1
    libtracefs1 libkmod2 libudev1 libuuid1 liblzma5 libzstd1 libssl3 libc6"

# OUT/dax: modules/*.ko and modules/order, root/ (ndctl, cxl, their libraries), from $tmp (the packages unpacked).
dax_tree() {
    local kdir=$tmp/k dax=$tmp/dax names=() m name deps ko
    rm -rf "$dax" && mkdir -p "$dax/modules" "$dax/root/usr/bin" "$dax/root/lib64" "$dax/root/lib/x86_64-linux-gnu"
    for m in $MODULES; do
        ko=$(compgen -G "$kdir/lib/modules/*/kernel/drivers/$m.ko" | head -n1 || true)
        [ -n "$ko" ] || continue   # built in (cxl_core, cxl_port in Debian's 6.1)
        name=${m##*/}
        deps=$(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | head -n1)
        for d in ${deps//,/ }; do
            case " ${names[*]} " in *" $d "*) ;; *) die "module $name needs $d before it, which is not loaded: fix MODULES in build.sh" ;; esac
        done
        cp "$ko" "$dax/modules/" && names+=("$name")
    done
    [ ${#names[@]} -gt 0 ] || die "no nvdimm modules in the kernel package"
    printf '%s\n' "${names[@]}" >"$dax/modules/order"
    echo "$pkg" >"$dax/kernel-package"
    local u=$tmp/u lib
    mkdir -p "$u"
    for deb in "$tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$u"; done
    cp "$u/usr/bin/ndctl" "$u/usr/bin/cxl" "$dax/root/usr/bin/"
    cp -L "$u/lib64/ld-linux-x86-64.so.2" "$dax/root/lib64/"
    local path="$u/lib/x86_64-linux-gnu:$u/usr/lib/x86_64-linux-gnu"
    for lib in $(for b in ndctl cxl; do "$u/lib64/ld-linux-x86-64.so.2" --library-path "$path" --list "$u/usr/bin/$b"; done |
        sed -n 's/^.* => \([^ ]*\) .*$/\1/p' | sort -u); do
        case "$lib" in "$u"/*) cp -L "$lib" "$dax/root/lib/x86_64-linux-gnu/" ;;
            *) die "ndctl needs $lib, which is not in the packages: add its package to DAX_PACKAGES in build.sh" ;; esac
    done
    rm -rf "$OUT/dax" && mv "$dax" "$OUT/dax"
}

if [ -n "${KERNEL:-}" ]; then
    [ -s "$KERNEL" ] || die "no kernel at $KERNEL"
    [ -z "$DAX" ] ||
        die "--fam-as nvdimm|cxl needs the modules of the kernel: drop --kernel (the lab takes them from Debian's package), or give an --initrd with yours"
elif [ ! -s "$OUT/vmlinuz" ] || { [ -n "$DAX" ] && [ "$(cat "$OUT/dax/kernel-package" 2>/dev/null)" != "$(cat "$OUT/kernel-package" 2>/dev/null)" ]; }; then
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
    mkdir -p "$tmp/k"
    dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp/k" --wildcards './boot/vmlinuz-*' \
        './lib/modules/*/kernel/drivers/nvdimm/*' './lib/modules/*/kernel/drivers/dax/*' \
        './lib/modules/*/kernel/drivers/acpi/nfit/*' './lib/modules/*/kernel/drivers/cxl/*' ||
        die "no kernel in $pkg"
    if [ -n "$DAX" ]; then
        mkdir -p "$tmp/debs"
        # shellcheck disable=SC2086  # a list of package names
        (cd "$tmp/debs" && apt-get download -qq "${sandbox[@]}" $DAX_PACKAGES) >&2 ||
            die "apt-get download of ndctl and its libraries failed ($DAX_PACKAGES)"
        dax_tree
    fi
    cp "$tmp"/k/boot/vmlinuz-* "$OUT/vmlinuz.tmp" && mv -f "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
    echo "$pkg" >"$OUT/kernel-package"
fi

[ -x "$BUSYBOX" ] || die "no static busybox at $BUSYBOX (apt-get install busybox-static), or give --initrd FILE"
! ldd "$BUSYBOX" >/dev/null 2>&1 || die "$BUSYBOX is dynamically linked: the guest needs a static one (apt-get install busybox-static)"
hash=$(cat "$HERE"/*.c "$HERE"/*.h "$HERE/init" "$HERE/fam-setup" "$BUSYBOX" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
dax_hash=$({ [ -z "$DAX" ] || cat "$OUT/dax/kernel-package" "$OUT/dax/modules/order"; } | sha256sum | cut -d' ' -f1)
# pack NAME ROOT HASH: ROOT as OUT/NAME.gz, noted in OUT/NAME.sha256.
pack() {
    (cd "$2" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -9n >"$OUT/$1.gz.tmp"
    mv -f "$OUT/$1.gz.tmp" "$OUT/$1.gz"
    echo "$3" >"$OUT/$1.sha256"
}
stale() { [ ! -s "$OUT/$1.gz" ] || [ "$(cat "$OUT/$1.sha256" 2>/dev/null)" != "$2" ]; }
if stale initrd "$hash" || { [ -n "$DAX" ] && stale initrd-dax "$hash$dax_hash"; }; then
    command -v "$CC" >/dev/null || die "no $CC to build the guest agent (apt-get install gcc libc6-dev), or give --initrd FILE"
    command -v cpio >/dev/null || die "no cpio to pack the initrd (apt-get install cpio)"
    root=$tmp/root
    mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/run"
    "$CC" -static -O2 -Wall -o "$root/bin/famez-agent" "$HERE"/*.c || die "the guest agent did not compile (a static libc: apt-get install libc6-dev)"
    cp "$BUSYBOX" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    install -m 755 "$HERE/init" "$root/init"
    install -m 755 "$HERE/fam-setup" "$root/bin/famez-fam-setup"
    pack initrd "$root" "$hash"
    if [ -n "$DAX" ]; then
        mkdir -p "$root/lib/modules"
        cp -a "$OUT/dax/modules" "$root/lib/modules/famez"
        cp -a "$OUT/dax/root/." "$root/"
        pack initrd-dax "$root" "$hash$dax_hash"
    fi
fi
echo "famez lab guest: ${KERNEL:-$OUT/vmlinuz} $OUT/initrd${DAX:+-dax}.gz"
