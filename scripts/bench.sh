#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench.sh - build vgpu.ko and tools/bench/vgpu_bench, boot a test VM
# (scripts/vm-run.sh), load the driver, create one vGPU and benchmark it:
# throughput of each command type, doorbell-to-completion latency, and the
# window's mmap bandwidth against ordinary memory in the same VM. With
# --peer, a second vGPU of the type joins the first in peer group 1 and
# PEER_COPY into it is measured next to COPY.
#
# Usage: scripts/bench.sh [--type TYPE] [--peer] [--log FILE] [-- BENCH-ARGS...]
#   --type TYPE  vGPU type to create (default shared)
#   --peer       also measure PEER_COPY to a second vGPU
#   --log FILE   VM console log (default out/bench-console.log)
#   BENCH-ARGS   passed to vgpu_bench (-t SECONDS, -n ROUND_TRIPS)
#
# The figures come from a TCG VM on a shared host: compare them with each
# other (and with the heap figure printed next to them), not across hosts.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

# In the VM, as started below: bench.sh --in-vm KO BENCH TYPE [ARGS...]
if [ "${1:-}" = --in-vm ]; then
	ko=$2
	bench=$3
	type=$4
	peer=$5
	shift 5
	# shellcheck source=scripts/bench-vm-lib.sh
	. "$top/scripts/bench-vm-lib.sh"
	bench_load "$ko"
	uuid=$(cat /proc/sys/kernel/random/uuid)
	echo "$uuid" > "/sys/class/vgpu/vgpu0/mdev_supported_types/vgpu-$type/create"
	if [ "$peer" = 1 ]; then
		peer=$(cat /proc/sys/kernel/random/uuid)
		echo "$peer" > "/sys/class/vgpu/vgpu0/mdev_supported_types/vgpu-$type/create"
		echo 1 > "/sys/bus/mdev/devices/$uuid/vgpu/peer_group"
		echo 1 > "/sys/bus/mdev/devices/$peer/vgpu/peer_group"
		set -- -p "$peer" "$@"
	fi
	rc=0
	"$bench" -u "$uuid" "$@" || rc=$?
	bench_unload
	exit "$rc"
fi

type=shared
peer=0
log=$top/out/bench-console.log
while [ $# -gt 0 ]; do
	case $1 in
	--type) type=$2; shift 2 ;;
	--peer) peer=1; shift ;;
	--log) log=$2; shift 2 ;;
	--) shift; break ;;
	-h|--help) sed -n '4,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

cd "$top"
mkdir -p out "$(dirname "$log")"
if ! make -s modules > out/bench-build.log 2>&1 ||
   ! make -s -C tools/bench >> out/bench-build.log 2>&1; then
	cat out/bench-build.log
	exit 1
fi
exec scripts/vm-run.sh --log "$log" -- scripts/bench.sh --in-vm \
	"$top/vgpu.ko" "$top/tools/bench/vgpu_bench" "$type" "$peer" "$@"
