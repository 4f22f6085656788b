// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu control state (pure logic).
 */

/**
 * DOC: control state machine
 *
 * A function's control state follows from the holds on it (enum vgpu_hold,
 * kept by core/vgpu_control.c) and from whether its ring halted on a fault.
 * Each transition sets or clears one hold; the strongest hold names the
 * state::
 *
 *   from        event                              to
 *   ----------  ---------------------------------  -------------------------
 *   running     "pause" written to sysfs state     paused
 *   running     ring fault, watchdog               faulted
 *   paused      "resume" written to sysfs state    running, or faulted if
 *                                                  its ring had halted
 *   stopped     its VMM lets it run again          running, or faulted
 *   running     its VMM stops it (migration)       stopped
 *   any         reset, close or FLR begins         resetting
 *   any         the last reference is dropped      removing (final)
 *   resetting   the reset is done                  back to paused if the
 *                                                  operator paused it, else
 *                                                  running
 *
 * Only running and faulted functions are scheduled (a faulted one has no
 * runnable work). Entering paused, resetting or removing waits until no
 * engine runs the function; that wait is bounded (see vgpu_dma.c). Leaving
 * them lets the function run again if it has work.
 */
#include "vgpu_state.h"

/**
 * vgpu_state_of() - the control state from a function's holds
 * @holds: enum vgpu_hold bits
 * @halted: the function's ring halted on a fault
 *
 * Return: the state; the strongest hold wins.
 */
enum vgpu_state vgpu_state_of(u32 holds, bool halted)
{
	if (holds & VGPU_HOLD_REMOVED)
		return VGPU_STATE_REMOVING;
	if (holds & VGPU_HOLD_RESET)
		return VGPU_STATE_RESETTING;
	if (holds & VGPU_HOLD_OPERATOR)
		return VGPU_STATE_PAUSED;
	if (holds & VGPU_HOLD_MIGRATION)
		return VGPU_STATE_STOPPED;
	return halted ? VGPU_STATE_FAULTED : VGPU_STATE_RUNNING;
}
EXPORT_SYMBOL_VGPU(vgpu_state_of);

/**
 * vgpu_state_name() - the name sysfs shows for a state
 * @state: the state
 *
 * Return: "running", "faulted", "paused", "stopped", "resetting" or
 * "removing".
 */
const char *vgpu_state_name(enum vgpu_state state)
{
	switch (state) {
	case VGPU_STATE_RUNNING:
		return "running";
	case VGPU_STATE_FAULTED:
		return "faulted";
	case VGPU_STATE_PAUSED:
		return "paused";
	case VGPU_STATE_STOPPED:
		return "stopped";
	case VGPU_STATE_RESETTING:
		return "resetting";
	case VGPU_STATE_REMOVING:
		return "removing";
	}
	return "unknown";
}
EXPORT_SYMBOL_VGPU(vgpu_state_name);

/**
 * vgpu_state_parse_request() - parse what an operator writes to ``state``
 * @s: the text, not necessarily NUL-terminated
 * @len: its length; one trailing newline is ignored
 * @pause: set to true for "pause", false for "resume"
 *
 * Return: 0, or -EINVAL for anything else.
 */
int vgpu_state_parse_request(const char *s, size_t len, bool *pause)
{
	if (len && s[len - 1] == '\n')
		len--;
	if (len == 5 && !memcmp(s, "pause", 5)) {
		*pause = true;
		return 0;
	}
	if (len == 6 && !memcmp(s, "resume", 6)) {
		*pause = false;
		return 0;
	}
	return -EINVAL;
}
EXPORT_SYMBOL_VGPU(vgpu_state_parse_request);
