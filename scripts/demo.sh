#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh - the project's main demo, from a fresh machine: install what is
# needed, build vgpu.ko, boot a test VM on Debian's 6.12 kernel, and in it
# load the driver, create one vGPU of each profile and show the sysfs tree.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/install-deps.sh
make -s modules > out-demo-build.log 2>&1 || { cat out-demo-build.log; exit 1; }
rm -f out-demo-build.log
mkdir -p out
exec scripts/vm-run.sh --log out/demo-console.log -- scripts/demo-in-vm.sh "$top/vgpu.ko"
