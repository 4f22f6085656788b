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

run_timed soak 30 "$@"
