#!/bin/bash
# install-deps.sh - prepare a Debian 12 (bookworm) machine for building and
# testing vgpu.  Meant to run as root, non-interactively (CI=true, no stdin).
#
# What it does, one output line per step:
#   1. Checks with dpkg-query whether every package we need is installed,
#      including a Debian 6.12 kernel image + matching headers.  If so, apt is
#      not touched at all, which keeps repeated runs well under two seconds.
#   2. Otherwise runs `apt-get update`, picks the newest 6.12.X+deb12-amd64
#      release for which BOTH linux-image-REL-unsigned and linux-headers-REL
#      are known to apt, and installs everything with --no-install-recommends.
#   3. Extracts /usr/src/linux-source-6.12.tar.xz into the cache directory
#      ($VGPU_CACHE_DIR, default /var/cache/vgpu) once.  A stamp file inside
#      the extracted tree records the linux-source-6.12 package version, so a
#      new package version triggers a fresh extraction.  The tree is unpacked
#      into a temporary directory next to its final place and renamed into
#      place, so a reader never sees a half-extracted tree.
#   4. Places promtool (Prometheus' metrics checker, for the tests of
#      vgpuctl metrics) in $VGPU_CACHE_DIR/promtool/: Debian ships it only in
#      the package prometheus (19 MB, 96 MB installed, with a server that
#      its postinst would enable and start), so the .deb is downloaded with
#      apt-get download and only usr/bin/promtool is extracted, once.
#   5. Has scripts/build-qemu.sh --install-deps add bookworm-backports (as an
#      apt source whose packages are only taken when asked for) and the
#      build dependencies of QEMU with the SR-IOV device model; it too skips
#      apt when all are installed.
#
# It writes nothing into the repository.  The chosen kernel release can be
# queried afterwards with scripts/kernel-release.sh.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CACHE_DIR=${VGPU_CACHE_DIR:-/var/cache/vgpu}
SOURCE_PKG=linux-source-6.12
SOURCE_TARBALL=/usr/src/$SOURCE_PKG.tar.xz
SOURCE_DEST=$CACHE_DIR/$SOURCE_PKG
SOURCE_STAMP_NAME=.vgpu-source-version
APT_LOG=$CACHE_DIR/install-deps-apt.log

# Everything except the versioned 6.12 kernel, which is chosen at run time.
#  - linux-headers-amd64 pulls Debian's default (6.1) headers for the compat build
#  - libclang-rt-dev carries libFuzzer; clang only recommends it
#  - file is used by vm-run.sh to read the release out of a kernel image
#  - pciutils and pci.ids: lspci and the PCI ID database the ID checks read
#  - libjson-c-dev, libncurses-dev, pkg-config: vgpuctl's JSON output and
#    top's terminal drawing (tools/vgpuctl)
#  - libmicrohttpd-dev: vgpuctl serve's HTTP server; curl scrapes it in tests
#  - debhelper, dh-dkms, dkms, dpkg-dev: make deb builds the vgpu-dkms and
#    vgpu-tools packages, which the VM test installs (DKMS builds there)
#  - mdevctl, udev: persistent vGPUs (mdevctl define --auto), tested in a VM
BASE_PACKAGES=(
    linux-headers-amd64
    "$SOURCE_PKG"
    qemu-system-x86
    busybox-static
    sparse
    cpio
    kmod
    libdrm-dev
    xz-utils
    zstd
    flex
    bison
    bc
    libelf-dev
    libssl-dev
    gcc
    make
    perl
    clang
    libclang-rt-dev
    file
    pciutils
    pci.ids
    libjson-c-dev
    libncurses-dev
    pkg-config
    libmicrohttpd-dev
    curl
    debhelper
    dh-dkms
    dkms
    dpkg-dev
    mdevctl
    udev
)

REFRESH=0

usage() {
    cat <<EOF
Usage: $(basename "$0") [--refresh]

Install the build/test dependencies of vgpu on Debian 12 and extract
$SOURCE_PKG into $SOURCE_DEST.

  --refresh   run apt-get update and install the newest 6.12 kernel even when
              an older one (and everything else) is already installed
  -h, --help  show this help

Environment: VGPU_CACHE_DIR (default /var/cache/vgpu).
EOF
}

step() { printf 'install-deps: %s\n' "$*"; }
die() {
    printf 'install-deps: error: %s\n' "$*" >&2
    exit 1
}

while (($# > 0)); do
    case $1 in
        --refresh) REFRESH=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
    shift
done

[[ $(id -u) -eq 0 ]] || die "must run as root"
export DEBIAN_FRONTEND=noninteractive

mkdir -p "$CACHE_DIR"
# One installer at a time: apt has its own lock, but two concurrent source
# extractions would do the same work twice.
exec 9>"$CACHE_DIR/.install-deps.lock"
flock 9

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

# Print the newest 6.12.X+deb12-amd64 release whose image and headers are
# both installed (nothing if there is none).
installed_kernel() {
    local -A image=() headers=()
    local name status rel
    while IFS=$'\t' read -r name status; do
        [[ $status == ii* ]] || continue
        if [[ $name =~ ^linux-image-(6\.12\.[0-9]+\+deb12-amd64)(-unsigned)?$ ]]; then
            image[${BASH_REMATCH[1]}]=1
        elif [[ $name =~ ^linux-headers-(6\.12\.[0-9]+\+deb12-amd64)$ ]]; then
            headers[${BASH_REMATCH[1]}]=1
        fi
    done < <(dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\n' \
        'linux-image-6.12.*' 'linux-headers-6.12.*' 2>/dev/null || true)
    for rel in "${!image[@]}"; do
        [[ -n ${headers[$rel]:-} ]] && printf '%s\n' "$rel"
    done | sort -V | tail -n 1
}

# Print the newest 6.12.X+deb12-amd64 release for which apt knows both
# linux-image-REL-unsigned and linux-headers-REL.
newest_available_kernel() {
    local -A headers=()
    local name rel
    local -a images=()
    while read -r name; do
        [[ $name =~ ^linux-headers-(6\.12\.[0-9]+\+deb12-amd64)$ ]] &&
            headers[${BASH_REMATCH[1]}]=1
    done < <(apt-cache pkgnames linux-headers-6.12.)
    while read -r name; do
        [[ $name =~ ^linux-image-(6\.12\.[0-9]+\+deb12-amd64)-unsigned$ ]] &&
            images+=("${BASH_REMATCH[1]}")
    done < <(apt-cache pkgnames linux-image-6.12.)
    ((${#images[@]} > 0)) || return 0
    for rel in "${images[@]}"; do
        [[ -n ${headers[$rel]:-} ]] && printf '%s\n' "$rel"
    done | sort -V | tail -n 1
}

# Run an apt-get command with its chatter in $APT_LOG; show the tail on failure.
run_apt() {
    if ! apt-get "$@" >"$APT_LOG" 2>&1; then
        tail -n 40 "$APT_LOG" >&2
        die "apt-get $1 failed (full log: $APT_LOG)"
    fi
}

# ---- step 1/2: packages -----------------------------------------------------
mapfile -t missing < <(missing_packages "${BASE_PACKAGES[@]}")
kernel=$(installed_kernel)

if ((${#missing[@]} == 0)) && [[ -n $kernel ]] && ((REFRESH == 0)); then
    step "packages: all installed (kernel $kernel), skipping apt"
else
    if [[ -z $kernel ]]; then
        step "packages: missing ${missing[*]} + a 6.12 kernel"
    elif ((${#missing[@]} > 0)); then
        step "packages: missing ${missing[*]}"
    else
        step "packages: --refresh requested"
    fi
    step "apt-get update"
    run_apt update
    kernel=$(newest_available_kernel)
    [[ -n $kernel ]] ||
        die "apt knows no linux-image-6.12.X+deb12-amd64-unsigned with matching headers (is bookworm-backports or a 6.12 suite in sources.list?)"
    step "kernel: newest 6.12 with image and headers is $kernel"
    # Only what is missing: naming an installed package would upgrade it.
    step "apt-get install (log: $APT_LOG)"
    run_apt install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "linux-image-$kernel-unsigned" "linux-headers-$kernel" "${missing[@]}"
    mapfile -t missing < <(missing_packages "${BASE_PACKAGES[@]}" \
        "linux-image-$kernel-unsigned" "linux-headers-$kernel")
    ((${#missing[@]} == 0)) || die "still not installed after apt-get: ${missing[*]}"
    step "packages: installed"
fi

# ---- step 3: kernel source --------------------------------------------------
[[ -f $SOURCE_TARBALL ]] || die "$SOURCE_TARBALL not found although $SOURCE_PKG is installed"
source_version=$(dpkg-query -W -f='${Version}' "$SOURCE_PKG")
stamp=$SOURCE_DEST/$SOURCE_STAMP_NAME
if [[ -f $SOURCE_DEST/Makefile && -f $stamp && $(<"$stamp") == "$source_version" ]]; then
    step "source: $SOURCE_DEST is up to date ($source_version)"
else
    step "source: extracting $SOURCE_TARBALL ($source_version) into $SOURCE_DEST"
    tmp=$(mktemp -d "$CACHE_DIR/.$SOURCE_PKG.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    tar -xf "$SOURCE_TARBALL" -C "$tmp" --no-same-owner
    [[ -f $tmp/$SOURCE_PKG/Makefile ]] || die "$SOURCE_TARBALL has no $SOURCE_PKG/Makefile"
    printf '%s\n' "$source_version" >"$tmp/$SOURCE_PKG/$SOURCE_STAMP_NAME"
    # Two renames on the same file system: move the old tree out of the way
    # (it is deleted with $tmp), then the new one in.
    if [[ -e $SOURCE_DEST ]]; then
        mv -T "$SOURCE_DEST" "$tmp/old"
    fi
    mv -T "$tmp/$SOURCE_PKG" "$SOURCE_DEST"
    rm -rf "$tmp"
    trap - EXIT
    step "source: extracted"
fi

# ---- step 4: promtool ---------------------------------------------------------
PROMTOOL_DIR=$CACHE_DIR/promtool
if [[ -x $PROMTOOL_DIR/promtool ]] && "$PROMTOOL_DIR/promtool" --version >/dev/null 2>&1; then
    step "promtool: $PROMTOOL_DIR/promtool is there"
else
    step "promtool: extracting it from the package prometheus into $PROMTOOL_DIR"
    tmp=$(mktemp -d "$CACHE_DIR/.promtool.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    if ! (cd "$tmp" && apt-get download prometheus) >"$APT_LOG" 2>&1; then
        run_apt update
        (cd "$tmp" && apt-get download prometheus) >"$APT_LOG" 2>&1 ||
            die "apt-get download prometheus failed (log: $APT_LOG)"
    fi
    dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool ||
        die "no usr/bin/promtool in the package prometheus"
    "$tmp/usr/bin/promtool" --version >/dev/null 2>&1 || die "the extracted promtool does not run"
    mkdir -p "$PROMTOOL_DIR"
    mv -f "$tmp/usr/bin/promtool" "$PROMTOOL_DIR/promtool"
    rm -rf "$tmp"
    trap - EXIT
    step "promtool: extracted"
fi

# ---- step 5: what QEMU with the SR-IOV device model builds with ---------------
# (bookworm-backports' meson and pycotap; scripts/build-qemu.sh builds it)
"$SCRIPT_DIR/build-qemu.sh" --install-deps || die "installing QEMU's build dependencies failed"

# ---- done -------------------------------------------------------------------
release=$("$SCRIPT_DIR/kernel-release.sh") || die "no usable 6.12 kernel after installation"
step "done: kernel release $release, source $SOURCE_DEST"
