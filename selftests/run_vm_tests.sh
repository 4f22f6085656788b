#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs inside a test VM (scripts/vm-run.sh): loads what vgpu.ko depends on,
# runs every kselftest binary given (default: all of selftests/), then, when
# the kernel has them, the KUnit suites (VGPU_KUNIT_KO) and a kmemleak scan
# after the module is gone. Ends with one line "vm-tests: N passed, M
# failed"; a binary that dies without its TAP totals counts as one failure.
#
# Usage: run_vm_tests.sh [TEST...]
#   VGPU_KO=/path/to/vgpu.ko  VGPU_KUNIT_KO=/path/to/vgpu_kunit.ko
#   VGPU_TESTS_EXCLUDE="NAME... NAME:CASE..."  test binaries to leave out of
#   the default list (by file name), and cases of a binary to leave out
#   (passed to it as "-T CASE")
#   VGPU_TESTS_ONLY="NAME:CASE..."  the only cases of binary NAME to run
#   ("-t CASE")

here=$(cd "$(dirname "$0")" && pwd)
: "${VGPU_KO:=$here/../vgpu.ko}"
export VGPU_KO
kmemleak=/sys/kernel/debug/kmemleak

for m in vfio vfio_iommu_type1 mdev; do
	modprobe "$m" || { echo "run_vm_tests: cannot load $m"; exit 1; }
done
# vgpu.ko, vgpu_guest.ko and the KUnit suites import the pure logic from
# vgpu_lib.ko (built beside vgpu.ko); the tests load and unload vgpu.ko only.
lib_ko=$(dirname "$VGPU_KO")/vgpu_lib.ko
[ -d /sys/module/vgpu_lib ] || insmod "$lib_ko" ||
	{ echo "run_vm_tests: cannot load $lib_ko"; exit 1; }
[ -w $kmemleak ] && echo clear > $kmemleak

pass=0
fail=0
count() { # count PASSED FAILED
	pass=$((pass + $1))
	fail=$((fail + $2))
}

# excluded NAME: whether VGPU_TESTS_EXCLUDE names the whole binary NAME
excluded() {
	for x in ${VGPU_TESTS_EXCLUDE:-}; do
		[ "$x" != "$1" ] || return 0
	done
	return 1
}

if [ $# -eq 0 ]; then
	for t in "$here"/vgpu_*_test; do
		if excluded "${t##*/}"; then
			echo "### ${t##*/}: left out (VGPU_TESTS_EXCLUDE)"
		else
			set -- "$@" "$t"
		fi
	done
fi
out=$(mktemp)
for t in "$@"; do
	echo "### $(basename "$t")"
	args=
	for x in ${VGPU_TESTS_EXCLUDE:-}; do
		case $x in
		"${t##*/}":*) args="$args -T ${x#*:}" ;;
		esac
	done
	for x in ${VGPU_TESTS_ONLY:-}; do
		case $x in
		"${t##*/}":*) args="$args -t ${x#*:}" ;;
		esac
	done
	[ -z "$args" ] || echo "# cases selected:$args"
	t0=$(date +%s)
	# shellcheck disable=SC2086 # one word per option
	"$t" $args > "$out" 2>&1
	rc=$?
	cat "$out"
	echo "# $(basename "$t"): $(($(date +%s) - t0)) s"
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
	count "$p" "$f"
done

if [ -n "${VGPU_KUNIT_KO:-}" ]; then
	echo "### KUnit"
	# The core suite uses vgpu.ko's KUnit-only exports.
	[ -d /sys/module/vgpu ] || insmod "$VGPU_KO"
	if insmod "$VGPU_KUNIT_KO"; then
		for suite in vgpu vgpu_core; do
			res=/sys/kernel/debug/kunit/$suite/results
			cat $res
			p=$(grep -c '^    ok ' $res)
			f=$(grep -c '^    not ok ' $res)
			echo "# KUnit $suite: $p passed, $f failed"
			[ "$p" -gt 0 ] || f=$((f + 1))
			count "$p" "$f"
		done
		rmmod vgpu_kunit
	else
		echo "# KUnit: cannot load $VGPU_KUNIT_KO"
		count 0 1
	fi
fi

if [ -w $kmemleak ]; then
	echo "### kmemleak"
	rmmod vgpu 2>/dev/null
	rmmod vgpu_lib 2>/dev/null
	# Objects must stay unreferenced for a few seconds to be reported.
	sleep 6
	echo scan > $kmemleak
	echo scan > $kmemleak
	if grep -q 'unreferenced object' $kmemleak; then
		cat $kmemleak
		echo "not ok kmemleak: leaks after unloading vgpu"
		count 0 1
	else
		echo "ok kmemleak: no leaks"
		count 1 0
	fi
fi
rm -f "$out"
echo "vm-tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
