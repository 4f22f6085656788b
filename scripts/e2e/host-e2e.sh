#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# host-e2e.sh - the end-to-end run, on the "host" of the vGPUs: inside the
# outer test VM that scripts/e2e.sh boots with scripts/vm-run.sh.
#
# What it does
# ------------
#  1. Loads vfio, vfio_iommu_type1, mdev and vgpu.ko, and creates two vGPUs
#     of different profiles: A (vgpu-split by default) and B (vgpu-shared).
#     They sit in different engine partitions.  With --vf-profiles (the
#     outer VM then has the SR-IOV device model, vm-run.sh --vgpu-pf), guest
#     B and a third guest C get VFs 1 and 2 of the PF instead, with those
#     profiles, bound to vfio-pci: one module serves the mdev guest and the
#     VF guests at once.
#  2. Boots two guest VMs in parallel (scripts/e2e/guest-run.sh), each with
#     one vGPU, each running a job written here (see the job_* functions).
#     Both guests get their payload (vgpu_guest.ko, vgpu-run,
#     vgpu_guest_test) from the initramfs of scripts/e2e/guest-initramfs.sh.
#  3. A start barrier makes the workloads overlap: each guest says
#     E2E-READY on its control serial port (ttyS1, a FIFO pair here) and
#     waits; once all are ready, the host samples the vGPUs' scheduler and
#     execution counters, sends "go" to them, and samples again every
#     SAMPLE_S seconds until all guests say E2E-DONE.  In check mode guest
#     A gets "go" first and the others once A's vGPU is busy: its selftests
#     reach the device only after a while, longer on a loaded host, and the
#     others' workloads must meet them there.
#  4. Waits for the guests, removes the vGPUs, checks that nothing is left
#     and unloads vgpu.ko.
#  5. --mode demo: prints a report (per vGPU: profile, memory, engines,
#     workload, verified, throughput, measured engine share, slices; per
#     parent: policy, time slice, utilisation).
#     --mode check: prints one "ok   e2e: NAME" or "FAIL e2e: NAME" line per
#     check, and forwards the guest selftest's TAP output (its "# Totals:"
#     line is what scripts/check.sh counts).
#
# The neighbour (demo mode)
# -------------------------
# Each guest alone owns its partition, and the scheduler shares a partition
# only among its own vGPUs, so two guests of different profiles never
# compete for engine time.  To show time-slicing, the demo creates a third
# vGPU of guest A's profile, in A's partition, and keeps it busy from this
# VM with tools/e2e/vgpu_load (a VFIO user like QEMU, with no guest) for the
# whole workload.  Under the default best_effort policy (work-conserving, by
# weight) a neighbour that always has work gets every slice guest A leaves
# idle.  A nested guest has a hard time keeping its vGPU busy: each job's
# setup and verification run under two levels of TCG, while the device
# model runs one level down.  So the demo's guests run vgpu-run -r REPEAT:
# each job holds its (idempotent) command REPEAT times and is checked once.
# Measured on the 2-core machine with REPEAT=32: guest A's vGPU ~130 per
# mille of the partition, the neighbour's ~250, guest B's ~70 of its
# four-engine partition (without -r: 16, 290 and 7).  A vGPU's commands run
# one at a time, so on at most one of a partition's engines at once, and
# the engine threads share the outer VM's two vCPUs with the two nested
# guests' QEMUs, so no vGPU gets a whole engine here.  That is the
# policy working, not unfairness; the report says so.  Without the
# neighbour each guest would be alone in its partition and the shares would
# say nothing about the scheduler, so the demo has one (--no-neighbour
# drops it).
#
# Everything goes to OUT (default: out/e2e of the repository, which
# vm-run.sh's share makes visible on the host): the guests' console logs,
# the control-channel logs, the counter samples, the jobs.
set -euo pipefail

PROG=$(basename "$0")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$SCRIPT_DIR/../.." && pwd -P)
# The vGPU function's PCI IDs (vendor:device), from the uapi header.
VGPU_PCI_ID=$("$TOP/scripts/vgpu-ids.sh" VENDOR_ID DEVICE_ID | sed 's/^0x//' | paste -sd:)
PF_PCI_ID=$("$TOP/scripts/vgpu-ids.sh" VENDOR_ID PF_DEVICE_ID | paste -sd' ')
PARENT=/sys/class/vgpu/vgpu0
PF_PARENT=""
MDEVS=/sys/bus/mdev/devices
SAMPLE_S=2
# Scheduler and execution counters of a vGPU (sysfs-bus-mdev-devices-vgpu).
COUNTERS=(busy_ns slices preemptions commands bytes errors resets share_permille peer_tx_bytes peer_rx_bytes)
# Kernel log patterns that fail the run (as in scripts/check.sh).
SPLAT='BUG:|WARNING:|Oops|general protection|Call Trace:|Kernel panic|UBSAN:|KASAN:|possible .*(locking|deadlock)|circular locking|Tainted: .*[DWB]|unreferenced object'

usage() {
    cat <<EOF
Usage: $PROG [OPTIONS]

Run inside the outer test VM (scripts/e2e.sh does that): load vgpu.ko, boot
two guests with a vGPU each, run their workloads together, report.

Options:
  --mode demo|check   report for people, or ok/FAIL check lines (default demo)
  --initrd FILE       guest initramfs (default: scripts/e2e/guest-initramfs.sh)
  --kernel FILE       guest kernel (default: the --vmlinux of guest-initramfs.sh)
  --vgpu-ko FILE      (default $TOP/vgpu.ko)
  --load-tool FILE    the neighbour's load generator (default
                      $TOP/tools/e2e/vgpu_load; demo only; none if missing)
  --no-neighbour      demo without the neighbour tenant
  --profiles A,B      mdev types of the two guests (default split,shared)
  --vf-profiles B,C   guests B and C on VFs 1 and 2 of the vgpu PF, with
                      these profiles (default: no VF guests)
  --guest-qemu BIN    QEMU for the guests (default: qemu-system-x86_64)
  --migration         afterwards, live-migrate, suspend and resume a guest
                      (scripts/e2e/migrate-e2e.sh; needs --guest-qemu 8.1+)
  --seconds N         workload length in seconds (default 20)
  --repeat N          demo: vgpu-run -r N, commands per job (default 32)
  --policy NAME       sched_policy to set (default: leave the default)
  --out DIR           logs (default $TOP/out/e2e)
  --boot-timeout SECONDS  per guest, until its job starts (default 1200)
  --timeout SECONDS   per guest job, once it started (default 960)
  -h, --help          show this help
EOF
}

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 2
}

T0=$EPOCHREALTIME
# Progress lines: "[  12.3 s] message".
say() { printf '[%6.1f s] %s\n' "$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" "$*"; }

# ---- options ----------------------------------------------------------------
MODE=demo INITRD="" KERNEL="" VGPU_KO=$TOP/vgpu.ko OUT=$TOP/out/e2e VF_PROFILES=""
GUEST_QEMU=qemu-system-x86_64
LOAD_TOOL=$TOP/tools/e2e/vgpu_load NEIGHBOUR=1 PROFILES=split,shared
SECONDS_=20 POLICY="" TIMEOUT=960 BOOT_TIMEOUT=1200 REPEAT=32 MIGRATION=0
while (($# > 0)); do
    case $1 in
        --mode) MODE=${2:?}; shift 2 ;;
        --initrd) INITRD=${2:?}; shift 2 ;;
        --kernel) KERNEL=${2:?}; shift 2 ;;
        --vgpu-ko) VGPU_KO=${2:?}; shift 2 ;;
        --load-tool) LOAD_TOOL=${2:?}; shift 2 ;;
        --no-neighbour) NEIGHBOUR=0; shift ;;
        --profiles) PROFILES=${2:?}; shift 2 ;;
        --vf-profiles) VF_PROFILES=${2:?}; shift 2 ;;
        --guest-qemu) GUEST_QEMU=${2:?}; shift 2 ;;
        --migration) MIGRATION=1; shift ;;
        --seconds) SECONDS_=${2:?}; shift 2 ;;
        --repeat) REPEAT=${2:?}; shift 2 ;;
        --policy) POLICY=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --boot-timeout) BOOT_TIMEOUT=${2:?}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ $MODE == demo || $MODE == check ]] || die "--mode is demo or check"
[[ $PROFILES =~ ^[a-z0-9_]+,[a-z0-9_]+$ ]] || die "--profiles wants A,B"
[[ -z $VF_PROFILES || $VF_PROFILES =~ ^[a-z0-9_]+,[a-z0-9_]+$ ]] || die "--vf-profiles wants B,C"
[[ $SECONDS_ =~ ^[1-9][0-9]*$ ]] || die "--seconds must be a positive number"
if ! [[ $REPEAT =~ ^[1-9][0-9]*$ ]] || ((REPEAT > 126)); then
    die "--repeat must be 1-126"
fi
[[ -f $VGPU_KO ]] || die "vgpu.ko not found: $VGPU_KO"
[[ ${VGPU_IN_VM:-} == 1 ]] || die "run me inside a test VM (scripts/e2e.sh does that)"
[[ -n $INITRD ]] || INITRD=$("$SCRIPT_DIR/guest-initramfs.sh")
[[ -n $KERNEL ]] || KERNEL=$("$SCRIPT_DIR/guest-initramfs.sh" --vmlinux)
[[ $MODE == demo ]] || NEIGHBOUR=0
[[ -x $LOAD_TOOL ]] || NEIGHBOUR=0
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
rm -f "$OUT"/guest-*.log* "$OUT"/guest-*.run "$OUT"/ctl-*.log "$OUT"/checks.txt "$OUT"/samples.txt "$OUT"/job-*.sh \
    "$OUT"/neighbour.log "$OUT"/host-dmesg.log
WORK=$(mktemp -d /tmp/host-e2e.XXXXXX)

# ---- check results ------------------------------------------------------------
NPASS=0 NFAIL=0
check() { # check ok|fail NAME [DETAIL...]
    local st=$1 name=$2
    shift 2
    if [[ $st == ok ]]; then
        NPASS=$((NPASS + 1))
        printf 'ok   e2e: %s\n' "$name"
    else
        NFAIL=$((NFAIL + 1))
        printf 'FAIL e2e: %s\n' "$name"
    fi
    (($# == 0)) || printf '     | %s\n' "$@"
}

# ---- cleanup: guests, readers, vGPUs --------------------------------------------
PIDS=()
VGPU_IDS=()
# shellcheck disable=SC2317 # invoked via trap
cleanup() {
    local p u
    for p in ${PIDS[@]+"${PIDS[@]}"}; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in ${PIDS[@]+"${PIDS[@]}"}; do
        wait "$p" 2>/dev/null || true
    done
    for u in ${VGPU_IDS[@]+"${VGPU_IDS[@]}"}; do
        [[ -e $MDEVS/$u/remove ]] && echo 1 >"$MDEVS/$u/remove" 2>/dev/null
    done
    teardown_vfs 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- host setup ------------------------------------------------------------------
rd() { # rd FILE: a sysfs value, or "?"
    local v
    read -r v <"$1" 2>/dev/null && printf '%s' "$v" || printf '?'
}
# A vGPU is named by its mdev UUID or its VF's PCI address; VDIR maps the
# name to its vgpu/ directory in sysfs.
declare -A VDIR
vattr() { rd "${VDIR[$1]}/$2"; }
# short NAME: 8 characters of a UUID, a VF's address without the domain.
short() { if [[ $1 == *:*:* ]]; then printf '%s' "${1#*:}"; else printf '%s' "${1:0:8}"; fi; }

create_vgpu() { # create_vgpu TYPE: sets NEW_VGPU to the new vGPU's UUID
    local u
    u=$(</proc/sys/kernel/random/uuid)
    echo "$u" >"$PARENT/mdev_supported_types/vgpu-$1/create" || return 1
    VDIR[$u]=$MDEVS/$u/vgpu
    NEW_VGPU=$u
}

# setup_vf N PROFILE: give VF N of the PF the profile, bind it to vfio-pci;
# sets NEW_VGPU to its PCI address.
setup_vf() {
    local a
    echo "$2" >"$PF_PARENT/vf$1/profile" || return 1
    a=$(basename "$(readlink "$PF_PARENT/vf$1/pci_function")")
    echo vfio-pci >"/sys/bus/pci/devices/$a/driver_override"
    echo "$a" >/sys/bus/pci/drivers_probe
    [[ $(readlink -f "/sys/bus/pci/devices/$a/driver") == */vfio-pci ]] || return 1
    VDIR[$a]=$PF_PARENT/vf$1/vgpu
    NEW_VGPU=$a
}

# setup_pf: find the PF, enable two VFs.
setup_pf() {
    local d
    PF_ADDR=""
    for d in /sys/bus/pci/devices/*; do
        if [[ "$(<"$d/vendor") $(<"$d/device")" == "$PF_PCI_ID" ]]; then
            PF_ADDR=${d##*/}
        fi
    done
    [[ -n $PF_ADDR ]] || die "--vf-profiles: no vgpu PF ($PF_PCI_ID) in this VM"
    modprobe vfio-pci
    PF_PARENT=/sys/class/vgpu/$(ls "/sys/bus/pci/devices/$PF_ADDR/vgpu")
    [[ -d $PF_PARENT ]] || die "vgpu.ko did not bind the PF $PF_ADDR"
    echo 2 >"/sys/bus/pci/devices/$PF_ADDR/sriov_numvfs" || die "cannot enable 2 VFs on $PF_ADDR"
}

# teardown_vfs: unbind the VFs and disable them.
teardown_vfs() {
    local a
    [[ -n $PF_PARENT ]] || return 0
    for a in /sys/bus/pci/devices/"$PF_ADDR"/virtfn*; do
        if [[ -e $a/driver ]]; then
            basename "$(readlink -f "$a")" >"$a/driver/unbind"
        fi
    done
    echo 0 >"/sys/bus/pci/devices/$PF_ADDR/sriov_numvfs"
}

setup_host() {
    local m
    for m in vfio vfio_iommu_type1 mdev; do
        modprobe "$m"
    done
    insmod "$(dirname "$VGPU_KO")/vgpu_lib.ko"
    insmod "$VGPU_KO"
    [[ -d $PARENT ]] || die "vgpu.ko loaded but $PARENT is missing"
    [[ -z $VF_PROFILES ]] || setup_pf
    if [[ -n $POLICY ]]; then
        echo "$POLICY" >"$PARENT/sched_policy"
        [[ -z $PF_PARENT ]] || echo "$POLICY" >"$PF_PARENT/sched_policy"
    fi
}

# ---- guest jobs (busybox sh, with the /lib/e2e.sh helpers) -----------------------
# The workload: vgpu-run, or with a placeholder payload a stand-in that keeps
# the harness's barrier, timing and reports exercised.
# shellcheck disable=SC2016 # these are guest scripts: expand in the guest
job_common='
e2e_payload
e2e_check_pci
workload() { # workload BLOCK-NAME KIND SECONDS
	if e2e_have vgpu-run; then
		# shellcheck disable=SC2086 # E2E_RUN_ARGS: several words
		e2e_block "$1" vgpu-run -w "$2" -t "$3" $E2E_RUN_ARGS
	else
		e2e_block "$1" sh -c "echo placeholder workload: no vgpu-run; sleep $3"
	fi
}
'

# demo (and guest C in check mode): load the driver, wait for go, run the
# workload.
# shellcheck disable=SC2016
job_demo='
rc=0
if e2e_have vgpu_guest.ko; then
	e2e_load_driver || { e2e_check fail driver-load; rc=1; }
	e2e_check_msix || rc=1
fi
e2e_sync
workload workload "$E2E_WORKLOAD" "$E2E_SECONDS" || rc=1
e2e_done
e2e_dmesg
exit $rc
'

# check, guest A: the guest selftests (which inject a device fault and a
# malformed job), then a normal run that must succeed after them.
# shellcheck disable=SC2016
job_check_a='
rc=0
if e2e_load_driver; then e2e_check ok driver-load; else e2e_check fail driver-load; rc=1; fi
e2e_check_msix || rc=1
e2e_sync
e2e_block guest-test vgpu_guest_test || rc=1
e2e_block peer-test vgpu_guest_peer_test || rc=1
e2e_block peer-run vgpu-run -w peer -g 96 -n 3 -q || rc=1
workload after-test "$E2E_WORKLOAD" 5 || rc=1
e2e_done
e2e_dmesg
exit $rc
'

# check, guest B: load, unload and reload the driver, then the workload.
# shellcheck disable=SC2016
job_check_b='
rc=0
if e2e_load_driver && e2e_check_msix && e2e_unload_driver &&
	[ ! -e "$E2E_ACCEL" ] && e2e_load_driver && [ -e "$E2E_ACCEL" ]; then
	e2e_check ok driver-reload
else
	e2e_check fail driver-reload "insmod/rmmod/insmod vgpu_guest.ko, /dev/accel/accel0 after each"
	rc=1
fi
e2e_sync
workload workload "$E2E_WORKLOAD" "$E2E_SECONDS" || rc=1
e2e_done
e2e_dmesg
exit $rc
'

# ---- guests ------------------------------------------------------------------------
declare -A G_VGPU G_VGPU2 G_PID G_JOB G_WORKLOAD G_RUN_ARGS G_STATUS G_READY G_DONE
GUESTS=(A B)

start_guest() { # start_guest NAME
    local g=$1 ctl=$WORK/ctl-$1
    mkfifo "$ctl.in" "$ctl.out"
    # The control channel's output, read for the whole run.  Opened
    # read-write, so it never sees EOF: guest-run.sh may start QEMU again
    # (a retried boot), which opens the FIFO anew.  Killed at the end.
    cat 0<>"$ctl.out" >"$OUT/ctl-$g.log" &
    PIDS+=($!)
    "$SCRIPT_DIR/guest-run.sh" --name "guest-$g" --initrd "$INITRD" --kernel "$KERNEL" \
        --job "$OUT/job-$g.sh" --vgpu "${G_VGPU[$g]}" \
        ${G_VGPU2[$g]:+--vgpu "${G_VGPU2[$g]}"} --ctl "$ctl" \
        --log "$OUT/guest-$g.log" --timeout "$TIMEOUT" --boot-timeout "$BOOT_TIMEOUT" --qemu "$GUEST_QEMU" \
        --env "E2E_WORKLOAD=${G_WORKLOAD[$g]}" --env "E2E_SECONDS=$SECONDS_" \
        --env "E2E_RUN_ARGS=${G_RUN_ARGS[$g]:-}" \
        2>"$OUT/guest-$g.run" &
    G_PID[$g]=$!
    PIDS+=($!)
}

# ctl_has G WORD: has guest G said WORD on its control channel?
ctl_has() { grep -q "^$2" "$OUT/ctl-$1.log" 2>/dev/null; }
alive() { kill -0 "${G_PID[$1]}" 2>/dev/null; }

# One line per vGPU to samples.txt: LABEL TIME UUID COUNTERS...
sample() {
    local label=$1 t=$EPOCHREALTIME u c line
    for u in "${VGPU_IDS[@]}"; do
        line="$label $t $u"
        for c in "${COUNTERS[@]}"; do
            line+=" $(vattr "$u" "$c")"
        done
        printf '%s\n' "$line"
    done >>"$OUT/samples.txt"
    printf '%s %s parent %s\n' "$label" "$t" "$(rd "$PARENT/engine_utilization_permille" | tr ' ' ,)" \
        >>"$OUT/samples.txt"
    [[ -z $PF_PARENT ]] ||
        printf '%s %s pf %s\n' "$label" "$t" "$(rd "$PF_PARENT/engine_utilization_permille" | tr ' ' ,)" \
            >>"$OUT/samples.txt"
}

# wait_all_ready: until every guest is at the barrier or has ended; fails
# if one has ended (the others are then released all the same, so they
# finish their jobs instead of waiting for their timeout).
wait_all_ready() {
    local g waiting dead=0 last=0 now
    while :; do
        waiting=()
        for g in "${GUESTS[@]}"; do
            if ctl_has "$g" E2E-READY; then
                [[ -n ${G_READY[$g]:-} ]] || { G_READY[$g]=$EPOCHREALTIME; say "guest $g: ready (booted, driver loaded)"; }
            elif alive "$g"; then
                waiting+=("$g")
            elif [[ -z ${G_READY[$g]:-} ]]; then
                G_READY[$g]=dead
                dead=1
                say "guest $g: ended before reaching the barrier: $(tail -n 1 "$OUT/guest-$g.run")"
            fi
        done
        ((${#waiting[@]} > 0)) || return $dead
        now=${EPOCHREALTIME%.*}
        if ((now - last >= 20)); then
            say "still booting: guest ${waiting[*]}"
            last=$now
        fi
        sleep 1
    done
}

# go_guests G...: release those guests from the barrier; repeat "go" until
# each acknowledges (with E2E-GO), for up to 10 s.
go_guests() {
    local g tries pending
    for g in "$@"; do
        alive "$g" && echo go >"$WORK/ctl-$g.in"
    done
    for tries in 1 2 3 4 5 6 7 8 9 10; do
        sleep 1
        pending=()
        for g in "$@"; do
            ctl_has "$g" E2E-GO || ! alive "$g" || pending+=("$g")
        done
        ((${#pending[@]} > 0)) || return 0
        for g in "${pending[@]}"; do
            echo go >"$WORK/ctl-$g.in"
        done
    done
    say "guest ${pending[*]}: did not acknowledge go (after $tries tries)"
}

# wait_device_busy G: until guest G's vGPU has run a command (its busy_ns
# grew since go), or G is done or gone.  Guest A's selftests reach the
# device only after a while (20 s on a fast host, more than a minute on a
# loaded one), so the others start when it does and overlap it whatever
# the host's speed.
wait_device_busy() {
    local u=${G_VGPU[$1]} b0 b
    b0=$(vattr "$u" busy_ns)
    while alive "$1" && ! ctl_has "$1" E2E-DONE; do
        b=$(vattr "$u" busy_ns)
        if [[ $b =~ ^[0-9]+$ && $b0 =~ ^[0-9]+$ ]] && ((b > b0)); then
            say "guest $1: its vGPU is busy; releasing the others"
            return 0
        fi
        sleep 1
    done
}

# sample_until_done: sample every SAMPLE_S s until both guests are done.
sample_until_done() {
    local g n=0 busy
    while :; do
        busy=0
        for g in "${GUESTS[@]}"; do
            if [[ -z ${G_DONE[$g]:-} ]]; then
                if ctl_has "$g" E2E-DONE || ! alive "$g"; then
                    G_DONE[$g]=$n
                    say "guest $g: workload finished"
                else
                    busy=1
                fi
            fi
        done
        ((busy)) || break
        sleep "$SAMPLE_S"
        n=$((n + 1))
        sample "s$n"
        if ((n % 5 == 0)); then
            say "workloads running: $(for u in "${VGPU_IDS[@]}"; do printf '%s %s‰  ' "${u:0:8}" "$(vattr "$u" share_permille)"; done)"
        fi
    done
    LAST_SAMPLE=$n
}

# ---- teardown ----------------------------------------------------------------------
teardown() {
    local u left
    for u in "${VGPU_IDS[@]}"; do
        [[ ! -e $MDEVS/$u ]] || echo 1 >"$MDEVS/$u/remove" || true
    done
    VGPU_IDS_REMOVED=("${VGPU_IDS[@]}")
    VGPU_IDS=()
    left=$(find "$MDEVS" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    TD_MEM_TOTAL=$(rd "$PARENT/mem_total_bytes")
    TD_MEM_FREE=$(rd "$PARENT/mem_free_bytes")
    TD_ENG_TOTAL=$(rd "$PARENT/engines_total")
    TD_ENG_FREE=$(rd "$PARENT/engines_free")
    TD_VGPUS=$(rd "$PARENT/vgpus")
    TD_LEFT=$left
    if [[ -n $PF_PARENT ]]; then
        teardown_vfs
        TD_MEM_TOTAL+=" $(rd "$PF_PARENT/mem_total_bytes")"
        TD_MEM_FREE+=" $(rd "$PF_PARENT/mem_free_bytes")"
        TD_ENG_TOTAL+=" $(rd "$PF_PARENT/engines_total")"
        TD_ENG_FREE+=" $(rd "$PF_PARENT/engines_free")"
        TD_VGPUS=$((TD_VGPUS + $(rd "$PF_PARENT/vgpus")))
    fi
    TD_RMMOD=0
    rmmod vgpu 2>"$WORK/rmmod.err" || TD_RMMOD=$?
}

# ---- parsing -----------------------------------------------------------------------
# block G NAME: the output lines of guest G's block NAME.
block() {
    awk -v n="$2" '$1 == "E2E-END" && $2 == n { exit } p { print } $1 == "E2E-BEGIN" && $2 == n { p = 1 }' \
        "$OUT/guest-$1.log"
}
# block_rc G NAME: its exit status, or "none" if it never ended.
block_rc() {
    local rc
    rc=$(sed -n "s/^E2E-END $2 rc=\\([0-9]*\\).*/\\1/p" "$OUT/guest-$1.log" | tail -n 1)
    printf '%s' "${rc:-none}"
}
# guest_check G NAME: "ok" / "fail" / "" for an E2E-CHECK line of guest G.
guest_check() {
    sed -n "s/^E2E-CHECK \\(ok\\|fail\\) $2\\( .*\\)\\{0,1\\}$/\\1/p" "$OUT/guest-$1.log" | tail -n 1
}
# result_field LINE KEY: the value of KEY=value in a RESULT line.
result_field() { sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

# delta U COUNTER FROM TO: the counter's increase between two sample labels.
delta() {
    awk -v u="$1" -v c="$2" -v a="$3" -v b="$4" -v cols="${COUNTERS[*]}" '
        BEGIN { n = split(cols, k, " "); for (i = 1; i <= n; i++) if (k[i] == c) col = i + 3 }
        $3 == u && $1 == a { x = $col } $3 == u && $1 == b { y = $col }
        END { if (x == "" || y == "") print "?"; else print y - x }' "$OUT/samples.txt"
}
stime() { awk -v l="$1" '$1 == l { print $2; exit }' "$OUT/samples.txt"; }
# both_busy_interval U1 U2: print the first sample interval in which both
# vGPUs' busy_ns grew, or fail.
both_busy_interval() {
    awk -v u1="$1" -v u2="$2" '
        $3 == u1 { b1[$1] = $4 } $3 == u2 { b2[$1] = $4 }
        $3 == u1 { order[++n] = $1 }
        END {
            for (i = 2; i <= n; i++) {
                p = order[i - 1]; q = order[i]
                if (b1[q] > b1[p] && b2[q] > b2[p]) { print p "->" q; found = 1; exit }
            }
            exit !found
        }' "$OUT/samples.txt"
}
# mean_permille U FROM TO: average share_permille over the samples FROM..TO
mean_permille() {
    awk -v u="$1" -v a="$2" -v b="$3" -v cols="${COUNTERS[*]}" '
        BEGIN { n = split(cols, k, " "); for (i = 1; i <= n; i++) if (k[i] == "share_permille") col = i + 3 }
        $3 == u { s = substr($1, 2) + 0; if ($1 != "go" && s > a && s <= b) { sum += $col; cnt++ } }
        END { if (cnt) printf "%d", sum / cnt; else print "?" }' "$OUT/samples.txt"
}

# ---- main --------------------------------------------------------------------------
say "e2e ($MODE): loading vgpu.ko"
setup_host
IFS=, read -r PROF_A PROF_B <<<"$PROFILES"
create_vgpu "$PROF_A" || die "cannot create a vGPU of type vgpu-$PROF_A"
G_VGPU[A]=$NEW_VGPU
VGPU_IDS+=("${G_VGPU[A]}")
if [[ $MODE == check ]]; then
    # Guest A gets a second vGPU; the two form peer group 1.
    create_vgpu "$PROF_A" || die "cannot create guest A's second vGPU (vgpu-$PROF_A)"
    G_VGPU2[A]=$NEW_VGPU
    VGPU_IDS+=("${G_VGPU2[A]}")
    echo 1 >"${VDIR[${G_VGPU[A]}]}/peer_group" &&
        echo 1 >"${VDIR[${G_VGPU2[A]}]}/peer_group" ||
        die "cannot join guest A's vGPUs into peer group 1"
fi
if [[ -n $VF_PROFILES ]]; then
    IFS=, read -r PROF_B PROF_C <<<"$VF_PROFILES"
    GUESTS=(A B C)
    setup_vf 1 "$PROF_B" || die "cannot give VF 1 profile $PROF_B and bind it to vfio-pci"
    G_VGPU[B]=$NEW_VGPU
    setup_vf 2 "$PROF_C" || die "cannot give VF 2 profile $PROF_C and bind it to vfio-pci"
    G_VGPU[C]=$NEW_VGPU
    VGPU_IDS+=("${G_VGPU[B]}" "${G_VGPU[C]}")
else
    create_vgpu "$PROF_B" || die "cannot create a vGPU of type vgpu-$PROF_B"
    G_VGPU[B]=$NEW_VGPU
    VGPU_IDS+=("${G_VGPU[B]}")
fi
NB_VGPU=""
if ((NEIGHBOUR)); then
    create_vgpu "$PROF_A" || die "cannot create the neighbour vGPU (vgpu-$PROF_A)"
    NB_VGPU=$NEW_VGPU
    VGPU_IDS+=("$NB_VGPU")
fi
for u in "${VGPU_IDS[@]}"; do
    who="the neighbour"
    for g in "${GUESTS[@]}"; do
        [[ $u != "${G_VGPU[$g]}" && $u != "${G_VGPU2[$g]:-}" ]] || who="guest $g"
    done
    kind=mdev
    [[ $u != *:*:* ]] || kind="VF of $PF_ADDR"
    say "vGPU $(short "$u") ($kind) for $who: $(vattr "$u" profile), $(($(vattr "$u" mem_size_bytes) >> 20)) MiB, engines $(vattr "$u" engines) (partition $(vattr "$u" partition), $(vattr "$u" partition_users)/$(vattr "$u" partition_share) seats used)"
done

if [[ $MODE == demo ]]; then
    G_WORKLOAD[A]=mix G_WORKLOAD[B]=gemm G_WORKLOAD[C]=crc
    # Each job repeats its (idempotent) command, so the device, not the
    # guest's doubly emulated CPU preparing and checking data, is the
    # bottleneck and the vGPUs are really busy: the shares then show the
    # scheduler at work.
    G_RUN_ARGS[A]="-r $REPEAT" G_RUN_ARGS[B]="-r $REPEAT" G_RUN_ARGS[C]="-r $REPEAT"
    G_JOB[A]=$job_demo G_JOB[B]=$job_demo G_JOB[C]=$job_demo
else
    G_WORKLOAD[A]=copy G_WORKLOAD[B]=mix G_WORKLOAD[C]=gemm
    G_JOB[A]=$job_check_a G_JOB[B]=$job_check_b G_JOB[C]=$job_demo
fi
for g in "${GUESTS[@]}"; do
    printf '%s\n%s\n' "$job_common" "${G_JOB[$g]}" >"$OUT/job-$g.sh"
done

say "booting guests ${GUESTS[*]} in parallel (nested TCG: about a minute or two)"
T_BOOT=$EPOCHREALTIME
for g in "${GUESTS[@]}"; do
    start_guest "$g"
done
BARRIER_OK=0
if wait_all_ready; then
    BARRIER_OK=1
    say "all guests ready after $(awk -v a="$T_BOOT" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s; starting the workloads together"
fi
sample go
NB_PID=""
if [[ -n $NB_VGPU ]]; then
    # A little longer than the guests' workloads, which start after "go".
    "$LOAD_TOOL" "$NB_VGPU" $((SECONDS_ + 8)) >"$OUT/neighbour.log" 2>&1 &
    NB_PID=$!
    PIDS+=("$NB_PID")
fi
if [[ $MODE == check ]]; then
    go_guests A
    wait_device_busy A
    go_guests "${GUESTS[@]:1}"
else
    go_guests "${GUESTS[@]}"
fi
sample_until_done
sample end
if [[ -n $NB_PID ]] && ! wait "$NB_PID"; then
    say "the neighbour load generator failed: $(tail -n 1 "$OUT/neighbour.log")"
fi
for g in "${GUESTS[@]}"; do
    G_STATUS[$g]=0
    wait "${G_PID[$g]}" || G_STATUS[$g]=$?
    say "guest $g: exited with status ${G_STATUS[$g]} ($(grep -o 'boot [0-9.]* s, job [0-9.]* s, total [0-9.]* s' "$OUT/guest-$g.run" | tail -n 1))"
done
# Counters as the vGPUs end.
declare -A FINAL
for u in "${VGPU_IDS[@]}"; do
    for c in "${COUNTERS[@]}"; do
        FINAL[$u.$c]=$(vattr "$u" "$c")
    done
done
PARENT_POLICY=$(rd "$PARENT/sched_policy")
PARENT_SLICE=$(rd "$PARENT/timeslice_us")
PF_POLICY="" PF_SLICE=""
if [[ -n $PF_PARENT ]]; then
    PF_POLICY=$(rd "$PF_PARENT/sched_policy")
    PF_SLICE=$(rd "$PF_PARENT/timeslice_us")
fi
declare -A VINFO
for u in "${VGPU_IDS[@]}"; do
    for c in profile mem_size_bytes engines partition partition_share; do
        VINFO[$u.$c]=$(vattr "$u" "$c")
    done
done
teardown
dmesg >"$OUT/host-dmesg.log"

# ---- checks (both modes; printed in check mode) --------------------------------------
# One check per requirement; (a) to (f) are those of the check mode.
checks_guests() { # boot, the vGPU on the bus, the driver on MSI-X
    local g n
    for g in "${GUESTS[@]}"; do
        if grep -q '^E2E-BOOTED' "$OUT/guest-$g.log"; then
            n=$(grep -c 'died while booting' "$OUT/guest-$g.run" || true)
            check ok "guest $g boots ($(grep -o 'boot [0-9.]* s' "$OUT/guest-$g.run" | tail -n 1)$( ((n == 0)) || echo ", after $n failed boot(s): $OUT/guest-$g.log.boot*"))"
        else
            check fail "guest $g boots" "$(tail -n 3 "$OUT/guest-$g.run")" \
                "its console begins: $(head -c 300 "$OUT/guest-$g.log" | cat -v | tr '\n' '|')"
        fi
        if [[ $(guest_check "$g" vgpu-pci)$(guest_check "$g" msix-capability) == okok ]]; then
            check ok "guest $g sees its vGPU ($VGPU_PCI_ID, MSI-X capability)"
        else
            check fail "guest $g sees its vGPU ($VGPU_PCI_ID, MSI-X capability)" \
                "$(grep -m1 -E 'E2E-CHECK fail (vgpu-pci|msix-cap)' "$OUT/guest-$g.log")"
        fi
        if [[ $(guest_check "$g" msix-enabled) == ok ]]; then
            check ok "guest $g: vgpu_guest.ko runs the vGPU on MSI-X"
        else
            check fail "guest $g: vgpu_guest.ko runs the vGPU on MSI-X" \
                "$(grep -m1 -E 'E2E-CHECK fail|E2E-PAYLOAD' "$OUT/guest-$g.log")"
        fi
    done
}

checks_driver_reload() { # (a)
    if [[ $(guest_check B driver-reload) == ok ]]; then
        check ok "guest B: vgpu_guest.ko loads, unloads and reloads"
    else
        check fail "guest B: vgpu_guest.ko loads, unloads and reloads" \
            "$(grep -m1 -E 'E2E-CHECK fail driver|E2E-PAYLOAD' "$OUT/guest-B.log")"
    fi
}

checks_selftests() { # (b), guest A's half; its TAP output is forwarded
    local rc line
    rc=$(block_rc A guest-test)
    block A guest-test >"$WORK/tap"
    grep -E '^(TAP version|1\.\.|ok |not ok |# )' "$WORK/tap" || true
    line=$(grep -m1 '^# Totals:' "$WORK/tap" || true)
    if [[ $rc == 0 && $line =~ fail:0 ]]; then
        check ok "guest A: vgpu_guest_test passes (${line#\# })"
    else
        check fail "guest A: vgpu_guest_test passes" "exit status $rc; ${line:-no Totals line}"
    fi
}

# (b) guest A's two vGPUs: the peer tests, the split GEMM, and the counters
# of the copies on both sides (and on no other vGPU).
checks_peer() {
    local rc line u a=${G_VGPU[A]} a2=${G_VGPU2[A]} others=""
    rc=$(block_rc A peer-test)
    block A peer-test >"$WORK/tap"
    grep -E '^(TAP version|1\.\.|ok |not ok |# )' "$WORK/tap" || true
    line=$(grep -m1 '^# Totals:' "$WORK/tap" || true)
    if [[ $rc == 0 && $line =~ fail:0 && $line =~ [[:space:]]pass:[1-9] ]]; then
        check ok "guest A: vgpu_guest_peer_test passes (${line#\# })"
    else
        check fail "guest A: vgpu_guest_peer_test passes" "exit status $rc; ${line:-no Totals line}"
    fi
    rc=$(block_rc A peer-run)
    line=$(block A peer-run | grep -m1 '^RESULT ' || true)
    if [[ $rc == 0 && $(result_field "$line" verified) == yes && $(result_field "$line" jobs) == 3 ]]; then
        check ok "guest A: a GEMM split across its two vGPUs, joined by PEER_COPY, is exact (3 iterations)"
    else
        check fail "guest A: a GEMM split across its two vGPUs, joined by PEER_COPY, is exact" \
            "exit status $rc" "${line:-no RESULT line}" "$(block A peer-run | tail -n 3)"
    fi
    for u in "${VGPU_IDS[@]}"; do
        [[ $u == "$a" || $u == "$a2" ]] || others+=" ${FINAL[$u.peer_rx_bytes]}"
    done
    if ((FINAL[$a.peer_rx_bytes] > 0 && FINAL[$a2.peer_rx_bytes] > 0 &&
        FINAL[$a.peer_rx_bytes] + FINAL[$a2.peer_rx_bytes] ==
        FINAL[$a.peer_tx_bytes] + FINAL[$a2.peer_tx_bytes])) &&
        [[ -z ${others//[ 0]/} ]]; then
        check ok "peer copies counted on both of guest A's vGPUs (rx ${FINAL[$a.peer_rx_bytes]} + ${FINAL[$a2.peer_rx_bytes]} bytes = tx), none reached another vGPU"
    else
        check fail "peer copies counted on both of guest A's vGPUs, none reached another vGPU" \
            "A: tx ${FINAL[$a.peer_tx_bytes]} rx ${FINAL[$a.peer_rx_bytes]}; A2: tx ${FINAL[$a2.peer_tx_bytes]} rx ${FINAL[$a2.peer_rx_bytes]}; others rx:$others"
    fi
}

checks_workloads() { # (b), the vgpu-run half: guest B (both in the demo)
    local g rc line d
    for g in "${GUESTS[@]}"; do
        [[ $MODE == demo || $g != A ]] || continue
        rc=$(block_rc "$g" workload)
        line=$(block "$g" workload | grep -m1 '^RESULT ' || true)
        d="guest $g: vgpu-run -w ${G_WORKLOAD[$g]}"
        [[ $MODE == demo ]] || d+=" alongside guest A's selftests"
        if [[ $rc == 0 && $(result_field "$line" verified) == yes && $(result_field "$line" job_errors) == 0 ]]; then
            check ok "$d: exit 0, verified=yes, job_errors=0"
        else
            check fail "$d: exit 0, verified=yes, job_errors=0" "exit status $rc" "${line:-no RESULT line}"
        fi
    done
}

checks_isolation() { # (c) and (d)
    local d rc line g e pair ea=${FINAL[${G_VGPU[A]}.errors]}
    # Pairs that must overlap: A with B (with VF guests: the mdev guest with
    # a VF guest), and B with C (the two VFs at once).
    local x y
    for pair in "A B" ${G_VGPU[C]:+"B C"}; do
        read -r x y <<<"$pair"
        if ((BARRIER_OK)) && d=$(both_busy_interval "${G_VGPU[$x]}" "${G_VGPU[$y]}"); then
            check ok "guests $x and $y ran concurrently: busy_ns of both vGPUs grew in one ${SAMPLE_S} s interval ($d)"
        else
            check fail "guests $x and $y ran concurrently: busy_ns of both vGPUs grew in one ${SAMPLE_S} s interval" \
                "see $OUT/samples.txt"
        fi
    done
    for g in "${GUESTS[@]}"; do
        [[ $g != A ]] || continue
        e=${FINAL[${G_VGPU[$g]}.errors]}
        if [[ $e == 0 ]]; then
            check ok "no interference: guest $g's vGPU has errors=0"
        else
            check fail "no interference: guest $g's vGPU has errors=0" "errors=$e"
        fi
    done
    if [[ $ea =~ ^[0-9]+$ ]] && ((ea >= 1)); then
        check ok "guest A's injected faults are counted on its own vGPU (errors=$ea)"
    else
        check fail "guest A's injected faults are counted on its own vGPU (errors >= 1)" "errors=$ea"
    fi
    rc=$(block_rc A after-test)
    line=$(block A after-test | grep -m1 '^RESULT ' || true)
    if [[ $rc == 0 && $(result_field "$line" verified) == yes ]]; then
        check ok "guest A: vgpu-run succeeds after the faults"
    else
        check fail "guest A: vgpu-run succeeds after the faults" "exit status $rc" "${line:-no RESULT line}"
    fi
}

checks_end() { # job status, (e) teardown, (f) kernel logs
    local g bad
    for g in "${GUESTS[@]}"; do
        if [[ ${G_STATUS[$g]} == 0 ]]; then
            check ok "guest $g: job exit status 0"
        else
            check fail "guest $g: job exit status 0" "status ${G_STATUS[$g]}" \
                "$(grep -E 'E2E-(CHECK fail|END .* rc=[1-9]|MISSING)' "$OUT/guest-$g.log" | head -n 5)"
        fi
    done
    if [[ $TD_LEFT == 0 && $TD_VGPUS == 0 && $TD_MEM_FREE == "$TD_MEM_TOTAL" && $TD_ENG_FREE == "$TD_ENG_TOTAL" ]]; then
        check ok "vGPUs removed: no mdev left$([[ -z $PF_PARENT ]] || echo ", VFs disabled"), all memory and engines free"
    else
        check fail "vGPUs removed: no mdev left, all memory and engines free" \
            "mdevs=$TD_LEFT vgpus=$TD_VGPUS mem_free=$TD_MEM_FREE/$TD_MEM_TOTAL engines_free=$TD_ENG_FREE/$TD_ENG_TOTAL"
    fi
    if ((TD_RMMOD == 0)); then
        check ok "rmmod vgpu"
    else
        check fail "rmmod vgpu" "$(cat "$WORK/rmmod.err")"
    fi
    for g in "${GUESTS[@]}"; do
        if bad=$(block "$g" dmesg | grep -E "$SPLAT"); then
            check fail "guest $g kernel log clean" "$(head -n 5 <<<"$bad")"
        elif [[ $(block_rc "$g" dmesg) == none ]]; then
            check fail "guest $g kernel log clean" "the guest did not print its kernel log"
        else
            check ok "guest $g kernel log clean"
        fi
    done
    if bad=$(grep -E "$SPLAT" "$OUT/host-dmesg.log"); then
        check fail "host (outer VM) kernel log clean" "$(head -n 5 <<<"$bad")"
    else
        check ok "host (outer VM) kernel log clean"
    fi
}

report_checks() {
    checks_guests
    if [[ $MODE == check ]]; then
        checks_driver_reload
        checks_selftests
        checks_peer
    fi
    checks_workloads
    [[ $MODE != check ]] || checks_isolation
    checks_end
    say "e2e checks: $NPASS passed, $NFAIL failed"
}

# ---- demo report ------------------------------------------------------------------
report_demo() {
    local u g who wl line ver thr unit eng ne t0 t1 wall busy share perm sl first_done
    echo
    echo "================================ e2e demo report ================================"
    # Measurement window: from "go" to the first guest's end of workload,
    # when all tenants were running.
    first_done=$LAST_SAMPLE
    for g in "${GUESTS[@]}"; do
        [[ -n ${G_DONE[$g]:-} ]] && ((G_DONE[$g] < first_done)) && first_done=${G_DONE[$g]}
    done
    ((first_done >= 1)) || first_done=1
    t0=$(stime go)
    t1=$(stime "s$first_done")
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    printf 'measured from go to the first workload'"'"'s end: %s s (%d samples, every %s s)\n' "$wall" "$first_done" "$SAMPLE_S"
    printf 'parent %s (sim, mdev vGPUs): sched_policy=%s  timeslice_us=%s\n' "${PARENT##*/}" "$PARENT_POLICY" "$PARENT_SLICE"
    printf '  engine_utilization_permille, engines 0-N, mean over the window: %s\n' \
        "$(awk -v b="$first_done" '$3 == "parent" && $1 ~ /^s[0-9]+$/ && substr($1, 2) + 0 <= b {
                n = split($4, u, ","); for (i = 1; i <= n; i++) sum[i] += u[i]; cnt++ }
            END { for (i = 1; i <= n; i++) printf "%d ", sum[i] / cnt }' "$OUT/samples.txt")"
    if [[ -n $PF_PARENT ]]; then
        printf 'parent %s (SR-IOV PF %s, VF vGPUs): sched_policy=%s  timeslice_us=%s\n' "${PF_PARENT##*/}" "$PF_ADDR" "$PF_POLICY" "$PF_SLICE"
        printf '  engine_utilization_permille, engines 0-N, mean over the window: %s\n' \
            "$(awk -v b="$first_done" '$3 == "pf" && $1 ~ /^s[0-9]+$/ && substr($1, 2) + 0 <= b {
                    n = split($4, u, ","); for (i = 1; i <= n; i++) sum[i] += u[i]; cnt++ }
                END { for (i = 1; i <= n; i++) printf "%d ", sum[i] / cnt }' "$OUT/samples.txt")"
    fi
    echo
    printf '%-8s  %-9s %-9s %7s  %-8s %-8s %-4s %-20s %7s %8s %7s\n' \
        vGPU tenant profile memory engines workload ok throughput "engine%" permille slices
    for u in "${VGPU_IDS_REMOVED[@]}"; do
        who=neighbour wl=gemm ver=- thr=- unit=""
        for g in "${GUESTS[@]}"; do
            [[ ${G_VGPU[$g]} == "$u" ]] && who=$g
        done
        if [[ $who != neighbour ]]; then
            wl=${G_WORKLOAD[$who]}
            line=$(block "$who" workload | grep -m1 '^RESULT ' || true)
            if [[ -n $line ]]; then
                ver=$(result_field "$line" verified)
                thr=$(result_field "$line" throughput)
                unit=$(awk '{ print $NF }' <<<"$line")
            elif [[ $(block "$who" workload) == *placeholder* ]]; then
                ver=n/a thr="(placeholder)"
            else
                ver=no thr="(no RESULT; rc $(block_rc "$who" workload))"
            fi
        else
            line=$(grep -m1 '^LOAD ' "$OUT/neighbour.log" 2>/dev/null || true)
            [[ -n $line ]] && { thr=$(result_field "$line" throughput); unit=GMAC/s; ver=n/a; }
        fi
        eng=${VINFO[$u.engines]}
        if [[ $eng == *-* ]]; then ne=$((${eng#*-} - ${eng%-*} + 1)); else ne=1; fi
        busy=$(delta "$u" busy_ns go "s$first_done")
        share=$(awk -v b="$busy" -v w="$wall" -v n="$ne" 'BEGIN { if (b == "?" || w <= 0) print "?"; else printf "%.1f", 100 * b / (w * 1e9 * n) }')
        perm=$(mean_permille "$u" 0 "$first_done")
        sl=$(delta "$u" slices go "s$first_done")
        [[ $who == neighbour ]] || who="guest $who"
        printf '%-8s  %-9s %-9s %3d MiB  %-8s %-8s %-4s %-20s %7s %8s %7s\n' \
            "$(short "$u")" "$who" "${VINFO[$u.profile]}" $((VINFO[$u.mem_size_bytes] >> 20)) \
            "$eng ($ne)" "$wl" "$ver" "$thr $unit" "$share" "$perm" "$sl"
        if [[ $who != neighbour && $wl == mix ]]; then
            block "${who#guest }" workload |
                sed -n 's/^WORKLOAD name=\([^ ]*\) jobs=\([^ ]*\) throughput=\([^ ]*\) \(.*\)$/            mix part \1: \2 jobs, \3 \4/p'
        fi
    done
    echo
    echo "engine% = busy_ns growth / (wall time x engines of the partition) over the window;"
    echo "permille = the driver's share_permille (share of its partition's time), averaged"
    echo "over the window's samples; slices = scheduler slices run in the window."
    if [[ -n $NB_VGPU ]]; then
        echo "The neighbour shares guest A's partition and always has work; best_effort gives"
        echo "it every slice guest A leaves idle (a nested guest prepares and checks each job"
        echo "under two levels of emulation, so its vGPU is often idle)."
    fi
    [[ -z $PF_PARENT ]] || echo "vGPU names: 8 characters of an mdev UUID; bus:dev.fn of a VF."
    echo "Logs: $OUT (guest-*.log: consoles; samples.txt: counters)"
    echo "================================================================================="
}

if [[ $MODE == check ]]; then
    report_checks
else
    report_checks >"$OUT/checks.txt"
    report_demo
    echo "health checks: $NPASS passed, $NFAIL failed (details: $OUT/checks.txt)"
    grep -A3 -E '^FAIL' "$OUT/checks.txt" || true
fi
# Exit status: in check mode any failed check; in demo mode, the guests'.
rc=0
if [[ $MODE == check ]]; then
    ((NFAIL == 0)) || rc=1
else
    for g in "${GUESTS[@]}"; do
        ((G_STATUS[$g] == 0)) || rc=1
    done
fi
# Then, in the same VM, migration, suspend and resume of a guest
# (scripts/e2e/migrate-e2e.sh; its checks print as ours do).
if ((MIGRATION)); then
    say "migration, suspend and resume of a guest with an mdev vGPU${VF_PROFILES:+ and a VF}"
    "$SCRIPT_DIR/migrate-e2e.sh" --initrd "$INITRD" --kernel "$KERNEL" \
        --guest-qemu "$(command -v "$GUEST_QEMU")" --vgpu-ko "$VGPU_KO" --out "$OUT" \
        ${VF_PROFILES:+--vf-profile shared} || rc=1
fi
exit "$rc"
