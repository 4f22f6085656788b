// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_lib.ko: the pure logic of vgpu, built once.
 */

/**
 * DOC: pure logic
 *
 * The files of drivers/vgpu/lib (profile parsing, the memory-window and
 * engine-partition allocators, the scheduling policies, the command
 * validator and the command executor) call no kernel API beyond a few
 * library functions: they take their memory from the caller and report
 * errors as negative errno values. This module exports them (namespace VGPU)
 * to the host driver vgpu.ko, the guest driver vgpu_guest.ko, whose job
 * checks use the same validator the device runs, and the KUnit suites. The
 * userspace unit tests and the fuzzer compile the same files.
 */
#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The vgpu developers");
MODULE_DESCRIPTION("vgpu pure logic: profiles, allocators, scheduling policy, command validator and executor");
