#!/bin/bash
# build-qemu.sh - build QEMU (x86_64-softmmu only) with the vgpu SR-IOV device
# model of qemu/ (-device vgpu-pf, Documentation/pf-interface.rst) compiled in.
#
# The QEMU source is Debian's: the orig tarball of source package qemu
# $QEMU_DEB_VERSION (bookworm-backports), fetched through apt's own
# downloader and checked against its SHA256.  Only the orig tarball is used,
# not Debian's patches: the tree is stock QEMU $QEMU_VERSION plus our files.
#
# Cache, outside the work tree ($VGPU_CACHE_DIR, default /var/cache/vgpu):
#
#   qemu/qemu_VERSION+ds.orig.tar.xz   the source tarball
#   qemu/src-VERSION/                  extracted tree + our files and glue:
#     hw/misc/vgpu/                    qemu/* and the project's pure command
#                                      executor (drivers/vgpu/lib/vgpu_cmd*,
#                                      tools/lib/vgpu_crc32c.c, the uapi
#                                      headers), copied unmodified
#     hw/misc/{meson.build,Kconfig}    one line each that pulls hw/misc/vgpu in
#     configs/devices/x86_64-softmmu/vgpu.mak   the device list (below)
#   qemu/build-VERSION/                the build tree, kept between builds: a
#                                      changed device source rebuilds a few
#                                      objects and relinks (files are copied
#                                      into src-VERSION only when their
#                                      content changed, so mtimes stay)
#   qemu/VERSION-HASH/                 the result:
#     bin/qemu-system-x86_64
#     share/qemu/                      firmware: SeaBIOS (Debian's seabios
#                                      package) and the option ROMs built
#                                      with QEMU (linuxboot_dma.bin ...)
#     build.log  build-info
#
# HASH covers RECIPE_VERSION, the QEMU version, the configure arguments, the
# device list and the content of every file we copy into the tree, so any
# change to the device model yields a new result directory; the build tree
# is shared.  Results unused for two weeks are deleted.  Builds run under an
# flock and the result is renamed into place when complete.
#
# The whole script is one { ... } block, read before it runs: editing it
# while a build runs does not derail that build.
{
set -euo pipefail

PROG=$(basename "$0")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPT_DIR")
CACHE_DIR=${VGPU_CACHE_DIR:-/var/cache/vgpu}
QDIR=$CACHE_DIR/qemu

QEMU_VERSION=10.0.2
QEMU_DEB_VERSION=1:10.0.2+ds-2+deb13u1~bpo12+1
ORIG=qemu_$QEMU_VERSION+ds.orig.tar.xz
ORIG_SHA256=0901da33844a331bf8b3602b9c1fbd178e60b737c8e3ade678255bd090c9b9f1
ORIG_FALLBACK_URI=http://deb.debian.org/debian/pool/main/q/qemu/qemu_10.0.2%2bds.orig.tar.xz
BACKPORTS=bookworm-backports
APT_SOURCES=/etc/apt/sources.list.d/vgpu-qemu-src.sources

# Bump when a change to this script changes what ends up in the cache.
RECIPE_VERSION=2

# Build dependencies.  meson and pycotap come from bookworm-backports: QEMU
# 10 wants meson >= 1.5 and its configure checks pycotap along with meson
# (Debian's orig tarball has no python/wheels to fall back on).  seabios
# provides bios-256k.bin; gcc-multilib the 32-bit libgcc that configure
# wants before it builds the x86 option ROMs (linuxboot_dma.bin ...).
PACKAGES=(gcc gcc-multilib make ninja-build pkgconf python3-venv flex bison
    xz-utils libglib2.0-dev libpixman-1-dev zlib1g-dev libattr1-dev
    libcap-ng-dev seabios)
BPO_PACKAGES=(meson python3-pycotap)
MESON_MIN=1.5

# What we copy into the tree: "source (relative to the repository) dest
# (relative to hw/misc/vgpu)".  The executor's files keep their relative
# layout (vgpu_crc32c.c includes ../include/vgpu_crc32c.h).
OUR_FILES=(
    "qemu/vgpu_sriov.c vgpu_sriov.c"
    "qemu/meson.build meson.build"
    "qemu/Kconfig Kconfig"
    "drivers/vgpu/lib/vgpu_cmd.c lib/vgpu_cmd.c"
    "drivers/vgpu/lib/vgpu_cmd_check.c lib/vgpu_cmd_check.c"
    "drivers/vgpu/lib/vgpu_cmd.h lib/vgpu_cmd.h"
    "drivers/vgpu/lib/vgpu_pure.h lib/vgpu_pure.h"
    "tools/lib/vgpu_crc32c.c tools/lib/vgpu_crc32c.c"
    "tools/include/vgpu_crc32c.h tools/include/vgpu_crc32c.h"
    "include/uapi/linux/vgpu.h include/linux/vgpu.h"
    "include/uapi/linux/vgpu_pf.h include/linux/vgpu_pf.h"
)

# Only the devices the VM runner and the tests use (--without-default-devices
# builds about half of what the default x86_64 list would): the pc
# (vm-run.sh's default) and q35 machines, intel-iommu, pcie-root-port,
# virtio-pci with 9p, rng and blk, vfio-pci (the nested e2e guests run on
# this QEMU too), and ours.  The machines select their
# chipset devices (ISA serial, RTC, PIT, IDE, LPC ...) themselves.
DEVICES_MAK='# vgpu: devices of the vgpu test VMs (scripts/build-qemu.sh)
CONFIG_I440FX=y
CONFIG_Q35=y
CONFIG_VTD=y
CONFIG_PCIE_PORT=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_9P=y
CONFIG_VIRTIO_RNG=y
CONFIG_VIRTIO_BLK=y
CONFIG_VFIO_PCI=y
CONFIG_VGPU_SRIOV=y
'

# --prefix only names the layout: the binary is relocatable and finds
# share/qemu next to its bin/ wherever the result directory is.  Debian's
# python3, whose meson and pycotap apt installed (not a pyenv shim's first
# in PATH).
CONFIGURE_ARGS=(
    --prefix=/opt/vgpu-qemu
    --python=/usr/bin/python3
    --target-list=x86_64-softmmu
    --without-default-devices --with-devices-x86_64=vgpu
    --enable-tcg --disable-kvm --disable-xen
    --enable-virtfs
    --disable-docs --disable-tools --disable-user --disable-guest-agent
    --disable-gtk --disable-sdl --disable-vnc --disable-spice --disable-opengl
    --disable-curses --disable-slirp --audio-drv-list=
    --disable-capstone --disable-fdt --disable-plugins
    --disable-install-blobs --disable-download
    --disable-debug-info --disable-werror
)

usage() {
    cat <<EOF
Usage: $PROG [--print-path | --install-deps] [--jobs N]

Build QEMU $QEMU_VERSION (x86_64-softmmu) with the vgpu SR-IOV device model
(qemu/vgpu_sriov.c: -device vgpu-pf) into
  $QDIR/$QEMU_VERSION-HASH/
and print the path of its qemu-system-x86_64 as the last line of stdout.

  (no option)     install missing build dependencies (as root), then build
                  if the device sources or the recipe changed; progress on
                  stderr, build chatter in the log
  --print-path    print the binary's path if it is built and current, else
                  exit 1; never builds
  --install-deps  only make sure the apt source and the build dependencies
                  are there (idempotent; apt is not run when all are
                  installed); for scripts/install-deps.sh
  --jobs N        parallel compile jobs (default: nproc = $(nproc))
  -h, --help      show this help

A cold build (extract, configure, compile) takes about 4-5 minutes on 2
cores (8 CPU-minutes); a changed device source rebuilds and relinks in
about 5 seconds.

Environment: VGPU_CACHE_DIR (default /var/cache/vgpu).
EOF
}

note() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

MODE=build JOBS=$(nproc)
while (($# > 0)); do
    case $1 in
        --print-path) MODE=print; shift ;;
        --install-deps) MODE=deps; shift ;;
        --jobs)
            (($# >= 2)) || die "--jobs needs an argument"
            JOBS=$2
            shift 2
            ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number"

# ---- dependencies -------------------------------------------------------------
# Print the packages among "$@" that are not fully installed ("ii").
missing_packages() {
    local -A ok=()
    local name status
    while IFS=$'\t' read -r name status; do
        [[ $status == ii* ]] && ok[$name]=1
    done < <(dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\n' "$@" 2>/dev/null || true)
    for name in "$@"; do
        [[ -n ${ok[$name]:-} ]] || printf '%s\n' "$name"
    done
}

meson_ok() {
    local v
    v=$(dpkg-query -W -f='${Version}' meson 2>/dev/null) || return 1
    [[ -n $v ]] && dpkg --compare-versions "$v" ge "$MESON_MIN"
}

# What is missing, one name a line: of PACKAGES (missing_base) and of
# BPO_PACKAGES (missing_bpo; "meson" too if it is older than MESON_MIN).
missing_base() { missing_packages "${PACKAGES[@]}"; }
missing_bpo() {
    missing_packages "${BPO_PACKAGES[@]}"
    if ! meson_ok && [[ -z $(missing_packages meson) ]]; then
        echo meson
    fi
}
missing_deps() { missing_base; missing_bpo; }

APT_LOG=$CACHE_DIR/build-qemu-apt.log
run_apt() {
    if ! apt-get "$@" >>"$APT_LOG" 2>&1; then
        tail -n 40 "$APT_LOG" >&2
        die "apt-get $1 failed (full log: $APT_LOG)"
    fi
}

# Make sure bookworm-backports (deb and deb-src) is an apt source and every
# build dependency is installed.  Does nothing, and does not run apt, when
# they all are.
install_deps() {
    local missing
    mapfile -t missing < <(missing_deps)
    if ((${#missing[@]} == 0)); then
        note "build dependencies: all installed"
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || die "missing build dependencies: ${missing[*]} (run as root, or scripts/install-deps.sh)"
    note "build dependencies: missing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    mkdir -p "$CACHE_DIR"
    : >"$APT_LOG"
    if ! grep -rqsE "^[^#]*$BACKPORTS" /etc/apt/sources.list /etc/apt/sources.list.d/; then
        note "adding $APT_SOURCES ($BACKPORTS, deb and deb-src)"
        cat >"$APT_SOURCES" <<EOF
Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: $BACKPORTS
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    note "apt-get update (log: $APT_LOG)"
    run_apt update
    # Only what is missing: naming an installed package would upgrade it.
    mapfile -t missing < <(missing_base)
    if ((${#missing[@]} > 0)); then
        note "apt-get install ${missing[*]}"
        run_apt install -y --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${missing[@]}"
    fi
    mapfile -t missing < <(missing_bpo)
    if ((${#missing[@]} > 0)); then
        note "apt-get install -t $BACKPORTS ${missing[*]}"
        run_apt install -y --no-install-recommends -t "$BACKPORTS" \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${missing[@]}"
    fi
    mapfile -t missing < <(missing_deps)
    ((${#missing[@]} == 0)) || die "still missing after apt-get: ${missing[*]}"
    note "build dependencies: installed"
}

if [[ $MODE == deps ]]; then
    install_deps
    exit 0
fi

# ---- cache key ------------------------------------------------------------------
for f in "${OUR_FILES[@]}"; do
    src=${f%% *}
    [[ -f $REPO/$src ]] || die "missing source file: $REPO/$src"
done

key_input() {
    local f
    printf 'recipe %s\nqemu %s %s\n' "$RECIPE_VERSION" "$QEMU_VERSION" "$ORIG_SHA256"
    printf 'configure %s\n' "${CONFIGURE_ARGS[*]}"
    printf '%s' "$DEVICES_MAK"
    for f in "${OUR_FILES[@]}"; do
        printf '%s %s\n' "${f#* }" "$(sha256sum <"$REPO/${f%% *}" | cut -c1-64)"
    done
}
HASH=$(key_input | sha256sum | cut -c1-12)
FINAL=$QDIR/$QEMU_VERSION-$HASH
BIN=$FINAL/bin/qemu-system-x86_64

is_built() { [[ -x $BIN && -f $FINAL/share/qemu/bios-256k.bin && -f $FINAL/build-info ]]; }

if [[ $MODE == print ]]; then
    if is_built; then
        printf '%s\n' "$BIN"
        exit 0
    fi
    note "not built for the current device sources (key $QEMU_VERSION-$HASH); run $PROG"
    exit 1
fi

finish() {
    touch -c "$FINAL" 2>/dev/null || true
    printf '%s\n' "$BIN"
    exit 0
}
if is_built; then
    note "up to date: $FINAL"
    finish
fi

install_deps

# ---- lock -------------------------------------------------------------------
mkdir -p "$QDIR"
exec 9>"$QDIR/.lock"
if ! flock -n 9; then
    note "another build is running; waiting for it (lock $QDIR/.lock)"
    flock 9
fi
is_built && finish
for d in "$QDIR"/.tmp-*; do
    [[ -e $d ]] || continue
    note "removing stale $d"
    rm -rf "$d"
done
rm -rf "$FINAL" # incomplete, or we would have finished above

SRC=$QDIR/src-$QEMU_VERSION
BUILD=$QDIR/build-$QEMU_VERSION
TMP=$(mktemp -d "$QDIR/.tmp-$QEMU_VERSION-$HASH.XXXXXX")
chmod 755 "$TMP"
LOG=$TMP/build.log
FAILED_LOG=$QDIR/$QEMU_VERSION-$HASH.failed.log
STEP_PID="" DONE=0
: >"$LOG"

# shellcheck disable=SC2317 # invoked via trap
cleanup() {
    if [[ -n $STEP_PID ]]; then
        kill -TERM -- "-$STEP_PID" 2>/dev/null || true
        wait "$STEP_PID" 2>/dev/null || true
    fi
    if ((!DONE)); then
        [[ -f $LOG ]] && cp -f "$LOG" "$FAILED_LOG" 2>/dev/null
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT
trap 'note "terminated"; exit 143' TERM

now() { date +%s; }
fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Run one step with its output appended to the log, a heartbeat with the
# latest log line every minute; on failure print the log's tail and stop.
run_step() {
    local desc=$1 t0 last=0 rc=0 line
    shift
    t0=$(now)
    note "$desc"
    printf '\n===== %s: %s\n===== %s\n' "$(date -u +%FT%TZ)" "$desc" "$*" >>"$LOG"
    setsid --wait "$@" </dev/null >>"$LOG" 2>&1 &
    STEP_PID=$!
    while kill -0 "$STEP_PID" 2>/dev/null; do
        sleep 1
        if (($(now) - t0 - last >= 60)); then
            last=$(($(now) - t0))
            line=$(tail -n 1 "$LOG" | cut -c1-100)
            note "  ... $(fmt_time "$last"): $line"
        fi
    done
    wait "$STEP_PID" || rc=$?
    STEP_PID=""
    if ((rc != 0)); then
        note "FAILED: $desc (exit $rc); last lines of the log:"
        tail -n 60 "$LOG" >&2
        note "full log: $FAILED_LOG"
        exit 1
    fi
    note "  done in $(fmt_time $(($(now) - t0)))"
}

T_START=$(now)
note "building QEMU $QEMU_VERSION with the vgpu device model into $FINAL ($JOBS jobs)"
note "log: $LOG (on failure kept as $FAILED_LOG)"

# ---- source tarball ---------------------------------------------------------------
TARBALL=$QDIR/$ORIG
tarball_ok() { [[ -f $TARBALL ]] && echo "$ORIG_SHA256  $TARBALL" | sha256sum -c --status; }

fetch_tarball() {
    local uri tmp
    # The URI of the configured mirror, from the deb-src index; the .dsc of
    # this backport is not always downloadable, the orig tarball is.
    uri=$(apt-get source --print-uris "qemu=$QEMU_DEB_VERSION" 2>/dev/null |
        sed -n "s/^'\([^']*\)' $ORIG .*/\1/p" | head -n 1) || true
    [[ -n $uri ]] || uri=$ORIG_FALLBACK_URI
    tmp=$QDIR/.$ORIG.part
    note "downloading $uri"
    /usr/lib/apt/apt-helper download-file "$uri" "$tmp" "SHA256:$ORIG_SHA256" >>"$LOG" 2>&1 ||
        { rm -f "$tmp"; die "downloading $uri failed (see $LOG)"; }
    mv -f "$tmp" "$TARBALL"
}

# ---- source tree ----------------------------------------------------------------
# (minikconf takes all of a source line as the file name: no comment there.)
GLUE_MESON="# vgpu SR-IOV device model (scripts/build-qemu.sh)
subdir('vgpu')"
GLUE_KCONFIG="# vgpu SR-IOV device model (scripts/build-qemu.sh)
source vgpu/Kconfig"
SRC_STAMP="recipe $RECIPE_VERSION orig $ORIG_SHA256 edk2-off glue $(printf '%s\n' "$GLUE_MESON" "$GLUE_KCONFIG" | sha256sum | cut -c1-12)"

prepare_source() {
    local tmp
    if [[ -f $SRC/.vgpu-stamp && $(<"$SRC/.vgpu-stamp") == "$SRC_STAMP" ]]; then
        return 0
    fi
    tarball_ok || fetch_tarball
    note "extracting $ORIG into $SRC"
    tmp=$(mktemp -d "$QDIR/.tmp-src.XXXXXX")
    tar -xf "$TARBALL" -C "$tmp" --no-same-owner
    [[ -f $tmp/qemu-$QEMU_VERSION/configure ]] || die "$ORIG has no qemu-$QEMU_VERSION/configure"
    mkdir -p "$tmp/qemu-$QEMU_VERSION/hw/misc/vgpu"
    # Debian's +ds tarball has none of the edk2 firmware images that
    # meson.build unpacks when bzip2 is installed: do not unpack them.
    sed -i 's/^\( *unpack_edk2_blobs = \)bzip2\.found()$/\1false # vgpu/' "$tmp/qemu-$QEMU_VERSION/meson.build"
    grep -q '^ *unpack_edk2_blobs = false # vgpu$' "$tmp/qemu-$QEMU_VERSION/meson.build" ||
        die "cannot turn off unpack_edk2_blobs in meson.build"
    printf '\n%s\n' "$GLUE_MESON" >>"$tmp/qemu-$QEMU_VERSION/hw/misc/meson.build"
    printf '\n%s\n' "$GLUE_KCONFIG" >>"$tmp/qemu-$QEMU_VERSION/hw/misc/Kconfig"
    printf '%s\n' "$SRC_STAMP" >"$tmp/qemu-$QEMU_VERSION/.vgpu-stamp"
    # A new tree invalidates the build tree made from the old one.
    rm -rf "$SRC" "$BUILD"
    mv -T "$tmp/qemu-$QEMU_VERSION" "$SRC"
    rm -rf "$tmp"
}

# Copy a file only if its content differs, so an unchanged file keeps its
# mtime and ninja does not rebuild what depends on it.
sync_file() {
    local from=$1 to=$2
    if ! cmp -s "$from" "$to"; then
        mkdir -p "$(dirname "$to")"
        cp -f "$from" "$to.tmp"
        mv -f "$to.tmp" "$to"
        printf '%s\n' "${to#"$SRC"/}"
    fi
}

prepare_source
changed=$(
    for f in "${OUR_FILES[@]}"; do
        sync_file "$REPO/${f%% *}" "$SRC/hw/misc/vgpu/${f#* }"
    done
    printf '%s' "$DEVICES_MAK" >"$TMP/vgpu.mak"
    sync_file "$TMP/vgpu.mak" "$SRC/configs/devices/x86_64-softmmu/vgpu.mak"
)
if [[ -n $changed ]]; then
    note "  updated: $(tr '\n' ' ' <<<"$changed")"
fi

# ---- configure ----------------------------------------------------------------
CONF_STAMP=$(printf 'recipe %s\n%s\n' "$RECIPE_VERSION" "${CONFIGURE_ARGS[*]}")
if [[ -f $BUILD/build.ninja && -f $BUILD/.vgpu-configure && $(<"$BUILD/.vgpu-configure") == "$CONF_STAMP" ]]; then
    note "build tree $BUILD is configured; building incrementally"
    COLD=0
else
    rm -rf "$BUILD"
    mkdir -p "$BUILD"
    run_step "configure (${CONFIGURE_ARGS[*]})" env -C "$BUILD" "$SRC/configure" "${CONFIGURE_ARGS[@]}"
    printf '%s\n' "$CONF_STAMP" >"$BUILD/.vgpu-configure"
    COLD=1
fi
T_CONFIGURED=$(now)

# ---- compile ------------------------------------------------------------------
# Only the emulator (not the qtests and helpers a plain make builds), then
# the x86 option ROMs, which the top-level Makefile builds (pc-bios/optionrom).
run_step "compile qemu-system-x86_64 (ninja -j$JOBS)" ninja -C "$BUILD" -j"$JOBS" qemu-system-x86_64
[[ -f $BUILD/pc-bios/optionrom/config.mak ]] ||
    die "configure found no compiler for the x86 option ROMs (is gcc-multilib installed?)"
run_step "compile the option ROMs" make -C "$BUILD" -j"$JOBS" recurse-all
T_COMPILED=$(now)

# ---- install --------------------------------------------------------------------
# What the emulator needs at run time: itself, and the firmware in
# share/qemu next to its bin/ (a relocatable build looks there; keymaps,
# trace-events and firmware descriptors are for features we left out).
mkdir -p "$TMP/result/bin"
cp "$BUILD/qemu-system-x86_64" "$TMP/result/bin/"
DATA=$TMP/result/share/qemu
mkdir -p "$DATA"
n=0
for f in "$BUILD"/pc-bios/optionrom/*.bin; do
    [[ -f $f ]] || continue
    cp "$f" "$DATA/"
    n=$((n + 1))
done
((n > 0)) || die "no option ROMs were built (pc-bios/optionrom)"
for f in /usr/share/seabios/*.bin; do
    [[ -f $f ]] && cp -L "$f" "$DATA/"
done
[[ -f $DATA/bios-256k.bin ]] || die "/usr/share/seabios/bios-256k.bin not found (package seabios)"

# The binary must start and know our device.
if ! "$TMP/result/bin/qemu-system-x86_64" -device help 2>&1 | grep -q '"vgpu-pf"'; then
    die "the built QEMU does not list -device vgpu-pf"
fi

T_END=$(now)
{
    printf 'key %s-%s\n' "$QEMU_VERSION" "$HASH"
    key_input
    printf 'jobs %s\ncold %s\n' "$JOBS" "$COLD"
    printf 'built_at %s\n' "$(date -u +%FT%TZ)"
    printf 'seconds_configure %s\n' $((T_CONFIGURED - T_START))
    printf 'seconds_compile %s\n' $((T_COMPILED - T_CONFIGURED))
    printf 'seconds_total %s\n' $((T_END - T_START))
} >"$TMP/result/build-info"
mv "$LOG" "$TMP/result/build.log"
LOG=$TMP/result/build.log

mv -T "$TMP/result" "$FINAL"
rm -rf "$TMP"
DONE=1
rm -f "$FAILED_LOG"
# Results of older device sources, unused for two weeks.
find "$QDIR" -mindepth 1 -maxdepth 1 -type d -name "$QEMU_VERSION-*" -mtime +14 \
    -exec rm -rf {} + 2>/dev/null || true
note "built in $(fmt_time $((T_END - T_START))) ($([[ $COLD == 1 ]] && echo cold || echo incremental); compile $(fmt_time $((T_COMPILED - T_CONFIGURED))))"
finish
}
