// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu fault injection points.
 */

/**
 * DOC: fault injection
 *
 * On kernels with CONFIG_FAULT_INJECTION, every place where vgpu allocates
 * memory or calls something that can fail asks vgpu_inject_fail() first, so
 * tests can make the N-th such call of a task fail with
 * /proc/self/task/TID/fail-nth and walk every error path of loading the
 * module, creating, opening and removing vGPUs. With
 * CONFIG_FAULT_INJECTION_DEBUG_FS the attribute is also exposed as
 * /sys/kernel/debug/vgpu/fail_alloc/ (probability, interval, times, ...).
 * It is quiet by default (verbose = 1: one line per injected failure).
 * Without fault injection, vgpu_inject_fail() is always false.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>

#include "core/vgpu_core.h"

#ifdef CONFIG_FAULT_INJECTION
static struct fault_attr vgpu_fail_alloc = FAULT_ATTR_INITIALIZER;

/**
 * vgpu_inject_fail() - whether to fail the call about to be made
 *
 * Return: true if fault injection asks for a failure here.
 */
bool vgpu_inject_fail(void)
{
	return should_fail(&vgpu_fail_alloc, 1);
}
#endif

static struct dentry *vgpu_debugfs;

/**
 * vgpu_debugfs_root() - the driver's debugfs directory
 *
 * Return: /sys/kernel/debug/vgpu (an error pointer if debugfs is absent,
 * which the debugfs API accepts as a parent).
 */
struct dentry *vgpu_debugfs_root(void)
{
	return vgpu_debugfs;
}

/**
 * vgpu_fault_init() - set up the fault attribute and debugfs
 */
void vgpu_fault_init(void)
{
#ifdef CONFIG_FAULT_INJECTION
	vgpu_fail_alloc.verbose = 1;
#endif
	vgpu_debugfs = debugfs_create_dir("vgpu", NULL);
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_alloc", vgpu_debugfs, &vgpu_fail_alloc);
#endif
}

/**
 * vgpu_fault_exit() - remove the debugfs directory
 */
void vgpu_fault_exit(void)
{
	debugfs_remove_recursive(vgpu_debugfs);
}
