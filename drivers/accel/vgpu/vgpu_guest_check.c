// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_guest: the device's command validator, built into the guest driver.
 *
 * The guest driver checks jobs with exactly the code the device model runs
 * (drivers/vgpu/vgpu_cmd_check.c, pure logic). A kbuild object cannot
 * belong to two modules, so this file compiles that source a second time.
 */
#include "../../vgpu/vgpu_cmd_check.c"
