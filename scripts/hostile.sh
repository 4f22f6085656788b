#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# hostile.sh - run the hostile-guest selftest (selftests/vgpu_hostile_test)
# for a chosen time in one debug-kernel VM (KASAN, lockdep, UBSAN, kmemleak):
# builds vgpu.ko against the cached debug kernel (build-debug-kernel.sh) in
# out/hostile/, the selftests, then runs the test through run_vm_tests.sh so
# the kmemleak scan after unloading counts too. Ends with the test's counts
# (scenarios, operations, neighbour rounds, kernel reports) and the console
# check make check applies.
#
# Usage: scripts/hostile.sh [--minutes N] [--seed S] [--stock]
#   --minutes N  the storm's time budget (default 10)
#   --seed S     replay a run (its seed is printed)
#   --stock      the distribution kernel instead of the debug kernel
#
# scripts/soak.sh runs the soak the same way (it sources this file's
# helpers with HOSTILE_LIB=1).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# vm_suite OUTDIR STOCK TIMEOUT TEST [ENV...]: build, boot one VM, run TEST.
vm_suite() {
	local out=$1 stock=$2 timeout=$3 test=$4 kdir rel dk vmopts=() rc=0
	shift 4
	mkdir -p "$out"
	if [ "$stock" = 1 ]; then
		rel=$(scripts/kernel-release.sh)
		kdir=/lib/modules/$rel/build
	else
		dk=$(scripts/build-debug-kernel.sh --print-dir)
		rel=$(cat "$dk/release")
		kdir=$dk/build
		vmopts=(--kernel "$dk/bzImage" --modules "$dk/lib/modules/$rel"
			--release "$rel")
	fi
	rm -rf "$out/tree"
	mkdir -p "$out/tree"
	cp -a Kbuild drivers include "$out/tree/"
	echo "== building vgpu.ko for $rel"
	nice -n 10 make -j2 -C "$kdir" M="$out/tree" modules > "$out/build.log" 2>&1 ||
		{ cat "$out/build.log"; return 1; }
	nice -n 10 make -C selftests \
		KSFT="$(scripts/kernel-release.sh --source-dir)/tools/testing/selftests" \
		"$(basename "$test")" > "$out/selftests.log" 2>&1 ||
		{ cat "$out/selftests.log"; return 1; }
	echo "== $(basename "$test") in a VM ($rel), up to $timeout s"
	nice -n 15 scripts/vm-run.sh --smp 2 --log "$out/console.log" \
		--timeout "$timeout" "${vmopts[@]}" -- \
		env VGPU_KO="$out/tree/vgpu.ko" "$@" \
		selftests/run_vm_tests.sh "$top/$test" | tee "$out/out.log" || rc=$?
	if grep -nE 'BUG:|WARNING:|Oops|general protection|Call Trace:|Kernel panic|UBSAN:|KASAN:|possible .*(locking|deadlock)|circular locking|Tainted: .*[DWB]|unreferenced object' \
		"$out/console.log" > "$out/reports.log"; then
		echo "console: $(wc -l < "$out/reports.log") report lines ($out/reports.log)"
		rc=1
	else
		echo "console: no kernel report"
	fi
	grep -q '^vm-tests: [0-9]* passed, 0 failed' "$out/out.log" || rc=1
	return $rc
}

# run_timed NAME MINUTES [--minutes N] [--seed S] [--stock]: run
# selftests/vgpu_NAME_test for N minutes (default MINUTES), its budget and
# seed in VGPU_<NAME>_SECONDS and VGPU_<NAME>_SEED, in out/NAME/.
run_timed() {
	local name=$1 minutes=$2 seed= stock=0 var envs
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--minutes) minutes=$2; shift 2 ;;
		--seed) seed=$2; shift 2 ;;
		--stock) stock=1; shift ;;
		*) echo "usage: $name.sh [--minutes N] [--seed S] [--stock]" >&2
		   return 2 ;;
		esac
	done
	case $minutes in
	'' | *[!0-9]*) echo "$name.sh: --minutes takes a whole number" >&2
		       return 2 ;;
	esac
	var=VGPU_$(echo "$name" | tr a-z A-Z)
	envs=("${var}_SECONDS=$((minutes * 60))")
	[ -n "$seed" ] && envs+=("${var}_SEED=$seed")
	vm_suite "$top/out/$name" "$stock" $((minutes * 60 + 600)) \
		"selftests/vgpu_${name}_test" "${envs[@]}"
}

[ "${HOSTILE_LIB:-0}" = 1 ] && return 0

run_timed hostile 10 "$@"
