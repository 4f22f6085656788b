#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench-sched.sh - build vgpu.ko and tools/bench/vgpu_sched_bench, boot a
# test VM (scripts/vm-run.sh), load the driver with one engine time-sliced
# by up to 64 vGPUs, and print the scheduler report: the overhead of 2 and 8
# busy vGPUs against one alone, fairness with equal and mixed weights, slice
# overrun, doorbell-to-execution latency, 64 vGPUs created and removed, and
# quality of service (shares of mixed tiers against their promise, and a
# high-priority vGPU's doorbell latency beside busy low-priority ones).
#
# Usage: scripts/bench-sched.sh [--icount] [--mem MB] [--log FILE]
#                               [-- BENCH-ARGS...]
#   --icount     run QEMU with -icount: the guest clock counts instructions,
#                so the host's load does not show and the figures repeat
#                exactly (times are then instruction times)
#   --mem MB     VM memory (default 2048; 64 vGPUs of 16 MiB take 1 GiB)
#   --log FILE   VM console log (default out/bench-sched-console.log)
#   BENCH-ARGS   passed to vgpu_sched_bench (see its -h; "-p 6" runs only
#                the quality-of-service part, in about 20 s)
#
# QEMU runs with TCG (no KVM) on whatever host this is: compare the figures
# of one report with each other, not across hosts. About two and a half
# minutes either way.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# Engine 0: time-sliced by up to 64 vGPUs of 16 MiB; engine 1: dedicated.
params="mem_size_mb=2048 num_engines=2 profiles=ts:16M:1:64,ded:16M:1:1"

# In the VM, as started below: bench-sched.sh --in-vm KO BENCH [ARGS...]
if [ "${1:-}" = --in-vm ]; then
	ko=$2
	bench=$3
	shift 3
	# shellcheck source=scripts/bench-vm-lib.sh
	. "$top/scripts/bench-vm-lib.sh"
	# shellcheck disable=SC2086 # one word per module parameter
	bench_load "$ko" $params
	rc=0
	"$bench" "$@" || rc=$?
	bench_unload
	exit "$rc"
fi

mem=2048
log=$top/out/bench-sched-console.log
vm_args=()
bench_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--icount)
		vm_args+=(--qemu-arg -icount --qemu-arg "shift=0,sleep=on")
		# Runs repeat exactly: three rounds say all there is.
		bench_args+=(-i -r 3)
		shift ;;
	--mem) mem=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--) shift; break ;;
	-h|--help) sed -n '4,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-sched.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

cd "$top"
mkdir -p out "$(dirname "$log")"
if ! make -s modules > out/bench-sched-build.log 2>&1 ||
   ! make -s -C tools/bench >> out/bench-sched-build.log 2>&1; then
	cat out/bench-sched-build.log
	exit 1
fi
host="$(nproc) CPUs shared with other work, load average"
host+=" $(cut -d' ' -f1-3 /proc/loadavg) when the VM started"
exec scripts/vm-run.sh --mem "$mem" --timeout 500 --log "$log" \
	"${vm_args[@]}" -- scripts/bench-sched.sh --in-vm "$top/vgpu.ko" \
	"$top/tools/bench/vgpu_sched_bench" -H "$host" "${bench_args[@]}" "$@"
