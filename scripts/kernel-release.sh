#!/bin/bash
# kernel-release.sh - name the Debian 6.12 kernel the vgpu tooling builds for and boots.
#
# Prints the newest *installed* 6.12 kernel release that is usable for both
# building (headers present) and booting in a VM (image present), e.g.
# "6.12.117+deb12-amd64".  Only the generic amd64 flavour is considered; the
# -cloud and -rt flavours are skipped so that installing one of them never
# silently changes the kernel we test against.
#
# With --source-dir it prints instead the directory into which
# scripts/install-deps.sh extracted linux-source-6.12.
#
# Both lookups are pure file-system checks (no apt, no dpkg), so the script is
# cheap enough to be called from every build and test step.
set -euo pipefail

CACHE_DIR=${VGPU_CACHE_DIR:-/var/cache/vgpu}
SOURCE_DIR=$CACHE_DIR/linux-source-6.12

usage() {
    cat <<EOF
Usage: $(basename "$0") [--source-dir]

  (no option)    print the newest installed 6.12 kernel release that has both
                 /boot/vmlinuz-REL and /usr/src/linux-headers-REL
                 (or /lib/modules/REL/build); exit 1 if there is none
  --source-dir   print the extracted linux-source-6.12 directory
                 ($SOURCE_DIR); exit 1 if it has not been extracted
  -h, --help     show this help

Environment: VGPU_CACHE_DIR (default /var/cache/vgpu).
EOF
}

die() {
    printf '%s: %s\n' "$(basename "$0")" "$*" >&2
    exit 1
}

print_source_dir() {
    # The Makefile is the last thing we would miss if an extraction was cut
    # short, and install-deps.sh only ever renames a complete tree into place.
    [[ -f $SOURCE_DIR/Makefile ]] ||
        die "linux source not extracted at $SOURCE_DIR (run scripts/install-deps.sh)"
    printf '%s\n' "$SOURCE_DIR"
}

print_release() {
    local img rel best=""
    local -a candidates=()
    shopt -s nullglob
    for img in /boot/vmlinuz-6.12.*; do
        rel=${img#/boot/vmlinuz-}
        case $rel in
            *-cloud-* | *-rt-*) continue ;;
        esac
        if [[ -d /usr/src/linux-headers-$rel || -e /lib/modules/$rel/build ]]; then
            candidates+=("$rel")
        fi
    done
    shopt -u nullglob
    if ((${#candidates[@]} > 0)); then
        best=$(printf '%s\n' "${candidates[@]}" | sort -V | tail -n 1)
    fi
    [[ -n $best ]] ||
        die "no installed 6.12 kernel with both /boot/vmlinuz-REL and headers (run scripts/install-deps.sh)"
    printf '%s\n' "$best"
}

case ${1:-} in
    "") print_release ;;
    --source-dir) print_source_dir ;;
    -h | --help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
esac
