#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# e2e.sh - the end-to-end test and demo of vgpu: real guest VMs, each with a
# vGPU, running the guest driver and userspace at the same time.  Used by
# `make check` (--mode check) and `make demo` (--mode demo).
#
# Design
# ------
# The machines this runs on have no KVM, so the whole stack is emulated:
#
#   this host ── scripts/vm-run.sh ──> outer VM (TCG, 2 vCPUs, 3 GiB, q35
#       with an IOMMU and the SR-IOV device model, QEMU from
#       scripts/build-qemu.sh): vfio + mdev + vgpu.ko, an mdev vGPU of the sim
#       parent and two VFs of the PF, scripts/e2e/host-e2e.sh
#           ── scripts/e2e/guest-run.sh ──> guest A, mdev (nested TCG, 256 MiB)
#           ── scripts/e2e/guest-run.sh ──> guest B, VF 1 (nested TCG, 256 MiB)
#           ── scripts/e2e/guest-run.sh ──> guest C, VF 2 (nested TCG, 256 MiB)
#       and then, in check mode, scripts/e2e/migrate-e2e.sh: guest M on an
#       mdev vGPU, live-migrated to a second vGPU, suspended to a file and
#       resumed on a third, its workload verified throughout
#
# Nested TCG is slow (about 40x native for the guest kernel), so everything
# the guests need is prepared here, at native speed, and cached: the
# guests' initramfs (busybox, drm.ko, vgpu_guest.ko, vgpu-run,
# vgpu_guest_test; scripts/e2e/guest-initramfs.sh) and their kernel, the
# same Debian 6.12 kernel but decompressed, which QEMU boots through its PVH
# entry.  The outer VM sees both through vm-run.sh's read-only host root.
#
# This script builds only what is missing or out of date (vgpu.ko and
# vgpu_guest.ko with `make modules`, the guest tools and tools/e2e with
# their own Makefiles; all do nothing when up to date), boots the outer VM with the repository as the
# share, so the logs land in out/e2e/ here, and exits with host-e2e.sh's
# status.  Run time on the 2-core CI machine: about 4 to 6 minutes, and 4
# more for the migration run of check mode.
set -euo pipefail

PROG=$(basename "$0")
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$TOP"

usage() {
    cat <<EOF
Usage: $PROG [--mode demo|check] [--keep-logs DIR] [HOST-E2E OPTIONS...]

  --mode demo|check  human report (default) or ok/FAIL lines for make check
  --keep-logs DIR    copy the run's logs (out/e2e) to DIR afterwards
  --no-payload       guests without vgpu_guest.ko/vgpu-run/vgpu_guest_test
  --no-vfs           no SR-IOV device: guests A and B on mdev vGPUs, stock QEMU
  Other options go to scripts/e2e/host-e2e.sh (--seconds N, --profiles A,B,
  --policy NAME, --no-neighbour; see its --help).

Logs: out/e2e/ (outer-console.log, guest-A.log, guest-B.log, samples.txt).
EOF
}

MODE=demo KEEP="" PAYLOAD_OPT=() VFS=1
PASS=()
while (($# > 0)); do
    case $1 in
        --mode) MODE=${2:?}; shift 2 ;;
        --keep-logs) KEEP=${2:?}; shift 2 ;;
        --no-payload) PAYLOAD_OPT=(--no-payload); shift ;;
        --no-vfs) VFS=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) PASS+=("$1"); shift ;;
    esac
done
[[ $MODE == demo || $MODE == check ]] || { usage >&2; exit 2; }

T0=$EPOCHREALTIME
stamp() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }'; }
say() { printf 'e2e: [%4s s] %s\n' "$(stamp)" "$*"; }

OUT=$TOP/out/e2e
mkdir -p "$OUT"
BUILD_LOG=$OUT/build.log
: >"$BUILD_LOG"

# ---- build what is missing --------------------------------------------------
build() { # build DESCRIPTION COMMAND...
    local what=$1
    shift
    if ! "$@" >>"$BUILD_LOG" 2>&1; then
        say "building $what failed:"
        tail -n 30 "$BUILD_LOG" | sed 's/^/    /'
        exit 1
    fi
}
# Make rebuilds only what is out of date: under a second when nothing is.
say "building what is missing or out of date (log: out/e2e/build.log)"
build "the kernel modules" make -j"$(nproc)" modules
[[ -f vgpu.ko ]] || { say "make modules did not produce vgpu.ko"; exit 1; }
KSFT=""
if src=$(scripts/kernel-release.sh --source-dir 2>/dev/null); then
    KSFT=$src/tools/testing/selftests
fi
[[ ! -f tools/vgpu-run/Makefile ]] || build tools/vgpu-run make -C tools/vgpu-run
if [[ -f selftests/guest/Makefile ]]; then
    build selftests/guest make -C selftests/guest ${KSFT:+KSFT="$KSFT"}
fi
[[ ! -f tools/e2e/Makefile ]] || build tools/e2e make -C tools/e2e

# ---- the guests' kernel and initramfs (cached) ---------------------------------
INITRD=$(scripts/e2e/guest-initramfs.sh ${PAYLOAD_OPT[@]+"${PAYLOAD_OPT[@]}"} 2>"$OUT/initramfs.log") || {
    cat "$OUT/initramfs.log" >&2
    exit 1
}
sed 's/^guest-initramfs.sh: /e2e: /' "$OUT/initramfs.log"
KERNEL=$(scripts/e2e/guest-initramfs.sh --vmlinux)

# ---- the SR-IOV device model (cached build) ---------------------------------------
VM_OPTS=() VF_OPT=()
if ((VFS)); then
    say "QEMU with the SR-IOV device model (scripts/build-qemu.sh; log: out/e2e/qemu-build.log)"
    QEMU=$(scripts/build-qemu.sh 2>"$OUT/qemu-build.log" | tail -n 1) || {
        say "building QEMU with the device model failed:"
        tail -n 30 "$OUT/qemu-build.log" | sed 's/^/    /'
        exit 1
    }
    VM_OPTS=(--qemu "$QEMU" --q35-iommu --vgpu-pf "")
    # The guests run on it too: under Debian's QEMU 7.2, with three guests
    # booting at once, 9 of 14 nested boots in two runs took the early-boot
    # oops (guest-run.sh); under this QEMU 10.0 none of the next 3 did.
    VF_OPT=(--vf-profiles "dedicated,shared" --guest-qemu "$QEMU")
    # make check also migrates a guest live, suspends and resumes it: that
    # needs QEMU 8.1 or later, which this build is.
    [[ $MODE != check ]] || VF_OPT+=(--migration)
fi

# ---- the outer VM -----------------------------------------------------------------
say "booting the outer VM (TCG, 2 vCPUs, 3 GiB) to run scripts/e2e/host-e2e.sh --mode $MODE"
rc=0
# Nested TCG slows down with the host's load: three guests booted in 8.5
# to 12.5 minutes instead of 4 on a busy host, so the limits (here, and
# each guest's for its boot and for its job) leave room for that.
scripts/vm-run.sh --mem 3072 --smp 2 --timeout 2700 --share "$TOP" \
    ${VM_OPTS[@]+"${VM_OPTS[@]}"} --log "$OUT/outer-console.log" -- \
    scripts/e2e/host-e2e.sh --mode "$MODE" --initrd "$INITRD" --kernel "$KERNEL" \
    --vgpu-ko "$TOP/vgpu.ko" --out "$OUT" ${VF_OPT[@]+"${VF_OPT[@]}"} ${PASS[@]+"${PASS[@]}"} || rc=$?

# The outer console (with the outer kernel's full log, which vm-run.sh
# appends) must be free of splats too; host-e2e.sh checked dmesg from
# inside, this also catches what happened after it.
SPLAT='BUG:|WARNING:|Oops|general protection|Call Trace:|Kernel panic|UBSAN:|KASAN:|possible .*(locking|deadlock)|circular locking|Tainted: .*[DWB]|unreferenced object'
if [[ $MODE == check ]]; then
    if grep -nE "$SPLAT" "$OUT/outer-console.log" >"$OUT/outer-splat.log"; then
        echo "FAIL e2e: outer VM console clean"
        sed 's/^/     | /' "$OUT/outer-splat.log" | head -n 20
        ((rc != 0)) || rc=1
    else
        echo "ok   e2e: outer VM console clean"
    fi
fi
if [[ -n $KEEP ]]; then
    mkdir -p "$KEEP"
    cp -a "$OUT"/. "$KEEP"/
fi
say "finished with status $rc in $(stamp) s (logs: ${KEEP:-$OUT})"
exit "$rc"
