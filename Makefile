# SPDX-License-Identifier: GPL-2.0-only
#
# vgpu: out-of-tree build and test entry points.
#
#   make                 build vgpu.ko against KDIR
#   make KDIR=/path      build against any other kernel tree
#   make check           everything CI runs; ends with "N passed, M failed"
#   make unit            userspace unit tests (ASan + UBSan), vgpuctl's too
#   make vgpuctl         build tools/vgpuctl/vgpuctl
#   make install         install vgpu.ko (modules_install) and vgpuctl
#   make deb             Debian packages vgpu-dkms and vgpu-tools in out/deb
#   make fuzz            run the command fuzzer (FUZZ_SECONDS, default 60)
#   make demo            two VMs compute on two vGPUs (nested QEMU), with a report

VGPU_KREL ?= $(shell scripts/kernel-release.sh 2>/dev/null)
KDIR ?= /lib/modules/$(VGPU_KREL)/build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C tools/testing/unit clean
	$(MAKE) -C selftests clean
	$(MAKE) -C tools/vgpuctl clean

unit:
	$(MAKE) -C tools/testing/unit run
	$(MAKE) -C tools/vgpuctl test

vgpuctl:
	$(MAKE) -C tools/vgpuctl

install: modules vgpuctl
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	$(MAKE) -C tools/vgpuctl install

fuzz:
	$(MAKE) -C tools/testing/fuzz run

deb:
	scripts/build-deb.sh

check:
	scripts/check.sh

demo:
	scripts/demo.sh

.PHONY: all modules clean unit vgpuctl install deb fuzz check demo
