#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# migrate-e2e.sh - live migration, suspend and resume of a guest VM with an
# mdev vGPU and, with --vf-profile, a VF beside it (bound to vgpu-vfio-pci),
# end to end.  Runs where vgpu.ko is loaded: inside the outer test VM
# (scripts/e2e.sh runs it after host-e2e.sh), with a QEMU that has VFIO
# migration v2 (8.1 or later: the project's own build, --guest-qemu).
#
# What it does
# ------------
#  1. Creates vGPUs S and D of one profile (split) and X of another (shared);
#     with --vf-profile, enables VFs 1 to 3 of the PF with that profile,
#     bound to vgpu-vfio-pci: VF 1 goes with S, VF 2 with D, VF 3 with X.
#  2. Boots guest M on S (and VF 1; scripts/e2e/guest-run.sh, with a QMP
#     socket).  Its job loads the guest driver and, once told "go", runs a
#     verified workload (vgpu-run -w gemm, a few seconds per run) on each of
#     its vGPUs in turn, over and over, reporting each run on its control
#     port, until told "stop".
#  3. Migrates M to a QEMU waiting on X: the destination refuses the stream
#     (another profile), the migration fails, and M goes on on S.
#  4. Live-migrates M to a QEMU waiting on D (QMP migrate, pre-copy);
#     quits the source QEMU: S is zeroed when it is closed.
#  5. Suspends M to a file (stop; migrate file:), quits, destroys D (and
#     takes VF 2's profile back), creates a new vGPU R of the same profile
#     (gives VF 2 its profile again, a new tenant's zeroed window) and
#     resumes M from the file on them.
#  6. Tells M to stop; M's job ends on R's console with the tally of its
#     runs, every one of which must have been verified exact.
#
# Prints one "ok   e2e: migration: ..." or "FAIL e2e: migration: ..." line per
# check (counted by scripts/check.sh) and one "migration figures" line with
# QEMU's downtime and bytes moved.  Exit status: 0 if every check passed.
set -euo pipefail

PROG=$(basename "$0")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$SCRIPT_DIR/../.." && pwd -P)
PARENT=/sys/class/vgpu/vgpu0
MDEVS=/sys/bus/mdev/devices
SPLAT='BUG:|WARNING:|Oops|general protection|Call Trace:|Kernel panic|UBSAN:|KASAN:|possible .*(locking|deadlock)|circular locking|Tainted: .*[DWB]|unreferenced object'

usage() {
    cat <<EOF
Usage: $PROG --initrd FILE --kernel FILE --guest-qemu BIN [OPTIONS]

  --initrd FILE      guest initramfs (scripts/e2e/guest-initramfs.sh)
  --kernel FILE      guest kernel (guest-initramfs.sh --vmlinux)
  --guest-qemu BIN   QEMU 8.1 or later for the guests
  --vgpu-ko FILE     (default $TOP/vgpu.ko)
  --profile NAME     the migrated vGPU's profile (default split)
  --other NAME       the refusing target's profile (default shared)
  --vf-profile NAME  a VF of this profile beside the mdev vGPU (needs the
                     vgpu PF and vgpu-vfio-pci.ko next to --vgpu-ko)
  --out DIR          logs (default $TOP/out/e2e)
  --timeout SECONDS  per guest QEMU (default 900)
EOF
}

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 2
}

T0=$EPOCHREALTIME
say() { printf '[%6.1f s] migration: %s\n' "$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" "$*"; }

INITRD="" KERNEL="" QEMU="" VGPU_KO=$TOP/vgpu.ko PROFILE=split OTHER=shared VF_PROFILE=""
OUT=$TOP/out/e2e TIMEOUT=900
while (($# > 0)); do
    case $1 in
        --initrd) INITRD=${2:?}; shift 2 ;;
        --kernel) KERNEL=${2:?}; shift 2 ;;
        --guest-qemu) QEMU=${2:?}; shift 2 ;;
        --vgpu-ko) VGPU_KO=${2:?}; shift 2 ;;
        --profile) PROFILE=${2:?}; shift 2 ;;
        --other) OTHER=${2:?}; shift 2 ;;
        --vf-profile) VF_PROFILE=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ -f $INITRD && -f $KERNEL ]] || die "--initrd and --kernel are needed"
[[ -x $QEMU ]] || die "--guest-qemu: not an executable: ${QEMU:-(none)}"
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/migrate-e2e.XXXXXX)
QMP="python3 $SCRIPT_DIR/qmp.py"

NPASS=0 NFAIL=0
check() { # check ok|fail NAME [DETAIL...]
    local st=$1 name=$2
    shift 2
    if [[ $st == ok ]]; then
        NPASS=$((NPASS + 1))
        printf 'ok   e2e: migration: %s\n' "$name"
    else
        NFAIL=$((NFAIL + 1))
        printf 'FAIL e2e: migration: %s\n' "$name"
    fi
    (($# == 0)) || printf '     | %s\n' "$@"
}
# expect NAME COMMAND...: one check, passed if the command succeeds.
expect() {
    local name=$1
    shift
    if "$@"; then check ok "$name"; else check fail "$name" "${DETAIL:-}"; fi
    DETAIL=""
}

PIDS=() VGPUS=()
# shellcheck disable=SC2317 # invoked via trap
cleanup() {
    local p u
    for p in ${PIDS[@]+"${PIDS[@]}"}; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in ${PIDS[@]+"${PIDS[@]}"}; do
        wait "$p" 2>/dev/null || true
    done
    for u in ${VGPUS[@]+"${VGPUS[@]}"}; do
        [[ ! -e $MDEVS/$u/remove ]] || echo 1 >"$MDEVS/$u/remove" 2>/dev/null || true
    done
    teardown_vfs
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- VFs bound to vgpu-vfio-pci -----------------------------------------------
PF_ADDR="" PF_PARENT="" VFS=()
setup_vfs() { # setup_vfs N: VFs 1..N with profile $VF_PROFILE, in VFS[1..N]
    local d n a
    for d in /sys/bus/pci/devices/*; do
        [[ "$(<"$d/vendor") $(<"$d/device")" != "0x5e5e 0x0002" ]] || PF_ADDR=${d##*/}
    done
    [[ -n $PF_ADDR ]] || die "--vf-profile: no vgpu PF in this VM"
    modprobe vfio-pci
    [[ -d /sys/module/vgpu_vfio_pci ]] || insmod "$(dirname "$VGPU_KO")/vgpu-vfio-pci.ko"
    PF_PARENT=/sys/class/vgpu/$(ls "/sys/bus/pci/devices/$PF_ADDR/vgpu")
    echo "$1" >"/sys/bus/pci/devices/$PF_ADDR/sriov_numvfs" || die "cannot enable $1 VFs"
    for ((n = 1; n <= $1; n++)); do
        a=$(basename "$(readlink "$PF_PARENT/vf$n/pci_function")")
        VFS[n]=$a
        vf_provision "$n" || die "cannot give VF $n profile $VF_PROFILE and bind it to vgpu-vfio-pci"
    done
}
vf_provision() { # vf_provision N: profile $VF_PROFILE, bound to vgpu-vfio-pci
    local a=${VFS[$1]}
    echo "$VF_PROFILE" >"$PF_PARENT/vf$1/profile" &&
        echo vgpu-vfio-pci >"/sys/bus/pci/devices/$a/driver_override" &&
        echo "$a" >/sys/bus/pci/drivers_probe &&
        [[ $(readlink -f "/sys/bus/pci/devices/$a/driver") == */vgpu-vfio-pci ]]
}
vf_release() { # vf_release N: unbound, no profile (its window goes back)
    local a=${VFS[$1]}
    echo "$a" >"/sys/bus/pci/devices/$a/driver/unbind" && echo none >"$PF_PARENT/vf$1/profile"
}
teardown_vfs() {
    local a
    [[ -n $PF_ADDR ]] || return 0
    for a in /sys/bus/pci/devices/"$PF_ADDR"/virtfn*; do
        [[ ! -e $a/driver ]] || basename "$(readlink -f "$a")" >"$a/driver/unbind" || true
    done
    echo 0 >"/sys/bus/pci/devices/$PF_ADDR/sriov_numvfs" || true
    PF_ADDR=""
}

create_vgpu() { # create_vgpu TYPE: prints the new vGPU's UUID
    local u
    u=$(</proc/sys/kernel/random/uuid)
    echo "$u" >"$PARENT/mdev_supported_types/vgpu-$1/create" || return 1
    printf '%s' "$u"
}

# ---- the guest's job ------------------------------------------------------
# shellcheck disable=SC2016 # a guest script: expanded in the guest
JOB='
e2e_payload
rc=0
e2e_load_driver || { e2e_check fail driver-load; rc=1; }
e2e_sync
# "stop" on the control port ends the runs (read in the background: the
# runs go on while the host migrates the VM).
(while read -r line <&3; do
	case $line in stop*) : >/tmp/stop; break ;; esac
done) &
n=0 bad=0
while [ ! -e /tmp/stop ]; do
	for d in /dev/accel/accel*; do
		n=$((n + 1))
		vgpu-run -q -d "$d" -w gemm -t 2 >/tmp/run.out 2>&1
		r=$?
		grep -q "verified=yes" /tmp/run.out || r=1
		echo "E2E-MIG-RUN $n dev=${d##*/} rc=$r $(grep "^RESULT" /tmp/run.out)"
		echo "E2E-MIG-RUN $n dev=${d##*/} rc=$r" >&3
		[ $r -eq 0 ] || bad=$((bad + 1))
	done
done
echo "E2E-MIG-RUNS runs=$n bad=$bad"
[ $bad -eq 0 ] || rc=1
e2e_done
e2e_dmesg
exit $rc
'
printf '%s\n' "$JOB" >"$OUT/job-M.sh"

# start_qemu TAG VGPU [guest-run options...]: guest M's QEMU on VGPU; its
# console is $OUT/mig-TAG.log, its control port's output $OUT/mig-ctl-TAG.log.
# QEMU 9 and later allow migration with a VFIO device without being asked
# only if the device or IOMMUFD tracks the pages it writes; for an mdev, the
# type1 container does (vfio_dma_rw() marks them), which QEMU then uses, but
# only with enable-migration=on.
declare -A RUN_PID VF_OF
start_qemu() {
    local tag=$1 vgpu=$2 ctl=$WORK/ctl-$1
    shift 2
    mkfifo "$ctl.in" "$ctl.out"
    cat 0<>"$ctl.out" >"$OUT/mig-ctl-$tag.log" &
    PIDS+=($!)
    "$SCRIPT_DIR/guest-run.sh" --name guest-M --initrd "$INITRD" --kernel "$KERNEL" \
        --job "$OUT/job-M.sh" --vgpu "$vgpu" ${VF_OF[$tag]:+--vgpu "${VF_OF[$tag]}"} \
        --ctl "$ctl" --qmp "$WORK/$tag.qmp" \
        --log "$OUT/mig-$tag.log" --timeout "$TIMEOUT" --qemu "$QEMU" \
        --vfio-opt enable-migration=on "$@" \
        2>"$OUT/mig-$tag.run" &
    RUN_PID[$tag]=$!
    PIDS+=($!)
}
alive() { kill -0 "${RUN_PID[$1]}" 2>/dev/null; }
runs() { grep -c '^E2E-MIG-RUN ' "$OUT/mig-ctl-$1.log" 2>/dev/null || true; }
# dev_runs TAG DEV: verified runs on the guest's /dev/accel/DEV.
dev_runs() { grep -c "^E2E-MIG-RUN .* dev=$2 rc=0" "$OUT/mig-ctl-$1.log" 2>/dev/null || true; }
# has_runs_each TAG N: N verified runs more than at the last mark on each of
# the guest's vGPUs (MARK[DEV]).
declare -A MARK
mark_runs() { local d; for d in "${DEVS[@]}"; do MARK[$d]=$(dev_runs "$1" "$d"); done; }
has_runs_each() {
    local d
    for d in "${DEVS[@]}"; do
        (($(dev_runs "$1" "$d") >= ${MARK[$d]:-0} + $2)) || return 1
    done
}
# wait_for SECONDS COMMAND...: poll once a second until the command succeeds.
wait_for() {
    local t=$1 i
    shift
    for ((i = 0; i < t; i++)); do
        "$@" && return 0
        sleep 1
    done
    return 1
}
qmp_status() { { $QMP "$WORK/$1.qmp" query-status 2>/dev/null || true; } | sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p'; }
paused_incoming_done() { local s; s=$(qmp_status "$1"); [[ -n $s && $s != inmigrate ]]; }
kmsg() { dmesg | grep -q "$1"; }

# ---- 1. vGPUs ---------------------------------------------------------------
for m in vfio vfio_iommu_type1 mdev; do
    modprobe "$m"
done
[[ -d /sys/module/vgpu_lib ]] || insmod "$(dirname "$VGPU_KO")/vgpu_lib.ko"
[[ -d /sys/module/vgpu ]] || insmod "$VGPU_KO"
dmesg -C
S=$(create_vgpu "$PROFILE") || die "cannot create a vGPU of type vgpu-$PROFILE"
VGPUS+=("$S")
D=$(create_vgpu "$PROFILE") || die "cannot create a second vGPU of type vgpu-$PROFILE"
VGPUS+=("$D")
X=$(create_vgpu "$OTHER") || die "cannot create a vGPU of type vgpu-$OTHER"
VGPUS+=("$X")
say "source ${S:0:8} and target ${D:0:8} ($PROFILE), refusing target ${X:0:8} ($OTHER)"
DEVS=(accel0)
if [[ -n $VF_PROFILE ]]; then
    setup_vfs 3
    VF_OF[src]=${VFS[1]} VF_OF[dst]=${VFS[2]} VF_OF[bad]=${VFS[3]} VF_OF[res]=${VFS[2]}
    DEVS=(accel0 accel1)
    say "and VFs: ${VFS[1]} with the source, ${VFS[2]} with the target, ${VFS[3]} with the refusing target ($VF_PROFILE, vgpu-vfio-pci)"
fi

# ---- 2. guest M on S --------------------------------------------------------
say "booting guest M on ${S:0:8} (nested TCG: about a minute)"
start_qemu src "$S"
if wait_for "$TIMEOUT" grep -q '^E2E-READY' "$OUT/mig-ctl-src.log"; then
    check ok "guest booted on the source vGPU"
else
    check fail "guest booted on the source vGPU" "$(tail -n 3 "$OUT/mig-src.run")"
    exit 1
fi
for _ in 1 2 3 4 5; do
    echo go >"$WORK/ctl-src.in"
    ! wait_for 3 grep -q '^E2E-GO' "$OUT/mig-ctl-src.log" || break
done
DETAIL="no verified run on each vGPU (${DEVS[*]}) of the source in 300 s"
expect "workload runs on the source (${#DEVS[@]} vGPU)" wait_for 300 has_runs_each src 1

# ---- 3. a target of another profile refuses ----------------------------------
say "migrating to a vGPU of profile $OTHER (must be refused)"
start_qemu bad "$X" --incoming "unix:$WORK/bad.sock"
wait_for 120 test -S "$WORK/bad.sock" || true
mark_runs src
$QMP "$WORK/src.qmp" migrate "{\"uri\": \"unix:$WORK/bad.sock\"}" >/dev/null || true
res=$($QMP "$WORK/src.qmp" migrate-wait 600 || true)
say "refused migration: $res"
DETAIL=$res
expect "migration to another profile fails" test "${res%% *}" = status=failed
DETAIL="destination log has no refusal: $(dmesg | grep 'migration:' | tail -n 2 || true)"
expect "the target vGPU refused the stream (profile mismatch)" \
    kmsg "refusing the incoming state: saved from profile $PROFILE"
DETAIL="source QEMU status: $(qmp_status src)"
expect "the source VM runs on after the refusal" test "$(qmp_status src)" = running
DETAIL="no new verified run on each vGPU of the source"
expect "the workload goes on on the source" wait_for 300 has_runs_each src 1
wait_for 60 eval '! alive bad' || kill -TERM "${RUN_PID[bad]}" 2>/dev/null || true

# ---- 4. live migration to D ----------------------------------------------------
say "live-migrating to ${D:0:8}"
start_qemu dst "$D" --incoming "unix:$WORK/dst.sock"
wait_for 120 test -S "$WORK/dst.sock" || true
if [[ -n $VF_PROFILE ]]; then
    # With a VF in the container, the type1 IOMMU reports every guest page
    # dirty on every pass (it cannot tell what an assigned device wrote),
    # so pre-copy cannot converge to QEMU's default 300 ms: the VM's RAM
    # goes in the stop phase, and the limit must allow for it.
    $QMP "$WORK/src.qmp" migrate-set-parameters '{"downtime-limit": 60000}' >/dev/null ||
        say "cannot set the downtime limit"
fi
$QMP "$WORK/src.qmp" migrate "{\"uri\": \"unix:$WORK/dst.sock\"}" >/dev/null || true
LIVE=$($QMP "$WORK/src.qmp" migrate-wait 900 || true)
say "live migration: $LIVE"
DETAIL=$LIVE
expect "live migration completes" test "${LIVE%% *}" = status=completed
src_runs=$(runs src)
$QMP "$WORK/src.qmp" quit >/dev/null 2>&1 || true
wait_for 60 eval '! alive src' || true
DETAIL="no 'window zeroed' in the kernel log"
expect "the source vGPU is zeroed once its QEMU closes it" kmsg "vgpu_mdev.*closed after its state was saved; window zeroed"
if [[ -n $VF_PROFILE ]]; then
    DETAIL="no 'window zeroed' of ${VFS[1]}: $(dmesg | grep "${VFS[1]}.*migration" | tail -n 2 || true)"
    expect "the source VF is zeroed once its QEMU closes it" kmsg "${VFS[1]}: migration: closed after its state was saved; window zeroed"
fi
mark_runs dst
DETAIL="no verified run on each vGPU of the target"
expect "the workload continues on the target, on each vGPU" wait_for 300 has_runs_each dst 1

# ---- 5. suspend to a file, resume on a new vGPU -----------------------------------
say "suspending to a file"
$QMP "$WORK/dst.qmp" stop >/dev/null || say "stop failed"
# A stopped VM's device state cannot shrink by pre-copy: without a generous
# downtime limit QEMU would iterate for ever waiting to converge; and no
# bandwidth limit applies to a file.
$QMP "$WORK/dst.qmp" migrate-set-parameters \
    '{"downtime-limit": 600000, "max-bandwidth": 8589934592}' >/dev/null ||
    say "cannot set the downtime limit"
$QMP "$WORK/dst.qmp" migrate "{\"uri\": \"file:$WORK/M.state\"}" >/dev/null || say "migrate failed"
SAVE=$($QMP "$WORK/dst.qmp" migrate-wait 900 || true)
say "suspend: $SAVE ($(du -m "$WORK/M.state" 2>/dev/null | cut -f1) MiB file)"
DETAIL=$SAVE
expect "suspend to a file completes" test "${SAVE%% *}" = status=completed
dst_runs=$(runs dst)
$QMP "$WORK/dst.qmp" quit >/dev/null 2>&1 || true
wait_for 60 eval '! alive dst' || true
DETAIL="remove failed"
expect "the suspended VM's vGPU is destroyed" eval "echo 1 >$MDEVS/$D/remove"
R=$(create_vgpu "$PROFILE") || die "cannot create a vGPU to resume on"
VGPUS+=("$R")
if [[ -n $VF_PROFILE ]]; then
    DETAIL="cannot take VF 2's profile back and give it again"
    expect "the suspended VM's VF is released and provisioned anew" eval 'vf_release 2 && vf_provision 2'
fi
say "resuming on a new vGPU ${R:0:8}"
start_qemu res "$R" --incoming "file:$WORK/M.state"
wait_for 300 paused_incoming_done res || true
$QMP "$WORK/res.qmp" cont >/dev/null || true
DETAIL="QEMU status $(qmp_status res)"
expect "the VM resumes from the file on a new vGPU" test "$(qmp_status res)" = running
mark_runs res
DETAIL="no verified run on each vGPU after the resume"
expect "the workload continues after the resume, on each vGPU" wait_for 300 has_runs_each res 1
echo stop >"$WORK/ctl-res.in"
rc=0
wait "${RUN_PID[res]}" || rc=$?
tally=$(sed -n 's/^E2E-MIG-RUNS //p' "$OUT/mig-res.log" | tail -n 1)
say "guest M: job status $rc, runs: ${tally:-none} (source $src_runs, after the refusal and live migration $dst_runs, after the resume $(runs res))"
DETAIL="job status $rc; $(grep 'E2E-MIG-RUN .* rc=[^0]' "$OUT/mig-res.log" | head -n 3 || true)"
expect "every run verified exact, before, across and after the migrations" \
    eval "((rc == 0)) && [[ \$tally == *bad=0 ]]"

# ---- 6. teardown and figures ------------------------------------------------------
field() { sed -n "s/.*$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }
echo "migration figures: live: downtime $(field "$LIVE" downtime_ms) ms, total $(field "$LIVE" total_ms) ms, RAM $(field "$LIVE" ram_bytes) bytes, vGPU $(field "$LIVE" vfio_bytes) bytes; suspend: total $(field "$SAVE" total_ms) ms, vGPU $(field "$SAVE" vfio_bytes) bytes"
for u in "$S" "$X" "$R"; do
    echo 1 >"$MDEVS/$u/remove" 2>/dev/null || true
done
VGPUS=()
teardown_vfs
dmesg >"$OUT/mig-host-dmesg.log"
if grep -nE "$SPLAT" "$OUT/mig-host-dmesg.log" >"$OUT/mig-splat.log"; then
    check fail "host kernel log clean" "$(head -n 5 "$OUT/mig-splat.log")"
else
    check ok "host kernel log clean"
fi
say "checks: $NPASS passed, $NFAIL failed"
((NFAIL == 0))
