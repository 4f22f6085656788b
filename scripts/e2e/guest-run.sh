#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# guest-run.sh - boot one e2e guest VM with a vGPU, run its job, and exit
# with the job's status.  Runs wherever vgpu.ko is loaded: in the e2e
# harness, that is the outer test VM (see scripts/e2e/host-e2e.sh), so the
# guest is a nested TCG VM and must boot lean.
#
# Design
# ------
# * The guest boots the base initramfs of scripts/e2e/guest-initramfs.sh
#   with this guest's job appended as a second cpio archive: /job (the job
#   script, preceded by the --env settings).  No root file system, no 9p.
# * The vGPU is passed with QEMU's vfio-pci device (sysfsdev=the mdev, or
#   host=the VF's PCI address).
# * The console, ttyS0, goes to the --log file (CRs stripped once QEMU has
#   ended).  The job prints its results there and /init ends the console with
#   "E2E-EXIT <status>"; that status is this script's exit status.
# * --ctl PATH gives the guest a second serial port, ttyS1, on QEMU's
#   `-serial pipe:PATH`: QEMU reads PATH.in and writes PATH.out (FIFOs,
#   created here if missing).  The orchestrator uses it to start the
#   workloads of several guests at the same moment (e2e_sync in the guest).
# * Boot options: see BASE_CMDLINE below.  Measured nested (TCG in TCG, one
#   guest at a time, 256 MiB, with a vGPU) on the 2-core machine, from QEMU's
#   start to the job's start: the stock bzImage with ACPI 75 s; acpi=off
#   alone 76 s (the TSC can then not be calibrated, the kernel falls back to
#   jiffies, which run ~3x slow nested); the same kernel booted through its
#   PVH entry (no decompressor, no real-mode setup) 67 s; plus tsc_early_khz
#   60 s; plus the rest of BASE_CMDLINE 44 s.  Two guests booting at once
#   take 60-65 s each.  The kernel is the same Debian image throughout;
#   guest-initramfs.sh --vmlinux extracts its ELF once.
# * The guest's /init and helpers avoid forks (each costs tens of ms
#   nested), and the initramfs carries stripped binaries.
#
# Exit status: the job's status; 124 on timeout; 125 if the guest ended
# without an "E2E-EXIT" line (panic, boot failure: see the log); 2 on usage
# errors.
set -euo pipefail

PROG=$(basename "$0")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$SCRIPT_DIR/../.." && pwd -P)

usage() {
    cat <<EOF
Usage: $PROG --initrd FILE --job FILE [OPTIONS]

Options:
  --initrd FILE      base initramfs (scripts/e2e/guest-initramfs.sh prints it)
  --job FILE         the guest's job script (busybox sh; /lib/e2e.sh helpers)
  --vgpu UUID|ADDR   pass the mdev vGPU UUID, or the VF at PCI address ADDR
                     (bound to vfio-pci or vgpu-vfio-pci)
                     (bound to vfio-pci), through (repeatable)
  --name NAME        guest name: hostname and progress lines (default guest)
  --log FILE         console log (default ./NAME-console.log; overwritten)
  --ctl PATH         control channel on ttyS1: QEMU -serial pipe:PATH
  --mem MB           guest memory (default 256)
  --boot-timeout SECONDS  kill the guest if its job has not started this
                     long after QEMU did, exit 124 (default 900)
  --timeout SECONDS  kill the guest this long after its job started, exit
                     124 (default 600)
  --kernel FILE      kernel image (default /boot/vmlinuz-REL)
  --cmdline ARGS     kernel command line instead of the built-in one
                     (console= and tsc_early_khz= are always added)
  --tsc-khz N|auto|none  tsc_early_khz= value (default auto: from /proc/cpuinfo)
  --qemu BIN         QEMU binary (default: qemu-system-x86_64 in PATH)
  --append ARGS      extra kernel command-line arguments
  --qemu-arg ARG     extra QEMU argument (repeatable, one word each)
  --env NAME=VALUE   set NAME=VALUE for the job (repeatable)
  --vfio-opt OPT     add ,OPT to every vfio-pci device (e.g. enable-migration=on)
  --qmp PATH         QMP socket at PATH (server, not waited for)
  --incoming URI     receive a migrated guest (QEMU -incoming URI) instead of
                     booting one: same options as the source's, one attempt;
                     the job's E2E-EXIT comes on this guest's console
  -q, --quiet        no progress lines on stderr
  -h, --help         show this help
EOF
}

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 2
}

# Quote a string for POSIX sh.
sq() {
    local s=${1//\'/\'\\\'\'}
    printf "'%s'" "$s"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ---- options ----------------------------------------------------------------
# The kernel command line besides console= and tsc_early_khz= (--cmdline
# replaces it, --append adds to it).  Each item was measured nested:
#  acpi=off       skips the ACPI tables and the AML interpreter; PCI is found
#                 through direct config access and MSI-X still works (the
#                 guest driver needs it).  Costs SMP (MP table only): -smp 1.
#  quiet          nothing but errors on the console.
#  panic=-1       a panic resets, and -no-reboot turns the reset into exit.
#  tsc=reliable   no clocksource watchdog (there is no reference anyway).
#  mitigations=off  no retpolines, return thunks or RSB stuffing: every
#                 indirect branch and return is cheaper to translate.
#  no_timer_check  no check that the IO-APIC delivers timer interrupts in
#                 time: on a loaded host the nested guest is too slow for it
#                 and panics ("IO-APIC + timer doesn't work").
#  cryptomgr.notests  no self-tests of the built-in crypto algorithms.
#  lsm=capability  no AppArmor, TOMOYO, Landlock, Yama, IMA/EVM, IPE setup.
#  initcall_blacklist=  built-in initcalls the guest does not need that cost
#                 the most nested (initcall_debug): the KDF self-test,
#                 jitterentropy's health test, the X.509 list for module
#                 signatures (the guest driver is unsigned anyway), i8042
#                 and RTC probing, trace eval maps, encrypted keys, IPv6,
#                 two BPF kfunc sets, the sysfs files of built-in modules'
#                 parameters and of DMI.
BASE_CMDLINE="quiet panic=-1 acpi=off tsc=reliable no_timer_check mitigations=off cryptomgr.notests lsm=capability"
BASE_CMDLINE+=" initcall_blacklist=crypto_kdf108_init,jent_mod_init,load_system_certificate_list"
BASE_CMDLINE+=",i8042_init,cmos_init,trace_eval_init,init_encrypted,inet6_init"
BASE_CMDLINE+=",bpf_tcp_ca_kfunc_init,bpf_dummy_struct_ops_init,param_sysfs_builtin_init,dmi_sysfs_init"
TSC_KHZ=auto QEMU_BIN=qemu-system-x86_64 INITRD="" JOB="" NAME=guest LOG="" CTL="" MEM=256 TIMEOUT=600 BOOT_TIMEOUT=900 KERNEL=""
QMP="" INCOMING="" VFIO_OPT=""
APPEND="" QUIET=0
VGPUS=() QEMU_EXTRA=() JOB_ENV=()
while (($# > 0)); do
    case $1 in
        --initrd) INITRD=${2:?}; shift 2 ;;
        --job) JOB=${2:?}; shift 2 ;;
        --vgpu) VGPUS+=("${2:?}"); shift 2 ;;
        --name) NAME=${2:?}; shift 2 ;;
        --log) LOG=${2:?}; shift 2 ;;
        --ctl) CTL=${2:?}; shift 2 ;;
        --mem) MEM=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --boot-timeout) BOOT_TIMEOUT=${2:?}; shift 2 ;;
        --kernel) KERNEL=${2:?}; shift 2 ;;
        --cmdline) BASE_CMDLINE=${2?}; shift 2 ;;
        --tsc-khz) TSC_KHZ=${2:?}; shift 2 ;;
        --qemu) QEMU_BIN=${2:?}; shift 2 ;;
        --append) APPEND+=" ${2?}"; shift 2 ;;
        --qemu-arg) QEMU_EXTRA+=("${2:?}"); shift 2 ;;
        --env) JOB_ENV+=("${2:?}"); shift 2 ;;
        --qmp) QMP=${2:?}; shift 2 ;;
        --vfio-opt) VFIO_OPT+=",${2:?}"; shift 2 ;;
        --incoming) INCOMING=${2:?}; shift 2 ;;
        -q | --quiet) QUIET=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ -f $INITRD ]] || die "--initrd: no such file: ${INITRD:-(none given)}"
[[ -f $JOB ]] || die "--job: no such file: ${JOB:-(none given)}"
[[ $NAME =~ ^[A-Za-z0-9_-]+$ ]] || die "--name: letters, digits, - and _ only"
[[ $MEM =~ ^[1-9][0-9]*$ ]] || die "--mem must be a number of MiB"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a number of seconds"
[[ $BOOT_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--boot-timeout must be a number of seconds"
[[ $TSC_KHZ =~ ^([1-9][0-9]*|auto|none)$ ]] || die "--tsc-khz wants a number, auto or none"
for kv in ${JOB_ENV[@]+"${JOB_ENV[@]}"}; do
    [[ $kv =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env wants NAME=VALUE, got: $kv"
done
for u in ${VGPUS[@]+"${VGPUS[@]}"}; do
    [[ -d /sys/bus/mdev/devices/$u ]] ||
        [[ $(readlink -f "/sys/bus/pci/devices/$u/driver" 2>/dev/null) == */@(vfio-pci|vgpu-vfio-pci) ]] ||
        die "--vgpu: $u is neither an mdev device nor a PCI function bound to vfio-pci or vgpu-vfio-pci"
done
if [[ -z $KERNEL ]]; then
    KERNEL=/boot/vmlinuz-$("$TOP/scripts/kernel-release.sh")
fi
[[ -f $KERNEL ]] || die "kernel image not found: $KERNEL"
[[ -n $LOG ]] || LOG=./$NAME-console.log
command -v "$QEMU_BIN" >/dev/null || die "$QEMU_BIN not found"

progress() { ((QUIET)) || printf '%s: %s\n' "$NAME" "$*" >&2; }

# ---- the guest's initramfs: base + job ----------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/guest-run.XXXXXX")
QEMU_PID=""
# shellcheck disable=SC2317 # invoked via trap
cleanup() {
    if [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
        kill -TERM "$QEMU_PID" 2>/dev/null || true
        wait "$QEMU_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$WORK/job"
{
    printf '# generated by %s for guest %s\n' "$PROG" "$NAME"
    printf 'E2E_NAME=%s; export E2E_NAME\n' "$(sq "$NAME")"
    # shellcheck disable=SC2016 # expanded in the guest
    printf 'echo "$E2E_NAME" >/proc/sys/kernel/hostname\n'
    for kv in ${JOB_ENV[@]+"${JOB_ENV[@]}"}; do
        printf '%s=%s; export %s\n' "${kv%%=*}" "$(sq "${kv#*=}")" "${kv%%=*}"
    done
    cat "$JOB"
} >"$WORK/job/job"
(cd "$WORK/job" && echo job | cpio -o -H newc -R 0:0 --quiet) >"$WORK/job.cpio"
cat "$INITRD" "$WORK/job.cpio" >"$WORK/initrd.cpio"

# ---- QEMU -------------------------------------------------------------------
# The guest's TSC is the host's (TCG passes rdtsc through, nested or not),
# but with acpi=off the kernel has no HPET or PM timer to calibrate it
# against, marks it unstable and falls back to jiffies, which lose ticks
# under nested TCG: the guest clock then runs ~30% slow, and so would every
# throughput the guest measures.  So tell it the frequency we see.
tsc_khz() {
    local mhz
    mhz=$(sed -n 's/^cpu MHz[[:space:]]*: \([0-9.]*\)$/\1/p' /proc/cpuinfo | head -n 1)
    [[ -n $mhz ]] && awk -v m="$mhz" 'BEGIN { printf "%d", m * 1000 }'
}
CMDLINE="console=ttyS0 $BASE_CMDLINE"
[[ $TSC_KHZ != auto ]] || TSC_KHZ=$(tsc_khz) || TSC_KHZ=none
[[ $TSC_KHZ == none ]] || CMDLINE+=" tsc_early_khz=$TSC_KHZ"
CMDLINE+="$APPEND"
QEMU_ARGS=(
    -nodefaults -no-user-config
    -accel tcg -m "$MEM" -smp 1
    -display none -no-reboot
    -kernel "$KERNEL" -initrd "$WORK/initrd.cpio" -append "$CMDLINE"
    -chardev "file,id=con,path=$LOG" -serial chardev:con
)
if [[ -n $CTL ]]; then
    for f in "$CTL.in" "$CTL.out"; do
        [[ -p $f ]] || mkfifo "$f"
    done
    QEMU_ARGS+=(-serial "pipe:$CTL")
fi
for u in ${VGPUS[@]+"${VGPUS[@]}"}; do
    # rombar=0: the vGPU has no option ROM; don't let firmware look for one.
    if [[ -d /sys/bus/mdev/devices/$u ]]; then
        QEMU_ARGS+=(-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$u,rombar=0$VFIO_OPT")
    else
        QEMU_ARGS+=(-device "vfio-pci,host=$u,rombar=0$VFIO_OPT")
    fi
done
QEMU_ARGS+=(${QEMU_EXTRA[@]+"${QEMU_EXTRA[@]}"})
[[ -z $QMP ]] || QEMU_ARGS+=(-qmp "unix:$QMP,server=on,wait=off")
[[ -z $INCOMING ]] || QEMU_ARGS+=(-incoming "$INCOMING")

# run_qemu: one boot; sets start, booted (empty if the job never started),
# end and qemu_rc, and leaves the console in $LOG.
# What an early-boot oops prints (see BOOT_ATTEMPTS below).
BOOT_OOPS='Oops|Kernel panic|BUG:|exited with irqs disabled'

run_qemu() {
    local timed_out=0 deadline=$((EPOCHSECONDS + BOOT_TIMEOUT))
    : >"$LOG"
    start=$(now)
    # The boot and the job have limits of their own (a loaded host slows
    # the boot most); timeout(1) only backs up the watch below.
    timeout --kill-after=10 $((BOOT_TIMEOUT + TIMEOUT + 60)) "$QEMU_BIN" "${QEMU_ARGS[@]}" \
        </dev/null >"$WORK/qemu.out" 2>&1 &
    QEMU_PID=$!
    # Note when the job starts (the guest's /init says E2E-BOOTED), for the
    # boot time.  Polled once a second: cheap, and precise enough here.
    booted=""
    # A migrated guest booted elsewhere: its job runs from the start.
    [[ -z $INCOMING ]] || { booted=$start deadline=$((EPOCHSECONDS + TIMEOUT)); }
    while kill -0 "$QEMU_PID" 2>/dev/null; do
        if [[ -z $booted ]] && grep -q 'E2E-BOOTED ' "$LOG" 2>/dev/null; then
            booted=$(now) deadline=$((EPOCHSECONDS + TIMEOUT))
            progress "booted in $(elapsed "$start" "$booted") s; job running"
        fi
        # An early-boot oops (below) that did not panic leaves the kernel
        # hung or crippled: stop it now, to boot it again, rather than at
        # the timeout.
        if [[ -z $booted ]] && grep -qE "$BOOT_OOPS" "$LOG" 2>/dev/null; then
            sleep 2
            kill -TERM "$QEMU_PID" 2>/dev/null || true
            break
        fi
        if ((EPOCHSECONDS > deadline)); then
            timed_out=1
            kill -TERM "$QEMU_PID" 2>/dev/null || true
            break
        fi
        sleep 1
    done
    qemu_rc=0
    wait "$QEMU_PID" || qemu_rc=$?
    ((!timed_out)) || qemu_rc=124
    QEMU_PID=""
    end=$(now)
    # Line ends as a terminal writes them; and a marker line (E2E-*, a
    # vgpu-run RESULT) that something else wrote into the middle of, or
    # that follows an unfinished line, starts a line of its own again.
    sed -i -E -e 's/\r$//' \
        -e 's/(.)(E2E-(BOOTED|PAYLOAD|CHECK|READY|GO|BEGIN|DONE|END|MISSING|EXIT) )/\1\n\2/g' \
        -e 's/(.)(RESULT device=)/\1\n\2/g' "$LOG"
    [[ -n $booted ]] || ! grep -q '^E2E-BOOTED' "$LOG" || booted=$end
    if [[ -s $WORK/qemu.out ]]; then
        { echo "===== qemu output ====="; cat "$WORK/qemu.out"; } >>"$LOG"
        grep -v 'Could not enable error recovery for the device' "$WORK/qemu.out" |
            sed "s/^/$NAME: qemu: /" >&2 || true
    fi
}

# A guest kernel that dies before its job starts is booted again, four times
# at most: the stock kernel under nested TCG now and then takes an oops in
# early boot (a call through a NULL pointer while it patches its own text,
# seen about once in 15 nested boots here, and three times in a row once,
# on a loaded host), before anything of the job has run, so a retry loses
# nothing.  The failed console is kept as LOG.bootN.  With three guests
# booting at once the oops is more frequent (two in one run), and it does
# not always panic: a dying kworker can leave the kernel hung until the
# timeout, so run_qemu() stops a guest as soon as its console shows one.
BOOT_ATTEMPTS=5
[[ -z $INCOMING ]] || BOOT_ATTEMPTS=1
for ((attempt = 1; attempt <= BOOT_ATTEMPTS; attempt++)); do
    msg="booting (${#VGPUS[@]} vGPU, $MEM MiB, log $LOG"
    ((attempt == 1)) || msg+=", attempt $attempt"
    progress "$msg)"
    run_qemu
    [[ -z $booted ]] || break
    ((qemu_rc != 124 && qemu_rc != 137)) || break
    grep -qE "$BOOT_OOPS" "$LOG" || break
    ((attempt < BOOT_ATTEMPTS)) || break
    mv "$LOG" "$LOG.boot$attempt"
    progress "the guest kernel died while booting (attempt $attempt of $BOOT_ATTEMPTS); retrying; its console: $LOG.boot$attempt"
done

status=$(sed -n 's/^E2E-EXIT \([0-9]*\)$/\1/p' "$LOG" | tail -n 1)
[[ -n $booted ]] || booted=$end
summary="boot $(elapsed "$start" "$booted") s, job $(elapsed "$booted" "$end") s, total $(elapsed "$start" "$end") s"
if [[ -n $status ]]; then
    progress "finished: status $status ($summary)"
    exit "$status"
fi
if ((qemu_rc == 124 || qemu_rc == 137)); then
    progress "TIMEOUT: boot limit $BOOT_TIMEOUT s, job limit $TIMEOUT s ($summary); console: $LOG"
    exit 124
fi
progress "ended without E2E-EXIT (qemu exit $qemu_rc; $summary); console: $LOG"
exit 125
