#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# soak.sh - run the soak selftest (selftests/vgpu_soak_test) for a chosen
# time in one debug-kernel VM (KASAN, lockdep, UBSAN, kmemleak): four
# threads create, open, load, fault, reset, close and remove vGPUs at
# random, with the parent's accounting checked every two seconds and at the
# end, then run_vm_tests.sh unloads the module and scans for leaks. Prints
# the soak's figures (operations by kind, vGPUs created, invariant checks,
# kernel reports) and whether the console stayed clean.
#
# Usage: scripts/soak.sh [--minutes N] [--seed S] [--stock]
#   --minutes N  how long (default 30)
#   --seed S     replay the choices of a run (its seed is printed)
#   --stock      the distribution kernel instead of the debug kernel
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/hostile.sh
HOSTILE_LIB=1 . "$top/scripts/hostile.sh"

minutes=30
seed=
stock=0
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) minutes=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--stock) stock=1; shift ;;
	*) echo "usage: $0 [--minutes N] [--seed S] [--stock]" >&2; exit 2 ;;
	esac
done
case $minutes in
'' | *[!0-9]*) echo "soak.sh: --minutes takes a whole number" >&2; exit 2 ;;
esac
envs=(VGPU_SOAK_SECONDS=$((minutes * 60)))
[ -n "$seed" ] && envs+=(VGPU_SOAK_SEED="$seed")
vm_suite "$top/out/soak" "$stock" $((minutes * 60 + 600)) \
	selftests/vgpu_soak_test "${envs[@]}"
