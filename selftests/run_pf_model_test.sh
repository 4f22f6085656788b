#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run_pf_model_test.sh - test the SR-IOV device model (qemu/vgpu_sriov.c) on
# its own, without the project's kernel driver: build QEMU with the model
# (scripts/build-qemu.sh, cached), build selftests/vgpu_pf_model_test, boot
# a q35 VM with intel-iommu and a vgpu-pf (scripts/vm-run.sh) and run the
# test there. The VM's kernel is the host's; inside, the test binds the PF to
# pci-pf-stub and the VFs to vfio-pci itself.
#
# Usage: run_pf_model_test.sh [--props PROPS] [--log FILE] [-- TEST ARGS...]
#   --props PROPS  vgpu-pf properties (default: the device's defaults)
#   --log FILE     VM console log (default: ./vm-pf-model.log)
#   TEST ARGS      passed to the test binary (e.g. -t NAME to run one test)
#
# Exit status: the test's (0 = all passed); 2 on usage errors; what
# vm-run.sh says when the VM fails (124 timeout, 125 no status).
#
# make check runs the test with the device's default properties among the
# other kselftests (run_vm_tests.sh in a VM with the PF; it skips in a VM
# without one); this runner is for other properties and for running it
# alone. The binary is built out of tree, in $VGPU_CACHE_DIR/pf-model-test/,
# so a run with odd properties never leaves a selftests/ binary behind.
set -euo pipefail

PROG=$(basename "$0")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$HERE")
CACHE_DIR=${VGPU_CACHE_DIR:-/var/cache/vgpu}
OUT=$CACHE_DIR/pf-model-test

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 2
}

PROPS="" LOG=./vm-pf-model.log
while (($# > 0)); do
    case $1 in
        --props) (($# >= 2)) || die "--props needs an argument"; PROPS=$2; shift 2 ;;
        --log) (($# >= 2)) || die "--log needs an argument"; LOG=$2; shift 2 ;;
        -h | --help) sed -n '4,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --) shift; break ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

# The properties the test then expects (the device's defaults otherwise).
size_bytes() { # 512M, 1G, 4096 -> bytes
    local v=$1
    case $v in
        *[kK]) echo $((${v%?} << 10)) ;;
        *M) echo $((${v%?} << 20)) ;;
        *G) echo $((${v%?} << 30)) ;;
        *) echo $((v)) ;;
    esac
}
EXPECT=(VGPU_PF_MEM_SIZE=$((512 << 20)) VGPU_PF_ENGINES=8 VGPU_PF_VFS=4
    VGPU_PF_BAR2_SIZE=$((128 << 20)))
IFS=, read -r -a kvs <<<"$PROPS"
for kv in ${kvs[@]+"${kvs[@]}"}; do
    case $kv in
        mem-size=*) EXPECT[0]=VGPU_PF_MEM_SIZE=$(size_bytes "${kv#*=}") ;;
        engines=*) EXPECT[1]=VGPU_PF_ENGINES=${kv#*=} ;;
        vfs=*) EXPECT[2]=VGPU_PF_VFS=${kv#*=} ;;
        vf-bar2-size=*) EXPECT[3]=VGPU_PF_BAR2_SIZE=$(size_bytes "${kv#*=}") ;;
        *) die "unknown vgpu-pf property: $kv" ;;
    esac
done

t0=$(date +%s)
QEMU=$("$REPO/scripts/build-qemu.sh" | tail -n 1)
[[ -x $QEMU ]] || die "build-qemu.sh gave no QEMU binary"

KSFT=$("$REPO/scripts/kernel-release.sh" --source-dir)/tools/testing/selftests
[[ -f $KSFT/kselftest_harness.h ]] || die "no kselftest_harness.h under $KSFT (run scripts/install-deps.sh)"
mkdir -p "$OUT"
# Built as selftests/Makefile builds the VFIO library tests.
gcc -O2 -g -Wall -Werror -Wno-format-truncation -I"$KSFT" -I"$REPO/tools/vfio" \
    -I"$REPO/tools/include" -I"$REPO/include/uapi" -D_GNU_SOURCE \
    -o "$OUT/vgpu_pf_model_test.tmp" "$HERE/vgpu_pf_model_test.c" \
    "$REPO/tools/vfio/vgpu_vfio.c" "$REPO/tools/vfio/vfio_group.c" \
    "$REPO/tools/lib/vgpu_crc32c.c" -lpthread -lm
mv -f "$OUT/vgpu_pf_model_test.tmp" "$OUT/vgpu_pf_model_test"

envs=()
for kv in "${EXPECT[@]}" VGPU_PF_REQUIRED=1; do
    envs+=(--env "$kv")
done
rc=0
"$REPO/scripts/vm-run.sh" --qemu "$QEMU" --q35-iommu --vgpu-pf "$PROPS" \
    --timeout 300 --log "$LOG" "${envs[@]}" -- \
    "$OUT/vgpu_pf_model_test" "$@" || rc=$?
printf '%s: %s in %d s (QEMU %s)\n' "$PROG" "$( ((rc == 0)) && echo passed || echo "FAILED (exit $rc)")" \
    $(($(date +%s) - t0)) "$QEMU" >&2
exit "$rc"
