#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms-check.sh - what make check verifies of the packages on the host:
# each package holds what it must; then they are installed for real, as an
# operator installs them: dpkg -i, and DKMS builds and installs vgpu.ko,
# vgpu_lib.ko and vgpu-vfio-pci.ko for kernel KREL (the kernel of the test
# VMs, which boot this host's root file system: selftests/vgpu_ops_test
# then loads the installed modules there with modprobe and runs the
# installed vgpuctl). --purge removes both packages afterwards and checks
# that nothing of them is left.
#
# The host is changed while the packages are installed; a marker file says
# that make check installed them, so a run cut short is cleaned up by the
# next one, and a vgpu-dkms the operator installed is never touched.
#
# The whole cycle inside a VM (dpkg -i, the DKMS build, purge) is the
# opt-in VGPU_CHECK_DEB_VM=1: dpkg's database and depmod over the VM's 9p
# root under TCG take over ten minutes even without the build.
#
# Usage: dkms-check.sh DEB-DIR KREL
#        dkms-check.sh --purge KREL
set -euo pipefail

MARK=/var/lib/vgpu-check-installed-packages
fail() { echo "dkms-check: $*" >&2; exit 1; }

purge() {
	local krel=$1
	dpkg --purge vgpu-tools vgpu-dkms || fail "dpkg --purge failed"
	rm -f "$MARK"
	! ls /lib/modules/"$krel"/updates/dkms/vgpu* 2>/dev/null ||
		fail "modules left in /lib/modules/$krel/updates/dkms"
	! ls -d /usr/src/vgpu-* 2>/dev/null || fail "sources left in /usr/src"
	[ -z "$(dkms status vgpu)" ] || fail "DKMS still knows vgpu: $(dkms status vgpu)"
	[ ! -e /usr/sbin/vgpuctl ] || fail "/usr/sbin/vgpuctl is left"
	[ ! -e /etc/modprobe.d/vgpu.conf ] || fail "/etc/modprobe.d/vgpu.conf is left"
	echo "dkms-check: purged: no module, source, DKMS entry, tool or configuration left"
}

if [ "${1:-}" = --purge ]; then
	purge "${2:?KREL}"
	exit 0
fi

debs=$1
krel=$2

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

# A run of make check cut short left its install behind; an install of
# the operator's is not ours to remove.
if [[ $(dpkg-query -W -f='${Status}' vgpu-dkms 2>/dev/null || true) == *" installed" ]]; then
	[ -e "$MARK" ] || fail "vgpu-dkms is installed, not by make check: not touching it"
	purge "$krel"
fi
touch "$MARK"
dpkg -i "$dkms_deb" "$tools_deb" || fail "dpkg -i failed"
# The postinst builds for the running kernel; KREL is the test VMs' (as
# the kernel package's DKMS hook does when a kernel is installed).
if [[ $(dkms status -m vgpu -v "$version" -k "$krel") != *installed* ]]; then
	dkms install -m vgpu -v "$version" -k "$krel" -j 2 ||
		{ cat /var/lib/dkms/vgpu/"$version"/build/make.log 2>/dev/null; fail "dkms install failed"; }
fi
for m in vgpu vgpu_lib vgpu-vfio-pci; do
	ko=$(ls /lib/modules/"$krel"/updates/dkms/$m.ko*) ||
		fail "DKMS installed no $m.ko for $krel"
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$krel" ] ||
		fail "$m.ko is not for $krel"
done
[ -x /usr/sbin/vgpuctl ] || fail "no /usr/sbin/vgpuctl"
echo "dkms-check: installed; DKMS built and installed vgpu.ko, vgpu_lib.ko and vgpu-vfio-pci.ko for $krel"
