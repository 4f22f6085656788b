#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# build-deb.sh - build the Debian packages vgpu-dkms and vgpu-tools (make deb)
# from the files git knows in this tree (committed or not, ignored ones
# left out), in a copy under OUT (default out/deb), so no build product
# lands in the tree. Prints the paths of the two .deb files last.
#
# Usage: build-deb.sh [OUT]
# Needs debhelper, dh-dkms, dpkg-dev and vgpuctl's libraries
# (scripts/install-deps.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$top/out/deb}")
src=$out/src

rm -rf "$src"
mkdir -p "$src"
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
(cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$src")
# noddebs: no -dbgsym package beside the two.
(cd "$src" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }noddebs" \
	dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
mv "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes "$out"/ 2>/dev/null || true
rm -rf "$src"
ls "$out"/vgpu-dkms_*.deb "$out"/vgpu-tools_*.deb
