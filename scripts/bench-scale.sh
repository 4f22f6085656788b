#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench-scale.sh - build vgpu.ko and tools/bench/vgpu_scale_bench, boot a
# test VM (scripts/vm-run.sh) on Debian's kernel, load the driver with one
# device of 16 engines each time-sliced by up to 64 vGPUs of 1 MiB (1024
# seats), and print the scale table: cost per create and destroy, open
# cost, host memory per idle vGPU, fairness (Jain) and scheduling overhead
# at 64, 256 and 1024 vGPUs, all busy.
#
# Usage: scripts/bench-scale.sh [--mem MB] [--log FILE] [-- BENCH-ARGS...]
#   --mem MB     VM memory (default 3072: the windows alone take 1 GiB)
#   --log FILE   VM console log (default out/bench-scale/console.log)
#   BENCH-ARGS   passed to vgpu_scale_bench (-l 64,256,1024 -t 3 -T s)
#
# QEMU runs with TCG (no KVM): compare the rows of one table with each
# other, not across hosts. About ten minutes on two shared cores.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
params="mem_size_mb=1024 num_engines=16 profiles=s:1M:1:64"

# In the VM: bench-scale.sh --in-vm KO BENCH [ARGS...]
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

mem=3072
out=$top/out/bench-scale
log=$out/console.log
while [ $# -gt 0 ]; do
	case $1 in
	--mem) mem=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--) shift; break ;;
	-h|--help) sed -n '4,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-scale.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

cd "$top"
mkdir -p "$out" "$(dirname "$log")"
rel=$(scripts/kernel-release.sh)
rm -rf "$out/tree"
mkdir -p "$out/tree"
cp -a Kbuild drivers include "$out/tree/"
if ! nice -n 10 make -j2 -C "/lib/modules/$rel/build" M="$out/tree" modules \
	> "$out/build.log" 2>&1 ||
   ! nice -n 10 make -s -C tools/bench vgpu_scale_bench >> "$out/build.log" 2>&1; then
	cat "$out/build.log"
	exit 1
fi
exec nice -n 15 scripts/vm-run.sh --mem "$mem" --timeout 1800 --log "$log" -- \
	scripts/bench-scale.sh --in-vm "$out/tree/vgpu.ko" \
	"$top/tools/bench/vgpu_scale_bench" "$@"
