# SPDX-License-Identifier: GPL-2.0-only
#
# bench-vm-lib.sh - what the benchmark scripts (bench.sh, bench-sched.sh,
# bench-mig.sh, bench-scale.sh) do inside their test VM, sourced by them.

# bench_load KO [PARAM...]: the VFIO and mdev modules, vgpu_lib.ko from
# beside KO, then KO with the module parameters given.
bench_load() {
	local ko=$1 m
	shift
	for m in vfio vfio_iommu_type1 mdev; do
		modprobe "$m"
	done
	insmod "$(dirname "$ko")/vgpu_lib.ko"
	insmod "$ko" "$@"
}

# bench_unload: remove every mdev vGPU left, then unload vgpu.ko.
bench_unload() {
	local f
	for f in /sys/bus/mdev/devices/*/remove; do
		if [ -e "$f" ]; then
			echo 1 > "$f"
		fi
	done
	rmmod vgpu
}
