#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs inside a test VM (scripts/vm-run.sh): loads what vgpu.ko depends on,
# runs every kselftest binary given (default: all of selftests/), and ends
# with one line "vm-tests: N passed, M failed". A binary that dies without
# its TAP totals counts as one failure.
#
# Usage: run_vm_tests.sh [TEST...]   with VGPU_KO=/path/to/vgpu.ko

here=$(cd "$(dirname "$0")" && pwd)
: "${VGPU_KO:=$here/../vgpu.ko}"
export VGPU_KO

for m in vfio vfio_iommu_type1 mdev; do
	modprobe "$m" || { echo "run_vm_tests: cannot load $m"; exit 1; }
done

[ $# -gt 0 ] || set -- "$here"/vgpu_*_test
pass=0
fail=0
out=$(mktemp)
for t in "$@"; do
	echo "### $(basename "$t")"
	"$t" > "$out" 2>&1
	rc=$?
	cat "$out"
	totals=$(grep '^# Totals:' "$out" | tail -n 1)
	p=$(echo "$totals" | sed -n 's/^# Totals: pass:\([0-9]*\) .*/\1/p')
	f=$(echo "$totals" | sed -n 's/^# Totals: pass:[0-9]* fail:\([0-9]*\) .*/\1/p')
	if [ -z "$p" ]; then
		echo "# $(basename "$t") died (exit $rc) before its totals"
		p=0
		f=1
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
done
rm -f "$out"
echo "vm-tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
