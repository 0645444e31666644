#!/bin/sh
# /init of the famez e2e test guest: a busybox-only initramfs that talks to an
# ivshmem server through QEMU's `ivshmem-doorbell` device, with no kernel driver.
#
# Driven by the kernel command line:   famez=STEP[,STEP...]   (run in order)
# Numbers are decimal or 0x-hex; durations are milliseconds; offsets are
# 4-byte aligned byte offsets into the shared memory (BAR2).
#   pub:OFF               write 0x465a0000 | my id ("FZ" tag) at OFF
#   write:OFF:VAL         write the 32-bit VAL at OFF
#   read:OFF              report the 32-bit value at OFF
#   waitmem:OFF:VAL[:MS]  wait until shm[OFF] == VAL (default 30000 ms)
#   ring:PEER[:VEC]       ring vector VEC (default 0) of peer id PEER
#   ring:@OFF[:VEC[:MS]]  wait (default 30000 ms) until a peer pub'd at OFF, ring it
#   wait[:MS]             wait for a doorbell on any of my vectors (default 30000 ms)
#   sleep:MS
#
# Output: one serial-console line per result, always
#   FAMEZ id=<my id or ?> <event> key=value ...
# (events: ready pub write read waitmem ring wait sleep done error; the values
# never contain spaces). After the last step it powers off; on an error it
# reports it and powers off. If this script dies, the kernel panics and
# panic=-1 + -no-reboot end QEMU.
#
# How doorbells are seen: ivshmem-doorbell signals only through MSI-X. We
# enable MSI-X from user space but leave every vector masked (its reset state),
# so an incoming doorbell only sets that vector's Pending Bit, which we poll in
# the PBA. To clear a bit we unmask and re-mask the vector; Bus Master stays
# off, so the MSI message QEMU then sends goes nowhere. Doorbells are not
# counted (two rings before a wait look like one), and a doorbell that arrives
# before MSI-X is enabled (before "ready") is dropped by QEMU.

/bin/busybox mkdir -p /bin /proc /sys /dev
/bin/busybox --install -s /bin
PATH=/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

ID='?'
say() { echo "FAMEZ id=$ID $*"; }
bye() { sync; poweroff -f; sleep 30; }
fail() { say "error reason=$*"; bye; }
hex() { printf '0x%08x' "$1"; }
now() {  # guest uptime in ms (/proc/uptime has 2 decimals)
    read -r up _ </proc/uptime
    f=${up#*.}
    echo $(( ${up%.*} * 1000 + (1$f - 100) * 10 ))
}
num() {  # check a decimal/0x number, print it in decimal
    case "$1" in
    0x*) case "${1#0x}" in ''|*[!0-9a-fA-F]*) return 1 ;; esac ;;
    ''|*[!0-9]*) return 1 ;;
    esac
    echo $(( $1 ))
}
mmr() { echo $(( $(devmem "$1" 32) )); }      # 32-bit MMIO read (decimal)
mmw() { devmem "$1" 32 "$2"; }                 # 32-bit MMIO write
cfgr() {  # cfgr OFF WIDTH: read PCI config space (unsigned, little endian)
    od -An -tu"$2" -j"$1" -N"$2" "$DEV/config" | tr -d ' '
}
cfgw8() {  # cfgw8 OFF BYTE: write one byte of PCI config space
    printf "\\$(printf '%03o' "$2")" |
        dd of="$DEV/config" bs=1 seek="$1" count=1 conv=notrunc 2>/dev/null
}
barstart() {  # barstart N: start address of BAR N from sysfs "resource"
    set -- $(sed -n "$(( $1 + 1 ))p" "$DEV/resource")
    echo $(( $1 ))
}

# --- find and set up the device (vendor 1af4 Red Hat, device 1110 ivshmem)
DEV=
for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1110 ]; then
        DEV=$d
        break
    fi
done
[ -n "$DEV" ] || fail "no-ivshmem-device"
echo 1 >"$DEV/enable" || fail "cannot-enable-device"   # Memory Space on
cfgw8 4 $(( $(cfgr 4 1) & ~4 ))                          # Bus Master off
REGS=$(barstart 0)
SHM=$(barstart 2)
set -- $(sed -n 3p "$DEV/resource")
SIZE=$(( $2 - $1 + 1 ))
if [ "$REGS" -eq 0 ] || [ "$SHM" -eq 0 ]; then fail "bars-not-assigned"; fi
ID=$(mmr $(( REGS + 8 )))                                # IVPosition

cap=$(cfgr 0x34 1)
while [ "$cap" -ne 0 ] && [ "$(cfgr "$cap" 1)" -ne 17 ]; do   # 0x11 = MSI-X
    cap=$(cfgr $(( cap + 1 )) 1)
done
[ "$cap" -ne 0 ] || fail "no-msix-capability"
NVEC=$(( ($(cfgr $(( cap + 2 )) 2) & 0x7ff) + 1 ))
t=$(cfgr $(( cap + 4 )) 4)
TBL=$(( $(barstart $(( t & 7 ))) + (t & ~7) ))
t=$(cfgr $(( cap + 8 )) 4)
PBA=$(( $(barstart $(( t & 7 ))) + (t & ~7) ))
cfgw8 $(( cap + 3 )) 0x80                 # MSI-X Enable, Function Mask off

say "ready dev=${DEV##*/} bar0=$(hex $REGS) bar2=$(hex $SHM) size=$SIZE vectors=$NVEC uptime_ms=$(now)"

# --- helpers for the steps
# poll MS CMD ARGS...: run CMD every ~10 ms until it succeeds (0) or MS pass (1)
poll() {
    end=$(( $(now) + $1 ))
    shift
    until "$@"; do
        [ "$(now)" -lt "$end" ] || return 1
        usleep 10000
    done
}
# offset OFF: check a shm offset (sets O) or fail
offset() {
    O=$(num "$1") || fail "bad-number step=$step"
    if [ $(( O & 3 )) -ne 0 ] || [ "$O" -gt $(( SIZE - 4 )) ]; then
        fail "bad-offset step=$step"
    fi
}
number() { N=$(num "$1") || fail "bad-number step=$step"; }
shmeq() { V=$(mmr $(( SHM + $1 ))); [ "$V" -eq "$2" ]; }
published() { V=$(mmr $(( SHM + $1 ))); [ $(( V >> 16 )) -eq $(( 0x465a )) ]; }
pending() {
    P=$(mmr "$PBA")
    if [ "$NVEC" -gt 32 ]; then P=$(( P | $(mmr $(( PBA + 4 ))) << 32 )); fi
    [ "$P" -ne 0 ]
}

STEPS=
for arg in $(cat /proc/cmdline); do
    case "$arg" in famez=*) STEPS=${arg#famez=} ;; esac
done

for step in $(echo "$STEPS" | tr ',' ' '); do
    IFS=: read -r op a b c <<END_OF_STEP
$step
END_OF_STEP
    case "$op" in
    pub)
        offset "$a"
        mmw $(( SHM + O )) $(( 0x465a0000 | ID ))
        say "pub off=$O val=$(hex $(mmr $(( SHM + O ))))"
        ;;
    write)
        offset "$a"; number "$b"
        mmw $(( SHM + O )) "$N"
        say "write off=$O val=$(hex "$N")"
        ;;
    read)
        offset "$a"
        say "read off=$O val=$(hex $(mmr $(( SHM + O ))))"
        ;;
    waitmem)
        offset "$a"; number "$b"; want=$N; number "${c:-30000}"
        t0=$(now)
        if poll "$N" shmeq "$O" "$want"; then r=ok; else r=timeout; fi
        say "waitmem off=$O want=$(hex "$want") val=$(hex "$V") result=$r after_ms=$(( $(now) - t0 ))"
        ;;
    ring)
        number "${b:-0}"; vec=$N
        case "$a" in
        @*)
            offset "${a#@}"; number "${c:-30000}"
            poll "$N" published "$O" || fail "no-peer-published off=$O"
            peer=$(( V & 0xffff ))
            ;;
        *)
            number "$a"; peer=$N
            ;;
        esac
        mmw $(( REGS + 12 )) $(( (peer << 16) | (vec & 0xffff) ))
        say "ring peer=$peer vector=$vec"
        ;;
    wait)
        number "${a:-30000}"
        t0=$(now)
        if poll "$N" pending; then
            r=irq
            v=0
            while [ "$v" -lt "$NVEC" ]; do      # unmask + re-mask clears the bit
                if [ $(( (P >> v) & 1 )) -eq 1 ]; then
                    mmw $(( TBL + 16 * v + 12 )) 0
                    mmw $(( TBL + 16 * v + 12 )) 1
                fi
                v=$(( v + 1 ))
            done
        else
            r=timeout
        fi
        say "wait result=$r pending=$(hex "$P") after_ms=$(( $(now) - t0 ))"
        ;;
    sleep)
        number "$a"
        usleep $(( N * 1000 ))
        say "sleep ms=$N"
        ;;
    *)
        fail "bad-step step=$step"
        ;;
    esac
done
say "done uptime_ms=$(now)"
bye
