/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu control state of a function (pure logic): why it may not run, and
 * the state an operator sees. core/vgpu_control.c drives the transitions.
 */
#ifndef VGPU_STATE_H
#define VGPU_STATE_H

#include "vgpu_pure.h"

/**
 * enum vgpu_hold - reasons a function is kept off the engines
 * @VGPU_HOLD_OPERATOR: paused by the operator (sysfs ``state``)
 * @VGPU_HOLD_RESET: a reset, a close or a function level reset is running
 * @VGPU_HOLD_REMOVED: the function is being released and never runs again
 * @VGPU_HOLD_MIGRATION: stopped by its VMM to save or restore its state
 *			 (VFIO migration: STOP, STOP_COPY, RESUMING)
 *
 * Holds are independent bits: a reset of a paused function leaves it paused.
 */
enum vgpu_hold {
	VGPU_HOLD_OPERATOR = 1u << 0,
	VGPU_HOLD_RESET = 1u << 1,
	VGPU_HOLD_REMOVED = 1u << 2,
	VGPU_HOLD_MIGRATION = 1u << 3,
};

/**
 * enum vgpu_state - the control state of a function
 * @VGPU_STATE_RUNNING: scheduled whenever it has work
 * @VGPU_STATE_FAULTED: its ring halted on an error; a reset clears it
 * @VGPU_STATE_PAUSED: kept off the engines with its memory and its command
 *		       in progress intact; resuming continues where it stopped
 * @VGPU_STATE_STOPPED: stopped by its VMM while its state is saved or
 *		        restored (migration, suspend); its VMM resumes it
 * @VGPU_STATE_RESETTING: a reset is dropping its work
 * @VGPU_STATE_REMOVING: being released
 */
enum vgpu_state {
	VGPU_STATE_RUNNING,
	VGPU_STATE_FAULTED,
	VGPU_STATE_PAUSED,
	VGPU_STATE_STOPPED,
	VGPU_STATE_RESETTING,
	VGPU_STATE_REMOVING,
};

enum vgpu_state vgpu_state_of(u32 holds, bool halted);
const char *vgpu_state_name(enum vgpu_state state);
int vgpu_state_parse_request(const char *s, size_t len, bool *pause);

#endif /* VGPU_STATE_H */
