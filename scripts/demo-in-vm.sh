#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# demo-in-vm.sh VGPU_KO - runs inside the demo VM (see demo.sh).
set -e
ko=$1

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; sh -c "$*"; }

modprobe vfio
modprobe vfio_iommu_type1
modprobe mdev
# Install the module where modprobe finds it (the VM's root is a scratch
# overlay), so the demo uses the same command an administrator would.
dir=/lib/modules/$(uname -r)/extra
mkdir -p "$dir"
cp "$ko" "$dir/"
depmod -a

run "modinfo -F parm vgpu"
run "modprobe vgpu"
run "dmesg | grep vgpu | tail -n 3"
p=/sys/class/vgpu/vgpu0
run "grep . $p/backend $p/mem_total_bytes $p/mem_free_bytes $p/engines_total $p/engines_free $p/vgpus"
for t in "$p"/mdev_supported_types/*; do
	run "grep . $t/name $t/description $t/device_api $t/available_instances"
done
for t in "$p"/mdev_supported_types/*; do
	u=$(cat /proc/sys/kernel/random/uuid)
	run "echo $u > $t/create"
done
run "ls -l /sys/bus/mdev/devices/"
for d in /sys/bus/mdev/devices/*; do
	run "grep . $d/vgpu/*"
done
run "grep . $p/mem_free_bytes $p/engines_free $p/vgpus $p/mdev_supported_types/*/available_instances"
say "the sysfs tree of vgpu0"
find "$p/" "$p"/mdev_supported_types/*/ -maxdepth 1 \
	\( -type f -o -type l \) ! -name uevent ! -name power 2>/dev/null | sort
for d in /sys/bus/mdev/devices/*; do
	run "echo 1 > $d/remove"
done
run "rmmod vgpu"
echo
echo "demo: done"
