#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms-check.sh - what make check verifies of the packages on the host,
# natively: each package holds what it must, and DKMS itself builds the
# vgpu-dkms package's sources with its dkms.conf for kernel KREL, in a
# private DKMS tree with a throw-away signing key (nothing of the host's
# DKMS state is touched), giving vgpu.ko, vgpu_lib.ko and vgpu-vfio-pci.ko
# for KREL. The tree stays in DEB-DIR/dkms/tree.
#
# The install itself, dpkg -i, modprobe, vgpuctl and purge, runs in a VM in
# selftests/vgpu_ops_test (VGPU_DEB_DIR). Compiling the module there takes
# 8 to 18 minutes under TCG, so make check hands the test this tree
# (VGPU_DKMS_PREBUILT): DKMS in the VM finds the module built for the
# running kernel and installs it, as it would after its own build.
#
# Usage: dkms-check.sh DEB-DIR KREL
set -euo pipefail

debs=$1
krel=$2
fail() { echo "dkms-check: $*" >&2; exit 1; }

dkms_deb=$(ls "$debs"/vgpu-dkms_*_all.deb)
tools_deb=$(ls "$debs"/vgpu-tools_*_*.deb)
version=$(dpkg-deb -f "$dkms_deb" Version)
version=${version%%-*}

# What each package must hold.
dpkg-deb -c "$dkms_deb" | awk '{ print $6 }' > "$debs/dkms.list"
dpkg-deb -c "$tools_deb" | awk '{ print $6 }' > "$debs/tools.list"
for f in usr/src/vgpu-$version/dkms.conf usr/src/vgpu-$version/Kbuild \
	 usr/src/vgpu-$version/drivers/vgpu/vgpu_main.c \
	 usr/src/vgpu-$version/drivers/vfio/pci/vgpu/vgpu_vfio_pci.c \
	 usr/src/vgpu-$version/include/uapi/linux/vgpu.h etc/modprobe.d/vgpu.conf; do
	grep -qx "./$f" "$debs/dkms.list" || fail "vgpu-dkms lacks /$f"
done
for f in usr/sbin/vgpuctl usr/share/man/man8/vgpuctl.8.gz \
	 lib/systemd/system/vgpu-metrics.service \
	 lib/udev/rules.d/61-vgpu-mdevctl.rules \
	 usr/share/doc/vgpu-tools/examples/90-vgpu.rules; do
	grep -qx "./$f" "$debs/tools.list" || fail "vgpu-tools lacks /$f"
done
# (No grep -q on a pipe: under pipefail its early exit fails the writer.)
depends=$(dpkg-deb -f "$tools_deb" Depends)
[[ $depends == *libmicrohttpd* ]] || fail "vgpu-tools does not depend on libmicrohttpd"
echo "dkms-check: both packages hold their files"

work=$debs/dkms
rm -rf "$work"
mkdir -p "$work"
dpkg-deb -x "$dkms_deb" "$work/root"
mkdir -p "$work/tree"
export mok_signing_key=$work/mok.key mok_certificate=$work/mok.pub
args=(-m vgpu -v "$version" --dkmstree "$work/tree" --sourcetree "$work/root/usr/src")
dkms add "${args[@]}"
dkms build "${args[@]}" -k "$krel" -j 2 ||
	{ cat "$work/tree/vgpu/$version/build/make.log" 2>/dev/null; fail "dkms build failed"; }
for m in vgpu vgpu_lib vgpu-vfio-pci; do
	ko=$(ls "$work/tree/vgpu/$version/$krel"/*/module/$m.ko*) ||
		fail "DKMS built no $m.ko"
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$krel" ] ||
		fail "$m.ko is not for $krel"
done
rm -f "$mok_signing_key"
echo "dkms-check: DKMS built vgpu.ko, vgpu_lib.ko and vgpu-vfio-pci.ko for $krel (tree: $work/tree)"
