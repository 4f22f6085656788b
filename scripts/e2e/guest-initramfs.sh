#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# guest-initramfs.sh - build (or find in the cache) the initramfs of the
# end-to-end test guests, the VMs that get a vGPU, and print its path.
#
# Design
# ------
# * The e2e guests run nested: QEMU (TCG) inside the outer test VM, which is
#   itself QEMU (TCG).  Every instruction is translated twice, so the guest
#   must do as little as possible.  It has no root file system besides this
#   initramfs: no 9p, no overlay, no disk, no network, no udev.  Its whole
#   world is busybox-static, drm.ko (with the dependencies modules.dep lists;
#   none on Debian's 6.12; its signature stripped, see strip_sig), the
#   project's guest payload (stripped of debug information) and an /init.
# * The payload is the guest driver vgpu_guest.ko and the static userspace
#   binaries vgpu-run, vgpu_guest_test and vgpu_guest_peer_test.  Each is
#   optional (the options accept a missing file and the image simply lacks
#   it), so the harness can run with a placeholder payload; a guest job
#   checks what it has with `e2e_have`.
# * Everything is stored uncompressed (modules decompressed, because busybox
#   insmod cannot read .ko.xz; the cpio itself uncompressed, because
#   decompressing under nested TCG costs seconds, loading a few MiB more
#   through fw_cfg costs nothing).
# * The per-guest job is NOT in this image: scripts/e2e/guest-run.sh appends
#   it as a second cpio archive (the kernel unpacks concatenated archives in
#   order), so one cached base image serves every guest.
# * /init mounts proc, sys, devtmpfs, /tmp and debugfs (one `mount -a`),
#   runs /job in a subshell that has sourced /lib/e2e.sh (the helpers
#   below), prints "E2E-EXIT <status>" on the console (ttyS0) and resets the
#   VM; QEMU runs with -no-reboot, so the reset ends it.  A guest job that
#   gets stuck is ended by guest-run.sh's timeout.
# * The image is cached under $VGPU_CACHE_DIR/e2e, keyed by a hash of the
#   content of everything that goes in (busybox, modules, payload, the
#   scripts of this file), built in a temporary file and renamed into place,
#   so concurrent runs never see a partial image.
set -euo pipefail

PROG=$(basename "$0")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$SCRIPT_DIR/../.." && pwd -P)
CACHE_DIR=${VGPU_CACHE_DIR:-/var/cache/vgpu}/e2e
BUSYBOX=/bin/busybox
# Kernel modules the guest needs, by name; dependencies come from modules.dep.
GUEST_MODULES=(drm)

usage() {
    cat <<EOF
Usage: $PROG [OPTIONS]

Print the path of the cached e2e guest initramfs, building it if needed.

Options:
  --release REL       kernel release of the guest (default: scripts/kernel-release.sh)
  --guest-ko FILE     the guest driver (default: $TOP/vgpu_guest.ko); the
                      vgpu_lib.ko beside it goes in too
  --vgpu-run FILE     (default: $TOP/tools/vgpu-run/vgpu-run)
  --guest-test FILE   (default: $TOP/selftests/guest/vgpu_guest_test)
  --no-payload        leave all three out (placeholder guests)
  --vmlinux           print the path of the cached uncompressed kernel (an ELF
                      that QEMU boots through its PVH entry point, skipping
                      the decompressor) instead; built from /boot/vmlinuz-REL
  -v, --verbose       say what goes in and whether the image was cached
  -h, --help          show this help

A payload file that does not exist is left out with a note on stderr.
Environment: VGPU_CACHE_DIR (default /var/cache/vgpu).
EOF
}

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 2
}
note() { printf '%s: %s\n' "$PROG" "$*" >&2; }
verbose() { ((VERBOSE)) && note "$@"; return 0; }

# ---- the guest's /init and helper library -----------------------------------
read -r -d '' INIT_SCRIPT <<'EOF' || true
#!/bin/sh
# e2e guest /init (PID 1): set up, run /job, report, reset.  Few commands:
# each fork costs tens of milliseconds under nested emulation.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -a
# Kernel messages below KERN_ALERT stay out of the console, where they
# could land in the middle of the job's marker lines (the host parses
# those); e2e_dmesg prints the whole kernel log at the end.
echo 2 >/proc/sys/kernel/printk
exec </dev/null >/dev/console 2>&1
echo e2e-guest >/proc/sys/kernel/hostname
read -r up _ </proc/uptime
echo "E2E-BOOTED $up"
if [ -f /job ]; then
	(
		# shellcheck source=/dev/null
		. /lib/e2e.sh
		# shellcheck source=/dev/null
		. /job
	)
	rc=$?
else
	echo "E2E: no /job in the initramfs"
	rc=127
fi
echo "E2E-EXIT $rc"
# Keep "reboot: Restarting system" off the console, then reset (QEMU runs
# with -no-reboot, so a reset ends it).
echo 0 >/proc/sys/kernel/printk
reboot -f
echo b >/proc/sysrq-trigger
EOF

read -r -d '' FSTAB <<'EOF' || true
proc /proc proc defaults 0 0
sysfs /sys sysfs defaults 0 0
devtmpfs /dev devtmpfs defaults 0 0
tmpfs /tmp tmpfs mode=1777 0 0
debugfs /sys/kernel/debug debugfs defaults 0 0
EOF

read -r -d '' LIB_SCRIPT <<'EOF' || true
# shellcheck shell=dash
# /lib/e2e.sh - helpers for e2e guest jobs (busybox sh), sourced before /job.
#
# Console protocol (ttyS0, parsed by scripts/e2e/host-e2e.sh):
#   E2E-PAYLOAD <part>=yes|no ...          what the image holds
#   E2E-CHECK ok|fail <name> [(detail)]    a check the guest decides itself
#   E2E-BEGIN <block> ... E2E-END <block> rc=<n>   a command's output
#   E2E-READY, E2E-GO, E2E-DONE            the start barrier, workload end
# Control channel (ttyS1, to the orchestrator): E2E-READY, E2E-GO and
# E2E-DONE from the guest, "go" to it.
#
# Every fork costs a lot under nested emulation (tens of ms; an exec more),
# so these helpers use shell builtins (read, [ ], echo) wherever they can
# and return values in variables rather than through $(...).
E2E_CTL=/dev/ttyS1
E2E_ACCEL=/dev/accel/accel0

# e2e_up: the uptime in seconds, in $E2E_UP.
e2e_up() { read -r E2E_UP _ </proc/uptime; }

# e2e_have PART: is this payload part in the image? (vgpu_guest.ko,
# vgpu-run, vgpu_guest_test)
e2e_have() {
	case $1 in
	*.ko) [ -f "/lib/modules/$1" ] ;;
	*) [ -x "/bin/$1" ] ;;
	esac
}

e2e_payload() {
	local p line="E2E-PAYLOAD"
	for p in vgpu_guest.ko vgpu-run vgpu_guest_test; do
		if e2e_have $p; then line="$line $p=yes"; else line="$line $p=no"; fi
	done
	echo "$line"
}

# e2e_check ok|fail NAME [DETAIL]
e2e_check() {
	echo "E2E-CHECK $1 $2${3:+ ($3)}"
}

# e2e_sync: tell the orchestrator we are ready and wait for "go".  ttyS1
# stays open on fd 3 from here on: closing a serial port and opening it
# again clears its receive FIFO, which could eat the "go".
e2e_sync() {
	local line
	exec 3<>$E2E_CTL || return 1
	stty raw -echo <&3
	e2e_up
	echo "E2E-READY $E2E_UP"
	echo "E2E-READY" >&3
	while read -r line <&3; do
		case $line in go*) break ;; esac
	done
	echo "E2E-GO" >&3
	e2e_up
	echo "E2E-GO $E2E_UP"
}

# e2e_done: the workload is over (the orchestrator ends its measurement).
e2e_done() {
	echo "E2E-DONE" >&3
	e2e_up
	echo "E2E-DONE $E2E_UP"
}

# e2e_wait_path PATH [SECONDS], e2e_wait_gone PATH [SECONDS] (default 30)
e2e_wait_path() {
	local i=0 n=$((${2:-30} * 5))
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ $i -gt $n ] && return 1
		usleep 200000
	done
	return 0
}
e2e_wait_gone() {
	local i=0 n=$((${2:-30} * 5))
	while [ -e "$1" ]; do
		i=$((i + 1))
		[ $i -gt $n ] && return 1
		usleep 200000
	done
	return 0
}

# e2e_vgpu_pci: the sysfs directory of the first vGPU PCI function, in
# $E2E_PCI; fails if there is none.
e2e_vgpu_pci() {
	local d v
	for d in /sys/bus/pci/devices/*; do
		read -r v <"$d/vendor"
		[ "$v" = @VGPU_VENDOR_ID@ ] || continue
		read -r v <"$d/device"
		if [ "$v" = @VGPU_DEVICE_ID@ ]; then
			E2E_PCI=$d
			return 0
		fi
	done
	return 1
}

# e2e_pci_cap DIR ID: does the device have PCI capability ID (decimal)?
# Walks the capability list in config space (read with one od: byte N of
# config space becomes positional parameter N+1).
e2e_pci_cap() {
	local ptr id want=$2 n=0
	# shellcheck disable=SC2046 # one word per byte
	set -- $(od -An -tu1 -v -N 256 "$1/config")
	[ $# -eq 256 ] || return 1
	ptr=$((${53} & 252))
	while [ "$ptr" -ge 64 ] && [ "$ptr" -lt 255 ] && [ $n -lt 48 ]; do
		eval "id=\${$((ptr + 1))} ptr=\${$((ptr + 2))}"
		ptr=$((ptr & 252))
		[ "$id" = "$want" ] && return 0
		n=$((n + 1))
	done
	return 1
}

# e2e_check_pci: the vGPU is on the bus, with its MSI-X capability (ID 17).
e2e_check_pci() {
	local c s
	if ! e2e_vgpu_pci; then
		e2e_check fail vgpu-pci "no @VGPU_VENDOR_ID@:@VGPU_DEVICE_ID@ device"
		return 1
	fi
	read -r c <"$E2E_PCI/class"
	read -r s <"$E2E_PCI/subsystem_device"
	e2e_check ok vgpu-pci "${E2E_PCI##*/} class $c subsystem $s"
	if e2e_pci_cap "$E2E_PCI" 17; then
		e2e_check ok msix-capability
	else
		e2e_check fail msix-capability
		return 1
	fi
}

# e2e_load_drm: load drm.ko and what it needs (list in /lib/modules/order).
e2e_load_drm() {
	local m
	[ -d /sys/module/drm ] && return 0
	while read -r m; do
		[ -n "$m" ] && { insmod "/lib/modules/$m" || return 1; }
	done </lib/modules/order
	return 0
}

# e2e_load_driver: drm, vgpu_lib.ko, then vgpu_guest.ko; wait for the
# accel node.
e2e_load_driver() {
	e2e_load_drm || return 1
	e2e_have vgpu_guest.ko || return 1
	if [ ! -d /sys/module/vgpu_lib ]; then
		insmod /lib/modules/vgpu_lib.ko || return 1
	fi
	insmod /lib/modules/vgpu_guest.ko || return 1
	e2e_wait_path $E2E_ACCEL 30
}

e2e_unload_driver() {
	rmmod vgpu_guest || return 1
	e2e_wait_gone $E2E_ACCEL 30
}

# e2e_check_msix: the driver runs the vGPU on MSI-X interrupts.
e2e_check_msix() {
	local n=0 f
	e2e_vgpu_pci || return 1
	for f in "$E2E_PCI"/msi_irqs/*; do
		[ -e "$f" ] && n=$((n + 1))
	done
	if [ "$n" -gt 0 ]; then
		e2e_check ok msix-enabled "$n vectors"
	else
		e2e_check fail msix-enabled "no MSI-X vector in use"
		return 1
	fi
}

# e2e_block NAME CMD...: run CMD and print its output (stdout and stderr;
# after it ends, so no kernel message splits its lines) between
# "E2E-BEGIN NAME" and "E2E-END NAME rc=N"; return its status.  A missing
# payload binary gives rc=127 and an E2E-MISSING line.
e2e_block() {
	local name=$1 rc
	shift
	e2e_up
	echo "E2E-BEGIN $name $E2E_UP"
	if command -v "$1" >/dev/null 2>&1; then
		"$@" >"/tmp/$name.out" 2>&1
		rc=$?
		cat "/tmp/$name.out"
	else
		echo "E2E-MISSING $1"
		rc=127
	fi
	e2e_up
	echo "E2E-END $name rc=$rc $E2E_UP"
	return $rc
}

# e2e_dmesg: the guest's kernel log, for the orchestrator to scan: all of
# it if it has a warning, BUG, oops or lockdep/KASAN/UBSAN report (the same
# patterns as the orchestrator's), else one line (the serial console is
# slow nested, and the orchestrator needs only the verdict).
e2e_dmesg() {
	echo "E2E-BEGIN dmesg"
	dmesg >/tmp/dmesg
	if grep -qE 'BUG:|WARNING:|Oops|general protection|Call Trace:|Kernel panic|UBSAN:|KASAN:|possible .*(locking|deadlock)|circular locking|Tainted: .*[DWB]|unreferenced object' /tmp/dmesg; then
		cat /tmp/dmesg
	else
		echo "(kernel log clean)"
	fi
	echo "E2E-END dmesg rc=0"
}
EOF
# The vGPU function's PCI IDs come from the uapi header.
LIB_SCRIPT=${LIB_SCRIPT//@VGPU_VENDOR_ID@/$("$TOP/scripts/vgpu-ids.sh" VENDOR_ID)}
LIB_SCRIPT=${LIB_SCRIPT//@VGPU_DEVICE_ID@/$("$TOP/scripts/vgpu-ids.sh" DEVICE_ID)}

# ---- options ----------------------------------------------------------------
RELEASE="" VERBOSE=0 PAYLOAD=1 VMLINUX=0
GUEST_KO=$TOP/vgpu_guest.ko
VGPU_RUN=$TOP/tools/vgpu-run/vgpu-run
GUEST_TEST=$TOP/selftests/guest/vgpu_guest_test
while (($# > 0)); do
    case $1 in
        --release) RELEASE=${2:?}; shift 2 ;;
        --guest-ko) GUEST_KO=${2:?}; shift 2 ;;
        --vgpu-run) VGPU_RUN=${2:?}; shift 2 ;;
        --guest-test) GUEST_TEST=${2:?}; shift 2 ;;
        --no-payload) PAYLOAD=0; shift ;;
        --vmlinux) VMLINUX=1; shift ;;
        -v | --verbose) VERBOSE=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ -n $RELEASE ]] || RELEASE=$("$TOP/scripts/kernel-release.sh") || exit 2
MODDIR=/lib/modules/$RELEASE
[[ -f $MODDIR/modules.dep ]] || die "$MODDIR/modules.dep not found"
[[ -x $BUSYBOX ]] || die "$BUSYBOX not found (install busybox-static)"

# ---- --vmlinux: the kernel, decompressed ---------------------------------------
# A bzImage carries the kernel as one compressed ELF: find the compressor's
# magic, decompress from there, keep the first result that is an ELF with a
# PVH entry note (as the kernel's scripts/extract-vmlinux does).
extract_vmlinux() {
    local img=$1 out=$2 magic tool pos
    for magic in '\x28\xb5\x2f\xfd:zstd -dcq' '\xfd\x37\x7a\x58\x5a\x00:xz -dcq' \
        '\x1f\x8b\x08:gzip -dcq'; do
        tool=${magic#*:}
        for pos in $(LC_ALL=C grep -aboP "${magic%%:*}" "$img" | cut -d: -f1 | head -n 5); do
            tail -c +$((pos + 1)) "$img" | $tool >"$out" 2>/dev/null || true
            if [[ $(head -c 4 "$out" | od -An -c | tr -d ' ') == '177ELF' ]] &&
                readelf -n "$out" 2>/dev/null | grep -q 'Xen.*0x00000012\|Unknown note type: (0x00000012)'; then
                return 0
            fi
        done
    done
    return 1
}
if ((VMLINUX)); then
    img=/boot/vmlinuz-$RELEASE
    [[ -f $img ]] || die "$img not found"
    out=$CACHE_DIR/vmlinux-$RELEASE-$(stat -L -c '%s-%Y' "$img")
    if [[ ! -f $out ]]; then
        mkdir -p "$CACHE_DIR"
        find "$CACHE_DIR" -maxdepth 1 -name 'vmlinux-*' -mtime +7 -delete 2>/dev/null || true
        tmp=$(mktemp "$CACHE_DIR/.vmlinux.XXXXXX")
        if ! extract_vmlinux "$img" "$tmp"; then
            rm -f "$tmp"
            die "cannot extract a PVH-bootable ELF kernel from $img"
        fi
        chmod 644 "$tmp"
        mv -f "$tmp" "$out"
        verbose "extracted $out"
    fi
    printf '%s\n' "$out"
    exit 0
fi

# The payload that exists: "DEST SOURCE" lines.
payload=()
if ((PAYLOAD)); then
    # vgpu_guest.ko needs the pure-logic module built beside it.
    for spec in "lib/modules/vgpu_guest.ko $GUEST_KO" \
        "lib/modules/vgpu_lib.ko $(dirname "$GUEST_KO")/vgpu_lib.ko" \
        "bin/vgpu-run $VGPU_RUN" "bin/vgpu_guest_test $GUEST_TEST" \
        "bin/vgpu_guest_peer_test $(dirname "$GUEST_TEST")/vgpu_guest_peer_test"; do
        src=${spec#* }
        if [[ -f $src ]]; then
            payload+=("$spec")
        else
            note "note: $src does not exist; the guest image goes without it"
        fi
    done
fi

# Module files (relative to $MODDIR) for GUEST_MODULES, dependencies first.
resolve_modules() {
    local -A file_of=() deps_of=() seen=()
    local line f n
    while IFS= read -r line; do
        f=${line%%:*}
        n=${f##*/}
        n=${n%%.ko*}
        n=${n//-/_}
        file_of[$n]=$f
        deps_of[$n]=${line#*:}
    done <"$MODDIR/modules.dep"
    visit() {
        local name=${1//-/_} d dn
        [[ -z ${seen[$name]:-} ]] || return 0
        seen[$name]=1
        [[ -n ${file_of[$name]:-} ]] || die "module $name not in $MODDIR/modules.dep"
        for d in ${deps_of[$name]}; do
            dn=${d##*/}
            visit "${dn%%.ko*}"
        done
        printf '%s\n' "${file_of[$name]}"
    }
    for n in "${GUEST_MODULES[@]}"; do
        visit "$n"
    done
}
mapfile -t MODFILES < <(resolve_modules)

# ---- cache key: the content of everything that goes in ------------------------
key_input() {
    local spec
    printf 'e2e-initramfs v2\n%s\n' "$RELEASE"
    printf '%s\n' "$INIT_SCRIPT" "$LIB_SCRIPT" "$FSTAB"
    sha256sum "$BUSYBOX" "${MODFILES[@]/#/$MODDIR/}"
    for spec in ${payload[@]+"${payload[@]}"}; do
        printf '%s ' "${spec%% *}"
        sha256sum <"${spec#* }"
    done
}

# strip_sig FILE: drop an appended module signature.  The guest kernel does
# not load the distribution's X.509 list (see guest-run.sh), so it could
# not verify it anyway, and hashing the module costs time nested.
strip_sig() {
    local f=$1 size len
    [[ $(tail -c 28 "$f") == '~Module signature appended~' ]] || return 0
    size=$(stat -c %s "$f")
    # struct module_signature (12 bytes, big-endian sig_len last) + magic
    len=$(tail -c 32 "$f" | head -c 4 | od -An -tu1 |
        awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
    truncate -s $((size - 28 - 12 - len)) "$f"
}

build() {
    local out=$1 stage f base
    stage=$(mktemp -d)
    # shellcheck disable=SC2064 # expand $stage now
    trap "rm -rf '$stage'" RETURN
    file -bL "$BUSYBOX" | grep -q 'statically linked' ||
        die "$BUSYBOX is not statically linked (install busybox-static)"
    mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,lib/modules}
    cp "$BUSYBOX" "$stage/bin/busybox"
    while IFS= read -r f; do
        [[ -e $stage/$f || -L $stage/$f ]] || ln -s /bin/busybox "$stage/$f"
    done < <("$BUSYBOX" --list-full)
    mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
    printf '%s\n' "$INIT_SCRIPT" >"$stage/init"
    printf '%s\n' "$LIB_SCRIPT" >"$stage/lib/e2e.sh"
    mkdir -p "$stage/etc"
    printf '%s\n' "$FSTAB" >"$stage/etc/fstab"
    chmod 755 "$stage/init"
    : >"$stage/lib/modules/order"
    for f in "${MODFILES[@]}"; do
        base=${f##*/}
        base=${base%%.ko*}.ko
        case $f in
            *.ko.xz) xz -dc "$MODDIR/$f" >"$stage/lib/modules/$base" ;;
            *.ko.zst) zstd -dcq "$MODDIR/$f" >"$stage/lib/modules/$base" ;;
            *.ko.gz) gzip -dc "$MODDIR/$f" >"$stage/lib/modules/$base" ;;
            *) cp "$MODDIR/$f" "$stage/lib/modules/$base" ;;
        esac
        strip_sig "$stage/lib/modules/$base"
        printf '%s\n' "$base" >>"$stage/lib/modules/order"
    done
    # Without debug information: less to unpack and to load, nested.
    for f in ${payload[@]+"${payload[@]}"}; do
        cp "${f#* }" "$stage/${f%% *}"
        case $f in
            *.ko\ *) strip --strip-debug "$stage/${f%% *}" ;;
            *) strip "$stage/${f%% *}" ;;
        esac
    done
    chmod 755 "$stage/bin"/vgpu* 2>/dev/null || true
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
}

key=$(key_input | sha256sum | cut -c1-16)
IMAGE=$CACHE_DIR/guest-$RELEASE-$key.cpio
if [[ -f $IMAGE ]]; then
    touch -c "$IMAGE" 2>/dev/null || true
    verbose "cached: $IMAGE"
else
    mkdir -p "$CACHE_DIR"
    # Images unused for a week belong to old payloads: drop them.
    find "$CACHE_DIR" -maxdepth 1 -name 'guest-*.cpio' -mtime +7 -delete 2>/dev/null || true
    tmp=$(mktemp "$CACHE_DIR/.build.XXXXXX")
    if ! (build "$tmp"); then
        rm -f "$tmp"
        die "building the guest initramfs failed"
    fi
    chmod 644 "$tmp"
    mv -f "$tmp" "$IMAGE"
    verbose "built $IMAGE ($(du -k "$IMAGE" | cut -f1) KiB; payload: ${#payload[@]} of 4 files)"
fi
printf '%s\n' "$IMAGE"
