#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench-mig.sh - build vgpu.ko and tools/bench/vgpu_mig_bench, boot a test VM
# (scripts/vm-run.sh), load the driver with two profiles of 32 and 256 MiB
# windows, and print what migrating a vGPU costs: bytes in the pre-copy and
# stop-copy phases and the device downtime, idle and busy, with and without
# pre-copy (see tools/bench/vgpu_mig_bench.c). With --vf, the same for two
# VFs of the SR-IOV device model bound to vgpu-vfio-pci.
#
# Usage: scripts/bench-mig.sh [--vf] [--log FILE] [-- REPETITIONS]
#
# QEMU runs with TCG (no KVM): compare the rows of one report with each
# other, not across hosts. About a minute.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
params="mem_size_mb=1024 num_engines=2 profiles=mig32:32M:1:4,mig256:256M:1:4"

# In the VM, as started below: bench-mig.sh --in-vm KO BENCH [ARGS...]
if [ "${1:-}" = --in-vm ]; then
	ko=$2
	bench=$3
	shift 3
	# shellcheck source=scripts/bench-vm-lib.sh
	. "$top/scripts/bench-vm-lib.sh"
	# shellcheck disable=SC2086 # one word per module parameter
	bench_load "$ko" $params
	vf=()
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor") $(cat "$d/device")" != "0x5e5e 0x0002" ] ||
			vf=(--vf "${d##*/}")
	done
	if [ ${#vf[@]} -gt 0 ]; then
		modprobe vfio-pci
		insmod "$(dirname "$ko")/vgpu-vfio-pci.ko"
		echo 2 > "/sys/bus/pci/devices/${vf[1]}/sriov_numvfs"
	fi
	rc=0
	"$bench" ${vf[@]+"${vf[@]}"} "$@" || rc=$?
	if [ ${#vf[@]} -gt 0 ]; then
		echo 0 > "/sys/bus/pci/devices/${vf[1]}/sriov_numvfs"
		rmmod vgpu_vfio_pci
	fi
	rmmod vgpu
	exit "$rc"
fi

log=$top/out/bench-mig-console.log
vm=()
while [ $# -gt 0 ]; do
	case $1 in
	--vf)
		# The PF with room for two 256 MiB VFs; the firmware leaves
		# the root port too small a window for their BARs, so Linux
		# sizes it again (pci=realloc).
		vm=(--qemu "$("$top/scripts/build-qemu.sh" | tail -n 1)" --q35-iommu
		    --vgpu-pf "mem-size=1024M,vfs=2,vf-bar2-size=256M"
		    --append pci=realloc)
		shift ;;
	--log) log=$2; shift 2 ;;
	--) shift; break ;;
	-h|--help) sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-mig.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

cd "$top"
mkdir -p out "$(dirname "$log")"
if ! make -s modules > out/bench-mig-build.log 2>&1 ||
   ! make -s -C tools/bench >> out/bench-mig-build.log 2>&1; then
	cat out/bench-mig-build.log
	exit 1
fi
exec scripts/vm-run.sh --mem 3072 --timeout 900 --log "$log" ${vm[@]+"${vm[@]}"} -- \
	scripts/bench-mig.sh --in-vm "$top/vgpu.ko" \
	"$top/tools/bench/vgpu_mig_bench" "$@"
