#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh - the project's main demo (`make demo`), from a fresh machine:
# install what is needed, build the host driver (vgpu.ko), the guest driver
# (vgpu_guest.ko) and the guest tools, then run the end-to-end demo
# (scripts/e2e.sh --mode demo): three VMs, one given an mdev vGPU of the
# simulated device and two given SR-IOV VFs of the QEMU-modelled GPU, run
# GPU workloads at the same time while the host measures how the vGPUs'
# scheduler shares the engines; the last thing printed is a report table.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p out

T0=$EPOCHREALTIME
stamp() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }'; }
step() { printf '\n\033[1m== %s\033[0m  (at %s s)\n' "$*" "$(stamp)"; }

cat <<'EOF'
vgpu demo: virtual GPUs for virtual machines
=============================================
vgpu.ko splits a GPU into vGPUs and hands each to a VM as a PCI device, as
an mdev vGPU of a device it simulates or as an SR-IOV virtual function of
a physical GPU (here a QEMU model of one).  This demo:

  1. installs the build and test dependencies (quick when present);
  2. builds vgpu.ko (host), vgpu_guest.ko (guest driver) and vgpu-run, and
     QEMU with the SR-IOV GPU model (once: a few minutes, then cached);
  3. boots a test VM that plays the host, with the modelled GPU on its PCIe
     bus: it loads vgpu.ko, creates an mdev vGPU (split: 64 MiB, 2
     engines) for guest A plus a busy "neighbour" beside it, enables two
     VFs of the GPU and gives them profiles (dedicated: 128 MiB, 2 engines;
     shared: 32 MiB, 4 engines time-sliced) for guests B and C;
  4. boots the three guest VMs inside it, each with its vGPU passed through
     with vfio-pci; they load the guest driver and, started together, run
     vgpu-run for 20 seconds (A: a mix of copy/fill/gemm/crc jobs, B: int8
     GEMMs, C: CRC32C), checking every result against the CPU, while the
     host samples the scheduler's counters;
  5. prints one report: per vGPU (mdev or VF) its profile, memory, engines,
     workload, verified result, throughput and measured share of the
     engines, and per parent its policy and engine utilisation.

There is no KVM here: the test VM is emulated (QEMU TCG) and the guests are
emulated inside it, so guest code runs tens of times slower than native.
The whole run takes about 8 to 10 minutes, most of it the three guests
booting at once.
EOF

step "1/3 dependencies (scripts/install-deps.sh)"
scripts/install-deps.sh

step "2/3 build (make modules; the guest tools are built by scripts/e2e.sh)"
if ! make -s modules >out/demo-build.log 2>&1; then
    cat out/demo-build.log
    exit 1
fi
for f in vgpu_lib.ko vgpu.ko vgpu_guest.ko; do
    [[ ! -f $f ]] || printf '  %-14s %8d bytes\n' "$f" "$(stat -c %s "$f")"
done

step "3/3 end-to-end run (scripts/e2e.sh --mode demo)"
rc=0
scripts/e2e.sh --mode demo "$@" || rc=$?
if ((rc == 0)); then
    printf '\ndemo: done after %s s\n' "$(stamp)"
else
    printf '\ndemo: FAILED (status %s) after %s s\n' "$rc" "$(stamp)"
fi
exit "$rc"
