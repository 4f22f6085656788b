/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The KUnit suites of vgpu_kunit.ko: "vgpu" (pure logic, vgpu_kunit.c) and
 * "vgpu_core" (the core against a fake device, vgpu_kunit_core.c).
 */
#ifndef VGPU_KUNIT_H
#define VGPU_KUNIT_H

#include <kunit/test.h>

extern struct kunit_suite vgpu_kunit_core_suite;

#endif /* VGPU_KUNIT_H */
