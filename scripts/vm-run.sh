#!/bin/bash
# vm-run.sh - run ONE command inside a throw-away QEMU VM booted from a Linux
# kernel, with the host's root file system as the VM's (copy-on-write) root.
#
# Design
# ------
# * No disk image.  The host root "/" is exported read-only over virtio-9p
#   (tag "hostroot"); the guest stacks an overlayfs with a tmpfs upper layer
#   on top, so the guest sees exactly the host's installed software (and the
#   host's /lib/modules/REL, so `modprobe` resolves dependencies normally)
#   while every write stays in guest RAM.  If overlayfs refuses 9p as a lower
#   layer, the guest falls back to the read-only 9p root plus tmpfs mounts on
#   /tmp, /run, /var/tmp and /var/lib (the kernel argument vm_run.no_overlay,
#   e.g. via --append, forces that fallback, for testing it).
# * A second 9p export (tag "share", read-write) mounts --share DIR at the
#   same absolute path it has on the host, so results written there survive.
# * A third, private 9p export (tag "vgpuctl") is a fresh temporary directory
#   per run: the host writes the command and settings into it, the guest
#   writes back the command's exit status, its start time and the kernel log.
#   Nothing about the command travels on the kernel command line, so
#   arbitrary arguments are passed safely.
# * The initramfs holds only busybox-static and the (decompressed) modules
#   needed to mount 9p and overlayfs.  It is cached under
#   $VGPU_CACHE_DIR/initramfs, keyed on the release, the module directory's
#   index files and the init scripts, and is built into a temporary file and
#   renamed into place, so concurrent runs never see a partial file.
# * The guest console is ttyS0, wired to QEMU's stdio; the host strips the
#   serial line's CRs and tees it to the log file and to stdout.  With
#   `quiet`, stdout carries the command's output plus only kernel messages of
#   level "err" or worse; the complete kernel log (dmesg) is appended to the
#   log file after the run.
# * The guest stops with a reset; QEMU runs with -no-reboot so a reset (or a
#   kernel panic, via panic=-1) ends QEMU.  Only TCG is used: KVM is not
#   available on the machines this runs on.
# * The machine is QEMU's default (pc) unless --q35-iommu asks for q35 with
#   an Intel IOMMU (and intel_iommu=on in the guest, so that every PCI
#   device, an SR-IOV VF too, is DMA-translated and has an IOMMU group for
#   vfio-pci).  --vgpu-pf adds the vgpu SR-IOV device model behind a PCIe
#   root port; it needs a QEMU built with it (scripts/build-qemu.sh, given
#   with --qemu).
set -euo pipefail

PROG=$(basename "$0")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CACHE_DIR=${VGPU_CACHE_DIR:-/var/cache/vgpu}
BUSYBOX=/bin/busybox # from busybox-static; must be statically linked

# Modules that stage 1 needs, in the order they are wanted.  Whatever is
# built into the kernel or absent is skipped; dependencies are added from
# modules.dep.  The virtio core is built in on Debian, but may be modular in
# a custom kernel.
INITRAMFS_MODULES=(virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev
    virtio_pci netfs 9pnet 9pnet_virtio 9p overlay)

usage() {
    cat <<EOF
Usage: $PROG [OPTIONS] -- COMMAND [ARGS...]

Boot a Linux kernel under QEMU (TCG), with the host root file system as a
copy-on-write root, run COMMAND inside via /bin/sh -c (arguments quoted),
and exit with its status.

Options:
  --kernel FILE      kernel image (default /boot/vmlinuz-REL)
  --release REL      kernel release (default: scripts/kernel-release.sh, or the
                     version inside --kernel's image when --kernel is given)
  --modules DIR      host directory to use as /lib/modules/REL in the guest
                     (either that directory itself or an INSTALL_MOD_PATH
                     root containing lib/modules/REL); default /lib/modules/REL
  --mem MB           guest memory (default 2048)
  --smp N            guest CPUs (default 2)
  --log FILE         console log (default ./vm-console.log; overwritten)
  --timeout SECONDS  kill the VM after this long, exit 124 (default 600)
  --share DIR        host directory mounted read-write at the same path in the
                     guest (default: current directory; must not be /)
  --append ARGS      extra kernel command-line arguments
  --qemu-arg ARG     extra QEMU argument (repeatable, one word each)
  --qemu BIN         QEMU binary to run (default: qemu-system-x86_64 in PATH),
                     e.g. \$(scripts/build-qemu.sh --print-path)
  --q35-iommu        machine q35 with -device intel-iommu,intremap=on, and
                     intel_iommu=on on the guest command line (default: the
                     pc machine, no IOMMU)
  --vgpu-pf PROPS    add the vgpu SR-IOV physical function behind a PCIe root
                     port: -device vgpu-pf,PROPS (PROPS may be empty or e.g.
                     vfs=4,engines=8,mem-size=512M,vf-bar2-size=128M); needs
                     --q35-iommu and a --qemu built by scripts/build-qemu.sh
  --env NAME=VALUE   export NAME=VALUE to COMMAND (repeatable)
  -q, --quiet        do not print the timing summary on stderr
  -h, --help         show this help

Inside the guest: VGPU_IN_VM=1, HOME=/root, cwd = the directory $PROG was
started from if it lies under the share, else /.  proc, sys, devtmpfs,
devpts, debugfs (/sys/kernel/debug) and tmpfs /tmp are mounted.  The root
is the host's, read-only underneath and writable through a tmpfs overlay;
only the share (and nothing else) writes through to the host.  COMMAND's
stdin is /dev/null; its stdout/stderr go to the console, i.e. to this
script's stdout and the log.  The full guest dmesg is appended to the log.

Exit status: COMMAND's status; 124 on timeout; 125 if the VM ended without
reporting a status (kernel panic, boot failure; see the log); 2 on usage
errors.

Environment: VGPU_CACHE_DIR (default /var/cache/vgpu) holds the initramfs cache.
EOF
}

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 2
}
note() { ((QUIET)) || printf '%s: %s\n' "$PROG" "$*" >&2; }

# Quote a string for POSIX sh: 'it'\''s'
sq() {
    local s=${1//\'/\'\\\'\'}
    printf "'%s'" "$s"
}

# Escape a value for a comma-separated QEMU option list.
qemu_escape() { printf '%s' "${1//,/,,}"; }

need_arg() { (($1 >= 2)) || die "option $2 needs an argument"; }

# ---- options ----------------------------------------------------------------
KERNEL="" RELEASE="" MODULES_DIR="" MEM=2048 SMP=2 LOG=./vm-console.log
TIMEOUT=600 SHARE=$PWD APPEND="" QUIET=0
QEMU_BIN=qemu-system-x86_64 Q35_IOMMU=0 VGPU_PF=0 VGPU_PF_PROPS=""
QEMU_EXTRA=() USER_ENV=()
while (($# > 0)); do
    case $1 in
        --kernel) need_arg $# "$1"; KERNEL=$2; shift 2 ;;
        --release) need_arg $# "$1"; RELEASE=$2; shift 2 ;;
        --modules) need_arg $# "$1"; MODULES_DIR=$2; shift 2 ;;
        --mem) need_arg $# "$1"; MEM=$2; shift 2 ;;
        --smp) need_arg $# "$1"; SMP=$2; shift 2 ;;
        --log) need_arg $# "$1"; LOG=$2; shift 2 ;;
        --timeout) need_arg $# "$1"; TIMEOUT=$2; shift 2 ;;
        --share) need_arg $# "$1"; SHARE=$2; shift 2 ;;
        --append) need_arg $# "$1"; APPEND+=" $2"; shift 2 ;;
        --qemu-arg) need_arg $# "$1"; QEMU_EXTRA+=("$2"); shift 2 ;;
        --qemu) need_arg $# "$1"; QEMU_BIN=$2; shift 2 ;;
        --q35-iommu) Q35_IOMMU=1; shift ;;
        --vgpu-pf) need_arg $# "$1"; VGPU_PF=1; VGPU_PF_PROPS=$2; shift 2 ;;
        --env) need_arg $# "$1"; USER_ENV+=("$2"); shift 2 ;;
        -q | --quiet) QUIET=1; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; break ;;
        -*) usage >&2; die "unknown option: $1" ;;
        *) break ;;
    esac
done
(($# > 0)) || { usage >&2; die "no command given"; }

[[ $MEM =~ ^[1-9][0-9]*$ ]] || die "--mem must be a number of MiB"
[[ $SMP =~ ^[1-9][0-9]*$ ]] || die "--smp must be a positive number"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive number of seconds"
for kv in ${USER_ENV[@]+"${USER_ENV[@]}"}; do
    [[ $kv =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env wants NAME=VALUE, got: $kv"
done

if [[ $QEMU_BIN == */* ]]; then
    [[ -x $QEMU_BIN ]] || die "--qemu: not an executable: $QEMU_BIN"
else
    command -v "$QEMU_BIN" >/dev/null || die "$QEMU_BIN not found (run scripts/install-deps.sh)"
fi
if ((VGPU_PF)); then
    ((Q35_IOMMU)) || die "--vgpu-pf needs --q35-iommu (the PF sits behind a PCIe root port)"
    [[ $VGPU_PF_PROPS =~ ^[A-Za-z0-9=,._-]*$ ]] || die "--vgpu-pf: odd properties: $VGPU_PF_PROPS"
fi
[[ -x $BUSYBOX ]] || die "$BUSYBOX not found (install busybox-static)"

# ---- kernel, release, modules -----------------------------------------------
if [[ -n $KERNEL ]]; then
    [[ -f $KERNEL ]] || die "kernel image not found: $KERNEL"
    if [[ -z $RELEASE ]]; then
        # "Linux kernel x86 boot executable bzImage, version 6.12.1 (...) #1 ..."
        RELEASE=$(file -bL "$KERNEL" | sed -n 's/.*, version \([^ ,]*\).*/\1/p')
        [[ -n $RELEASE ]] || die "cannot read the release from $KERNEL; pass --release"
    fi
else
    if [[ -z $RELEASE ]]; then
        RELEASE=$("$SCRIPT_DIR/kernel-release.sh") || exit 2
    fi
    KERNEL=/boot/vmlinuz-$RELEASE
    [[ -f $KERNEL ]] || die "kernel image not found: $KERNEL"
fi
[[ $RELEASE =~ ^[A-Za-z0-9._+~-]+$ ]] || die "odd kernel release: $RELEASE"

if [[ -n $MODULES_DIR ]]; then
    [[ -d $MODULES_DIR ]] || die "--modules: not a directory: $MODULES_DIR"
    MODULES_DIR=$(realpath "$MODULES_DIR")
    if [[ -d $MODULES_DIR/lib/modules/$RELEASE ]]; then
        MODULES_DIR=$MODULES_DIR/lib/modules/$RELEASE
    fi
    HOST_MODDIR=$MODULES_DIR
else
    HOST_MODDIR=/lib/modules/$RELEASE
fi
# A kernel with everything built in may have no module directory at all.
[[ -d $HOST_MODDIR ]] || note "warning: $HOST_MODDIR does not exist; assuming 9p/overlay are built in"

# ---- share, cwd, log --------------------------------------------------------
[[ -d $SHARE ]] || die "--share: not a directory: $SHARE"
SHARE=$(realpath "$SHARE")
[[ $SHARE != / ]] || die "--share must not be / (the host root is already visible read-only)"
CWD=$(pwd -P)
LOG_DIR=$(dirname "$LOG")
[[ -d $LOG_DIR ]] || die "--log: directory does not exist: $LOG_DIR"
LOG=$(realpath "$LOG_DIR")/$(basename "$LOG")

# ---- guest scripts ----------------------------------------------------------
# Both run under busybox sh.  Stage 1 is PID 1 in the initramfs; it builds the
# final root and hands over (PID 1 stays PID 1) to stage 2, which runs the
# command and resets the VM.  Settings come from /ctl/env (written below).

read -r -d '' INIT_SCRIPT <<'EOF' || true
#!/bin/sh
# vm-run.sh guest stage 1: PID 1 in the initramfs.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
msg() { echo "vm-run(guest): $*"; }
die() {
	msg "FATAL: $*"
	reboot -f
	echo b >/proc/sysrq-trigger
	sleep 10
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

while read -r m; do
	[ -n "$m" ] || continue
	insmod "/modules/$m" || msg "warning: insmod $m failed"
done </modules/order

O9P=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$O9P,cache=none" vgpuctl /ctl || die "cannot mount the vgpuctl 9p export"
. /ctl/env || die "cannot read /ctl/env"

mount -t 9p -o "$O9P,cache=loose,ro" hostroot /lower || die "cannot mount the host root over 9p"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
R=/newroot
# "vm_run.no_overlay" on the kernel command line forces the fallback (for testing).
case " $(cat /proc/cmdline) " in
*" vm_run.no_overlay "*) overlay=no ;;
*) overlay=yes ;;
esac
if [ $overlay = yes ] &&
	mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work $R; then
	:
else
	[ $overlay = yes ] && msg "warning: overlayfs over 9p failed"
	msg "root: read-only 9p, with tmpfs on /tmp /run /var/tmp /var/lib"
	mount --bind /lower $R || die "cannot bind the host root"
	mount -t tmpfs -o mode=1777 tmpfs $R/var/tmp
	mount -t tmpfs -o mode=0755 tmpfs $R/var/lib
fi

mount --move /proc $R/proc
mount --move /sys $R/sys
mount --move /dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
# What udev would add: bash process substitution needs /dev/fd.
ln -sfn /proc/self/fd $R/dev/fd
ln -sfn /proc/self/fd/0 $R/dev/stdin
ln -sfn /proc/self/fd/1 $R/dev/stdout
ln -sfn /proc/self/fd/2 $R/dev/stderr
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $R/dev/shm
mount -t debugfs debugfs $R/sys/kernel/debug || msg "warning: cannot mount debugfs"
mount -t tracefs tracefs $R/sys/kernel/tracing 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs $R/tmp
mount -t tmpfs -o mode=0755 tmpfs $R/run
mkdir -p $R/run/vgpu/ctl
mount --move /ctl $R/run/vgpu/ctl

# The share, at its host path (mkdir: the path may lie in a guest tmpfs).
mkdir -p "$R$VM_SHARE" 2>/dev/null
mount -t 9p -o "$O9P,cache=mmap" share "$R$VM_SHARE" || die "cannot mount the share at $VM_SHARE"

# A custom module directory becomes /lib/modules/REL.  Take it from the share
# when it lies there, else from the pristine host root (/lower), because the
# guest's tmpfs mounts may hide its host path.
if [ -n "$VM_MODDIR" ]; then
	case $VM_MODDIR in
	"$VM_SHARE" | "$VM_SHARE"/*) src=$R$VM_MODDIR ;;
	*) src=/lower$VM_MODDIR ;;
	esac
	dst=$R/lib/modules/$VM_REL
	if [ ! -d "$dst" ] && ! mkdir -p "$dst" 2>/dev/null; then
		mount -t tmpfs -o mode=0755 tmpfs $R/lib/modules && mkdir -p "$dst"
	fi
	mount --bind "$src" "$dst" || die "cannot bind $VM_MODDIR to /lib/modules/$VM_REL"
fi

mkdir -p $R/run/vgpu
cp /bin/busybox /stage2 $R/run/vgpu/ || die "cannot copy stage 2"
cd $R || die "cannot enter the new root"
mount --move . / || die "cannot move the new root to /"
exec chroot . /run/vgpu/busybox sh /run/vgpu/stage2
die "cannot chroot into the new root"
EOF

read -r -d '' STAGE2_SCRIPT <<'EOF' || true
#!/bin/sh
# vm-run.sh guest stage 2: PID 1 in the final root.
BB=/run/vgpu/busybox
CTL=/run/vgpu/ctl
. $CTL/env
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOME=/root
VGPU_IN_VM=1
TERM=dumb
LANG=C.UTF-8
export PATH HOME VGPU_IN_VM TERM LANG
$BB hostname vgpu-vm
$BB ip link set lo up 2>/dev/null
cd /
case $VM_CWD in
"$VM_SHARE" | "$VM_SHARE"/*) cd "$VM_CWD" || cd / ;;
esac
[ -f $CTL/userenv ] && . $CTL/userenv

$BB cat /proc/uptime >$CTL/started
/bin/sh -c "$VM_CMD" </dev/null
rc=$?
echo "$rc" >$CTL/status
$BB dmesg >$CTL/dmesg 2>/dev/null
$BB sync
# Keep the kernel's "Restarting system" off the console (console log level 0
# silences even KERN_EMERG), then reset (QEMU
# runs with -no-reboot, so a reset ends it).
echo 0 >/proc/sys/kernel/printk
$BB reboot -f
echo b >/proc/sysrq-trigger
EOF

# ---- initramfs --------------------------------------------------------------
# Print, in load order, the module files (relative to $1) for the module
# names given after it, with their dependencies first, skipping built-ins and
# modules the kernel does not have.
resolve_modules() {
    local moddir=$1
    shift
    local -A file_of=() deps_of=() builtin=() seen=()
    local line f n
    if [[ -f $moddir/modules.builtin ]]; then
        while IFS= read -r f; do
            n=${f##*/}
            n=${n%%.ko*}
            builtin[${n//-/_}]=1
        done <"$moddir/modules.builtin"
    fi
    [[ -f $moddir/modules.dep ]] || return 0
    while IFS= read -r line; do
        f=${line%%:*}
        n=${f##*/}
        n=${n%%.ko*}
        n=${n//-/_}
        file_of[$n]=$f
        deps_of[$n]=${line#*:}
    done <"$moddir/modules.dep"
    visit() {
        local name=${1//-/_} d dn
        [[ -z ${seen[$name]:-} && -z ${builtin[$name]:-} && -n ${file_of[$name]:-} ]] || return 0
        seen[$name]=1
        for d in ${deps_of[$name]}; do
            dn=${d##*/}
            visit "${dn%%.ko*}"
        done
        printf '%s\n' "${file_of[$name]}"
    }
    for n in "$@"; do
        visit "$n"
    done
}

build_initramfs() {
    local out=$1 stage f i=0 base
    stage=$(mktemp -d)
    # shellcheck disable=SC2064 # expand $stage now
    trap "rm -rf '$stage'" RETURN
    file -bL "$BUSYBOX" | grep -q 'statically linked' ||
        die "$BUSYBOX is not statically linked (install busybox-static)"
    mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,ctl,lower,rw,newroot,modules}
    cp "$BUSYBOX" "$stage/bin/busybox"
    while IFS= read -r f; do
        [[ -e $stage/$f || -L $stage/$f ]] || ln -s /bin/busybox "$stage/$f"
    done < <("$BUSYBOX" --list-full)
    mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
    printf '%s\n' "$INIT_SCRIPT" >"$stage/init"
    printf '%s\n' "$STAGE2_SCRIPT" >"$stage/stage2"
    chmod 755 "$stage/init" "$stage/stage2"
    # busybox insmod cannot read compressed modules: store them decompressed.
    : >"$stage/modules/order"
    while IFS= read -r f; do
        i=$((i + 1))
        base=$(printf '%02d-%s' "$i" "${f##*/}")
        base=${base%%.ko*}.ko
        case $f in
            *.ko.xz) xz -dc "$HOST_MODDIR/$f" >"$stage/modules/$base" ;;
            *.ko.zst) zstd -dcq "$HOST_MODDIR/$f" >"$stage/modules/$base" ;;
            *.ko.gz) gzip -dc "$HOST_MODDIR/$f" >"$stage/modules/$base" ;;
            *) cp "$HOST_MODDIR/$f" "$stage/modules/$base" ;;
        esac
        printf '%s\n' "$base" >>"$stage/modules/order"
    done < <(resolve_modules "$HOST_MODDIR" "${INITRAMFS_MODULES[@]}")
    # Uncompressed: unpacking is then the cheapest part of the boot.
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
}

# The key covers everything the image is built from.
key_input() {
    local f
    printf 'v1\n%s\n%s\n%s\n' "$RELEASE" "$HOST_MODDIR" "${INITRAMFS_MODULES[*]}"
    printf '%s\n' "$INIT_SCRIPT" "$STAGE2_SCRIPT"
    for f in "$HOST_MODDIR/modules.dep" "$HOST_MODDIR/modules.builtin" "$BUSYBOX"; do
        if [[ -e $f ]]; then stat -L -c '%n %s %Y' "$f"; else echo "$f absent"; fi
    done
}
INITRAMFS_DIR=$CACHE_DIR/initramfs
key=$(key_input | sha256sum | cut -c1-16)
INITRD=$INITRAMFS_DIR/initramfs-$RELEASE-$key.cpio
if [[ -f $INITRD ]]; then
    # Mark it as used, so the pruning below spares it.
    touch -c "$INITRD" 2>/dev/null || true
else
    mkdir -p "$INITRAMFS_DIR"
    # Drop images unused for two weeks (superseded init scripts or kernels).
    find "$INITRAMFS_DIR" -maxdepth 1 -name 'initramfs-*.cpio' -mtime +14 -delete 2>/dev/null || true
    tmp_initrd=$(mktemp "$INITRAMFS_DIR/.build.XXXXXX")
    if ! (build_initramfs "$tmp_initrd"); then
        rm -f "$tmp_initrd"
        die "building the initramfs failed"
    fi
    chmod 644 "$tmp_initrd"
    mv -f "$tmp_initrd" "$INITRD"
    note "built $INITRD"
fi

# ---- per-run control directory ----------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vm-run.XXXXXX")
CTL=$WORK/ctl
mkdir "$CTL"
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
trap 'echo "$PROG: interrupted" >&2; exit 130' INT
trap 'echo "$PROG: terminated" >&2; exit 143' TERM

cmd=""
for a in "$@"; do
    cmd+="$(sq "$a") "
done
{
    printf 'VM_REL=%s\n' "$(sq "$RELEASE")"
    printf 'VM_SHARE=%s\n' "$(sq "$SHARE")"
    printf 'VM_CWD=%s\n' "$(sq "$CWD")"
    printf 'VM_MODDIR=%s\n' "$(sq "$MODULES_DIR")"
    printf 'VM_CMD=%s\n' "$(sq "${cmd% }")"
} >"$CTL/env"
for kv in ${USER_ENV[@]+"${USER_ENV[@]}"}; do
    printf 'export %s=%s\n' "${kv%%=*}" "$(sq "${kv#*=}")"
done >"$CTL/userenv"

# ---- QEMU -------------------------------------------------------------------
# No acpi=off: without ACPI the kernel finds only the BIOS MP table, which
# lists one CPU, so -smp N would silently boot a single CPU.  panic=-1 turns
# a panic into a reset, which ends QEMU (-no-reboot).
CMDLINE="console=ttyS0 panic=-1 quiet$APPEND"
MACHINE_ARGS=()
if ((Q35_IOMMU)); then
    # The IOMMU first, before the PCI devices it translates.  Interrupt
    # remapping on: without it vfio's type1 IOMMU refuses to attach a group
    # (unless allow_unsafe_interrupts), and under TCG it needs no split
    # irqchip (the guest remaps in xAPIC mode).  No iommu=pt: VFs handed to
    # vfio-pci must be translated.
    MACHINE_ARGS+=(-machine q35 -device "intel-iommu,intremap=on")
    CMDLINE="console=ttyS0 panic=-1 quiet intel_iommu=on$APPEND"
fi
if ((VGPU_PF)); then
    MACHINE_ARGS+=(-device "pcie-root-port,id=vgpu_rp0,bus=pcie.0,chassis=1,slot=1"
        -device "vgpu-pf,bus=vgpu_rp0${VGPU_PF_PROPS:+,$VGPU_PF_PROPS}")
fi
QEMU_ARGS=(
    -nodefaults -no-user-config
    ${MACHINE_ARGS[@]+"${MACHINE_ARGS[@]}"}
    -accel tcg -cpu max -m "$MEM" -smp "$SMP"
    -display none -no-reboot
    -chardev "stdio,id=console,signal=off" -serial chardev:console
    -kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE"
    -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
    -device "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot"
    -fsdev "local,id=share,path=$(qemu_escape "$SHARE"),security_model=none,multidevs=remap"
    -device "virtio-9p-pci,fsdev=share,mount_tag=share"
    -fsdev "local,id=vgpuctl,path=$(qemu_escape "$CTL"),security_model=none"
    -device "virtio-9p-pci,fsdev=vgpuctl,mount_tag=vgpuctl"
    -device virtio-rng-pci
    ${QEMU_EXTRA[@]+"${QEMU_EXTRA[@]}"}
)

# Console: QEMU -> FIFO -> strip CR -> tee (log + stdout).  tee -p keeps the
# log complete even if our stdout goes away.
mkfifo "$WORK/console"
run_qemu() {
    sed -u 's/\r$//' <"$WORK/console" | tee -p "$LOG" &
    READER_PID=$!
    start=$(date +%s.%N)
    timeout --kill-after=10 "$TIMEOUT" "$QEMU_BIN" "${QEMU_ARGS[@]}" \
        </dev/null >"$WORK/console" 2>"$WORK/qemu.err" &
    QEMU_PID=$!
    qemu_rc=0
    wait "$QEMU_PID" || qemu_rc=$?
    QEMU_PID=""
    wait "$READER_PID" || true
    end=$(date +%s.%N)
}

# A guest kernel that dies before the command starts is retried, twice at
# most: under TCG with several vCPUs the stock kernel occasionally takes an
# int3 Oops while patching its own text at boot (seen about once in 30 boots
# here), before anything of the command has run.  The failed boot's console
# is kept beside the log and the retry is announced.
for attempt in 1 2 3; do
    run_qemu
    [[ -f $CTL/started || -f $CTL/status ]] && break
    ((qemu_rc == 0)) || ((qemu_rc == 125)) || break
    grep -qE 'Oops|Kernel panic|BUG:' "$LOG" || break
    ((attempt < 3)) || break
    mv "$LOG" "$LOG.boot$attempt"
    printf '%s: the guest kernel died while booting (attempt %d of 3, before the command started); retrying; its console is in %s\n' \
        "$PROG" "$attempt" "$LOG.boot$attempt" >&2
done

if [[ -s $WORK/qemu.err ]]; then
    cat "$WORK/qemu.err" >&2
    { echo "===== qemu stderr ====="; cat "$WORK/qemu.err"; } >>"$LOG"
fi
if [[ -s $CTL/dmesg ]]; then
    { echo "===== guest dmesg ====="; cat "$CTL/dmesg"; } >>"$LOG"
    # quiet hides WARN()s from the console; say so when the kernel had any.
    if grep -qE 'WARNING:|BUG:|Oops|Call Trace:|UBSAN:|KASAN:|kmemleak:|list_(add|del) corruption' "$CTL/dmesg"; then
        printf '%s: note: the guest kernel log has warnings or traces (see "guest dmesg" in %s)\n' \
            "$PROG" "$LOG" >&2
    fi
fi

if [[ -f $CTL/status ]]; then
    status=$(<"$CTL/status")
    [[ $status =~ ^[0-9]+$ ]] || status=125
    if ((!QUIET)); then
        # Host-side clock: the 9p files get host time stamps.  The guest's own
        # uptime at command start is in "started".
        t_started=$(stat -c %.3Y "$CTL/started" 2>/dev/null || echo "$end")
        t_status=$(stat -c %.3Y "$CTL/status")
        read -r uptime _ <"$CTL/started" 2>/dev/null || uptime=0
        note "$(awk -v s="$start" -v b="$t_started" -v c="$t_status" -v e="$end" -v u="$uptime" 'BEGIN {
            printf "boot-to-command %.1f s (guest kernel %.1f s), command %.1f s, total %.1f s",
                b - s, u, c - b, e - s }') (kernel $RELEASE, status $status)"
    fi
    exit "$status"
fi
# timeout(1) says 124, or 137 if QEMU needed a SIGKILL after the SIGTERM.
if ((qemu_rc == 124)) || { ((qemu_rc == 137)) &&
    awk -v s="$start" -v e="$end" -v t="$TIMEOUT" 'BEGIN { exit !(e - s >= t) }'; }; then
    printf '%s: TIMEOUT: the VM did not finish within %s s; killed (console log: %s)\n' \
        "$PROG" "$TIMEOUT" "$LOG" >&2
    exit 124
fi
if ((qemu_rc != 0)); then
    printf '%s: QEMU failed (exit %s, messages above); console log: %s\n' "$PROG" "$qemu_rc" "$LOG" >&2
else
    printf '%s: the VM stopped without reporting a status (kernel panic or boot failure?); see the console log: %s\n' \
        "$PROG" "$LOG" >&2
fi
exit 125
