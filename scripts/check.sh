#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh - everything `make check` (and CI) runs, in order:
#
#   1. install dependencies (idempotent; quick when already installed)
#   2. build vgpu.ko against Debian's 6.12 headers with W=1: no warnings
#   3. build it against Debian's 6.1 headers with W=1: no warnings
#   4. sparse (C=2): no warnings
#   5. checkpatch.pl --strict on every C source and header of the project,
#      kernel-doc clean with every DOC section Documentation/ names, the
#      layering of drivers/vgpu (scripts/check-layers.pl), and the device's
#      PCI vendor ID absent from the PCI ID database
#   6. userspace unit tests (ASan + UBSan) of the driver's pure logic and of
#      vgpuctl, one result per test case, and
#      the fuzz regression corpus replayed (one result per input)
#   6b. the Debian packages (make deb) hold their files, and are installed
#      on this host (dpkg -i; DKMS builds and installs the modules for the
#      6.12 kernel) for step 7, which loads and uses them, then purged and
#      checked gone (scripts/dkms-check.sh)
#   7. kselftests in a VM on Debian's 6.12 kernel, one result per test case,
#      plus one result for a console log free of oopses, warnings and taint;
#      the VM runs on the project's QEMU (scripts/build-qemu.sh, built once
#      per machine) with the SR-IOV device model, so the PF driver's tests
#      run there too
#   8. the same on the debug kernel (KASAN, lockdep, UBSAN, kmemleak, fault
#      injection), built once per machine by build-debug-kernel.sh, plus
#      the KUnit suites and a kmemleak scan after the module is unloaded
#   9. end to end: three nested guest VMs, one on an mdev vGPU and two on
#      VFs of the SR-IOV model, run the guest driver, vgpu-run and the guest
#      selftests together (scripts/e2e.sh)
#
# VGPU_CHECK_DEBUG=0 skips step 8 and VGPU_CHECK_E2E=0 step 9 (for a quick
# local run; CI runs them). VGPU_CHECK_DEB_VM=1 also installs, loads and
# purges the packages in step 7's VM (dpkg -i with the DKMS build there:
# about 13 minutes more under TCG).
#
# Every step prints "ok" or "FAIL" lines; the last line is
# "N passed, M failed". The exit status is 0 only if nothing failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${VGPU_CHECK_OUT:-$top/out/check}
mkdir -p "$out"
passed=0
failed=0

result() { # result ok|fail NAME [DETAIL-FILE]
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
		echo "ok   $2"
	else
		failed=$((failed + 1))
		echo "FAIL $2"
		[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/     | /' "$3" | tail -n 40
	fi
}

# Adds the counts of every "# Totals: pass:P fail:F ..." line in FILE.
add_tap_totals() {
	local p f
	while read -r p f; do
		passed=$((passed + p))
		failed=$((failed + f))
	done < <(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\) .*/\1 \2/p' "$1")
}

echo "== dependencies"
scripts/install-deps.sh || { echo "FAIL dependencies"; echo "0 passed, 1 failed"; exit 1; }
krel=$(scripts/kernel-release.sh) || exit 1
src=$(scripts/kernel-release.sh --source-dir) || exit 1
ksft=$src/tools/testing/selftests
kdir=/lib/modules/$krel/build
kdir61=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1)

# build_module NAME KDIR LOG [EXTRA MAKE ARGS...]: a clean W=1 build in a
# private copy of the sources, so builds for different kernels don't mix.
build_module() {
	local name=$1 dir=$2 log=$3 tree=$out/tree-$1
	shift 3
	rm -rf "$tree"
	mkdir -p "$tree"
	cp -a Kbuild drivers include "$tree"/ 2>/dev/null || cp -a Kbuild drivers "$tree"/
	make -C "$dir" M="$tree" W=1 -j"$(nproc)" "$@" modules > "$log" 2>&1
}

echo "== build"
if build_module k612 "$kdir" "$out/build-6.12.log" &&
   ! grep -E 'warning:|error:' "$out/build-6.12.log" > "$out/build-6.12.warn"; then
	result ok "build 6.12 ($krel) W=1"
	cp "$out/tree-k612/vgpu.ko" "$out/tree-k612/vgpu_lib.ko" \
	   "$out/tree-k612/vgpu-vfio-pci.ko" "$top/"
else
	cat "$out/build-6.12.log" >> "$out/build-6.12.warn"
	result fail "build 6.12 ($krel) W=1" "$out/build-6.12.warn"
fi
if [ -z "$kdir61" ]; then
	echo "(no 6.1 headers)" > "$out/build-6.1.warn"
	result fail "build 6.1 W=1" "$out/build-6.1.warn"
elif build_module k61 "$kdir61" "$out/build-6.1.log" &&
     ! grep -E 'warning:|error:' "$out/build-6.1.log" > "$out/build-6.1.warn"; then
	result ok "build 6.1 ($(basename "$kdir61")) W=1"
else
	cat "$out/build-6.1.log" >> "$out/build-6.1.warn"
	result fail "build 6.1 W=1" "$out/build-6.1.warn"
fi

echo "== sparse"
if build_module sparse "$kdir" "$out/sparse.log" C=2 &&
   ! grep -E 'warning:|error:' "$out/sparse.log" > "$out/sparse.warn"; then
	result ok "sparse"
else
	result fail "sparse" "$out/sparse.warn"
fi

echo "== checkpatch and kernel-doc"
# vgpu_compat.h is the one place that must test LINUX_VERSION_CODE (and
# stub out, for old kernels, macros that then ignore their argument).
# qemu/ is QEMU code in QEMU's style: QEMU's checkpatch checks it below.
# Both are single-threaded Perl: checkpatch runs beside kernel-doc.
cp_files=$(git ls-files '*.c' '*.h' | grep -v -e '^drivers/vgpu/vgpu_compat.h$' -e '^qemu/')
cp_opts=(--strict --no-tree --terse --show-types --no-summary)
{ "$src/scripts/checkpatch.pl" "${cp_opts[@]}" -f $cp_files
  "$src/scripts/checkpatch.pl" "${cp_opts[@]}" \
	--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_ARG_UNUSED \
	-f drivers/vgpu/vgpu_compat.h; } > "$out/checkpatch.log" 2>&1 &
cp_pid=$!

# No kernel-doc warnings in the driver sources, and every DOC section that
# Documentation/ pulls in with ".. kernel-doc:: FILE" / ":doc: NAME" exists.
kd=$src/scripts/kernel-doc
"$kd" -none -Wall $(git ls-files 'drivers/*.c' 'drivers/*.h') 2>&1 |
	grep -v '^Warning: Sphinx version' > "$out/kernel-doc.log"
awk '/^\.\. kernel-doc::/ { f = $3 } /^   :doc:/ { sub(/^   :doc: /, ""); print f "\t" $0 }' \
	Documentation/*.rst | while IFS=$'\t' read -r f d; do
	"$kd" -rst -function "$d" "$f" 2>/dev/null | grep -q . ||
		echo "Documentation: no DOC section '$d' in $f"
done >> "$out/kernel-doc.log"
if [ ! -s "$out/kernel-doc.log" ]; then
	result ok "kernel-doc: no warnings, $(grep -c '^   :doc:' Documentation/*.rst | awk -F: '{ n += $2 } END { print n }') DOC sections rendered"
else
	result fail "kernel-doc" "$out/kernel-doc.log"
fi
if wait "$cp_pid" && [ ! -s "$out/checkpatch.log" ]; then
	result ok "checkpatch --strict ($(echo "$cp_files" | wc -l) files)"
else
	result fail "checkpatch --strict" "$out/checkpatch.log"
fi

echo "== layers"
if scripts/check-layers.pl > "$out/layers.log" 2>&1; then
	result ok "$(cat "$out/layers.log")"
else
	result fail "layers: no file calls back into its caller, the core only through the device interface" "$out/layers.log"
fi

echo "== PCI IDs"
if scripts/vgpu-ids.sh --check > "$out/pci-ids.log" 2>&1; then
	result ok "PCI IDs: $(sed 's/^vgpu-ids: //' "$out/pci-ids.log")"
else
	result fail "PCI IDs held by no other company" "$out/pci-ids.log"
fi

echo "== unit tests"
if make -C tools/testing/unit KSFT="$ksft" -j"$(nproc)" run > "$out/unit.log" 2>&1; then
	echo "ok   unit tests built and ran"
else
	grep -q '^# Totals' "$out/unit.log" || result fail "unit tests" "$out/unit.log"
fi
grep -E '^(not ok|# .*(Expected|FAIL))' "$out/unit.log" || true
add_tap_totals "$out/unit.log"
# vgpuctl is built here (the VM test vgpu_vgpuctl_test runs it) and its pure
# parts are unit-tested with ASan + UBSan; its metrics and serve commands run
# over a made-up sysfs tree and promtool checks what they print.
if make -C tools/vgpuctl KSFT="$ksft" all test > "$out/vgpuctl-unit.log" 2>&1; then
	echo "ok   vgpuctl built, its unit tests ran"
else
	grep -q '^# Totals' "$out/vgpuctl-unit.log" ||
		result fail "vgpuctl build and unit tests" "$out/vgpuctl-unit.log"
fi
grep -E '^(not ok|# .*(Expected|FAIL))' "$out/vgpuctl-unit.log" || true
add_tap_totals "$out/vgpuctl-unit.log"
if ! make -C tools/testing/fuzz regress > "$out/fuzz-regress.log" 2>&1 &&
   ! grep -q '^# Totals' "$out/fuzz-regress.log"; then
	result fail "fuzz regressions" "$out/fuzz-regress.log"
fi
grep -E '^not ok' "$out/fuzz-regress.log" || true
add_tap_totals "$out/fuzz-regress.log"

echo "== packages"
deb_env=()
if scripts/build-deb.sh "$out/deb" > "$out/deb.log" 2>&1; then
	result ok "make deb: vgpu-dkms and vgpu-tools"
	# The packages installed on this host for the stock VM tier (which
	# boots this root file system) and purged after it; with
	# VGPU_CHECK_DEB_VM=1 the whole cycle runs inside the VM instead.
	if [ "${VGPU_CHECK_DEB_VM:-0}" = 1 ]; then
		deb_env=(VGPU_DEB_DIR="$out/deb")
	elif scripts/dkms-check.sh "$out/deb" "$krel" > "$out/dkms.log" 2>&1; then
		result ok "the packages hold their files; dpkg -i installs them, DKMS builds and installs the modules for $krel"
		deb_env=(VGPU_DEB_INSTALLED=1)
	else
		result fail "the packages hold their files; dpkg -i installs them, DKMS builds and installs the modules for $krel" \
			"$out/dkms.log"
	fi
else
	result fail "make deb: vgpu-dkms and vgpu-tools" "$out/deb.log"
fi

# run_vm_suite NAME LOG-PREFIX [vm-run.sh options...] -- [env...]: run the
# kselftests in a VM; count each test case, one result for finishing, and one
# for a console free of oopses, lockdep, KASAN/UBSAN reports and taint.
run_vm_suite() {
	local name=$1 pre=$2 vm_rc
	shift 2
	local vmopts=() envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vmopts+=("$1")
		shift
	done
	shift
	envs=("$@")
	scripts/vm-run.sh --log "$pre.log" --timeout 3000 "${vmopts[@]}" -- \
		env VGPU_KO="$top/vgpu.ko" "${envs[@]}" \
		selftests/run_vm_tests.sh > "$pre.out" 2>&1
	vm_rc=$?
	# Only failures and summaries are repeated here; all is in $pre.out.
	# KUnit's results end in a "# Totals:" line too and count with them.
	grep -E '^(not ok|# .*:Expected|# .* died|# KUnit|not ok kmemleak|vm-tests:)' "$pre.out"
	add_tap_totals "$pre.out"
	if grep -q '^ok kmemleak' "$pre.out"; then
		result ok "kmemleak clean ($name)"
	elif grep -q '^not ok kmemleak' "$pre.out"; then
		result fail "kmemleak clean ($name)" "$pre.out"
	fi
	if grep -q '^vm-tests:' "$pre.out"; then
		result ok "VM tests ran to the end ($name)"
	else
		result fail "VM tests ran to the end ($name, vm-run status $vm_rc)" "$pre.out"
	fi
	if grep -nE 'BUG:|WARNING:|Oops|general protection|Call Trace:|Kernel panic|UBSAN:|KASAN:|possible .*(locking|deadlock)|circular locking|Tainted: .*[DWB]|unreferenced object' \
		"$pre.log" > "$pre.splat"; then
		result fail "console clean ($name)" "$pre.splat"
	else
		result ok "console clean ($name)"
	fi
}

echo "== QEMU with the SR-IOV device model"
pf_opts=()
if qemu=$(scripts/build-qemu.sh 2> "$out/qemu-build.log" | tail -n 1) &&
   [ -x "$qemu" ]; then
	result ok "QEMU with the device model ($qemu)"
	pf_opts=(--qemu "$qemu" --q35-iommu --vgpu-pf "")
else
	result fail "QEMU with the device model" "$out/qemu-build.log"
fi
qemu_cp=${VGPU_CACHE_DIR:-/var/cache/vgpu}/qemu/src-10.0.2/scripts/checkpatch.pl
if [ -f "$qemu_cp" ] &&
   "$qemu_cp" --no-tree -q -f $(git ls-files 'qemu/*.c' 'qemu/*.h') \
	> "$out/checkpatch-qemu.log" 2>&1; then
	result ok "QEMU's checkpatch on qemu/"
else
	result fail "QEMU's checkpatch on qemu/" "$out/checkpatch-qemu.log"
fi

echo "== VM tests ($krel)"
make -C selftests KSFT="$ksft" -j"$(nproc)" > "$out/selftests-build.log" 2>&1 ||
	result fail "selftests build" "$out/selftests-build.log"
run_vm_suite "$krel" "$out/vm-612" ${pf_opts[@]+"${pf_opts[@]}"} -- \
	${deb_env[@]+"${deb_env[@]}"}
if [ "${deb_env[0]:-}" = VGPU_DEB_INSTALLED=1 ]; then
	if scripts/dkms-check.sh --purge "$krel" > "$out/dkms-purge.log" 2>&1; then
		result ok "dpkg --purge removes the packages, their modules and DKMS state"
	else
		result fail "dpkg --purge removes the packages, their modules and DKMS state" \
			"$out/dkms-purge.log"
	fi
fi

if [ "${VGPU_CHECK_DEBUG:-1}" != 0 ]; then
	echo "== debug kernel"
	if dk=$(scripts/build-debug-kernel.sh --print-dir 2> "$out/debug-kernel.log"); then
		drel=$(cat "$dk/release")
		echo "     $dk ($drel)"
		if build_module dbg "$dk/build" "$out/build-debug.log"; then
			echo "== VM tests ($drel)"
			# The PF tests too, under lockdep. Left out, to keep
			# make check in its time: the device model's own test
			# (it runs no vgpu code), vgpuctl's (a userspace tool;
			# its kernel paths are the create and PF tests'), and
			# the cases whose figures are shares of engine time
			# (the debug kernel's overhead skews them; they are
			# checked on the stock kernel): of the scheduler's,
			# one per policy (fixed share's by profile: under this
			# kernel a work unit can outlast a slice, which gave a
			# vGPU 0.165 of an engine for its 1/16 until overruns
			# were paid back), the live knobs, preemption, a hung
			# vGPU's reset and the sysfs checks run here.
			# The debug kernel has
			# the Intel IOMMU but no interrupt remapping (type1 then
			# wants allow_unsafe_interrupts), and its PCI core sizes
			# the root port's windows for the VF BARs only with
			# pci=realloc (SeaBIOS leaves them out).
			run_vm_suite "$drel" "$out/vm-debug" --kernel "$dk/bzImage" \
				--modules "$dk/lib/modules/$drel" --release "$drel" \
				${pf_opts[@]+"${pf_opts[@]}"} ${pf_opts[@]+--append} \
				${pf_opts[@]+"pci=realloc vfio_iommu_type1.allow_unsafe_interrupts=1"} -- \
				VGPU_KO="$out/tree-dbg/vgpu.ko" \
				VGPU_KUNIT_KO="$out/tree-dbg/vgpu_kunit.ko" \
				VGPU_TESTS_EXCLUDE="vgpu_pf_model_test
				vgpu_vgpuctl_test
				vgpu_pf_test:busy_vfs_share_by_weight
				vgpu_pf_test:busy_vfs_cap_and_guarantee" \
				VGPU_TESTS_ONLY="vgpu_sched_test:best_effort_4
				vgpu_sched_test:equal_share_4_busy
				vgpu_sched_test:fixed_share_by_profile
				vgpu_sched_test:knobs_apply_live
				vgpu_sched_test:hung_vgpu_reset_others_exact
				vgpu_sched_test:sysfs_validation
				vgpu_sched_test:qos_priority_preempts
				vgpu_sched_test:qos_sysfs_validation"
		else
			result fail "build against the debug kernel" "$out/build-debug.log"
		fi
	else
		result fail "debug kernel build" "$out/debug-kernel.log"
	fi
fi

# The end-to-end stage: two nested guest VMs with a vGPU each, running the
# guest driver, vgpu-run and the guest selftests at the same time
# (scripts/e2e.sh --mode check, about 5 minutes). One result per "ok/FAIL
# e2e:" line, the guest selftests' TAP totals, and one for finishing.
# VGPU_CHECK_E2E=0 skips it.
if [ "${VGPU_CHECK_E2E:-1}" != 0 ]; then
	echo "== end-to-end (nested guests)"
	scripts/e2e.sh --mode check > "$out/e2e.out" 2>&1
	e2e_rc=$?
	grep -E '^(not ok|# .*(Expected|FAIL))' "$out/e2e.out" || true
	add_tap_totals "$out/e2e.out"
	# Each "FAIL e2e: NAME" line is followed by its "     | detail" lines.
	e2e_n=0
	while IFS= read -r line; do
		case $line in
		"ok   e2e: "*)
			result ok "${line#ok   }"
			;;
		"FAIL e2e: "*)
			e2e_n=$((e2e_n + 1))
			awk -v n="$e2e_n" '/^FAIL e2e: / { cur = ++k; next }
				/^ok   e2e: / { cur = 0 }
				cur == n && /^     \| / { print substr($0, 8) }' \
				"$out/e2e.out" > "$out/e2e-fail-$e2e_n.txt"
			result fail "${line#FAIL }" "$out/e2e-fail-$e2e_n.txt"
			;;
		esac
	done < "$out/e2e.out"
	if grep -q '^e2e: .* finished with status' "$out/e2e.out"; then
		result ok "e2e ran to the end"
	else
		result fail "e2e ran to the end (status $e2e_rc)" "$out/e2e.out"
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
