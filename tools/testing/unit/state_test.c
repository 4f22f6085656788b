// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the control state of a function
 * (drivers/vgpu/lib/vgpu_state.c): every combination of holds and fault
 * against a reference, the names sysfs shows, and what "state" accepts.
 */
#include "kselftest_harness.h"
#include "vgpu_state.h"

#define ALL_HOLDS (VGPU_HOLD_OPERATOR | VGPU_HOLD_RESET | VGPU_HOLD_REMOVED)

/* The reference: the strongest hold wins, then the fault. */
static enum vgpu_state ref_state(u32 holds, bool halted)
{
	if (holds & VGPU_HOLD_REMOVED)
		return VGPU_STATE_REMOVING;
	if (holds & VGPU_HOLD_RESET)
		return VGPU_STATE_RESETTING;
	if (holds & VGPU_HOLD_OPERATOR)
		return VGPU_STATE_PAUSED;
	if (halted)
		return VGPU_STATE_FAULTED;
	return VGPU_STATE_RUNNING;
}

TEST(every_combination)
{
	u32 holds;
	int halted;

	for (holds = 0; holds <= ALL_HOLDS; holds++)
		for (halted = 0; halted < 2; halted++)
			EXPECT_EQ(ref_state(holds, halted),
				  vgpu_state_of(holds, halted))
				TH_LOG("holds %#x halted %d", holds, halted);
}

/* Only a function without holds runs; a reset never unpauses. */
TEST(reset_of_a_paused_function_stays_paused)
{
	u32 holds = VGPU_HOLD_OPERATOR;

	holds |= VGPU_HOLD_RESET;
	EXPECT_EQ(VGPU_STATE_RESETTING, vgpu_state_of(holds, true));
	holds &= ~VGPU_HOLD_RESET;
	EXPECT_EQ(VGPU_STATE_PAUSED, vgpu_state_of(holds, false));
	holds &= ~VGPU_HOLD_OPERATOR;
	EXPECT_EQ(VGPU_STATE_RUNNING, vgpu_state_of(holds, false));
}

TEST(names)
{
	static const char *const want[] = {
		[VGPU_STATE_RUNNING] = "running",
		[VGPU_STATE_FAULTED] = "faulted",
		[VGPU_STATE_PAUSED] = "paused",
		[VGPU_STATE_RESETTING] = "resetting",
		[VGPU_STATE_REMOVING] = "removing",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(want); i++)
		EXPECT_STREQ(want[i], vgpu_state_name(i));
	EXPECT_STREQ("unknown", vgpu_state_name(ARRAY_SIZE(want)));
}

TEST(requests)
{
	static const char *const bad[] = {
		"", "\n", "paus", "pausee", "Pause", "resume\n\n", " resume",
		"pause ", "stop", "run", "1",
	};
	bool pause = false;
	unsigned int i;

	EXPECT_EQ(0, vgpu_state_parse_request("pause", 5, &pause));
	EXPECT_TRUE(pause);
	EXPECT_EQ(0, vgpu_state_parse_request("resume\n", 7, &pause));
	EXPECT_FALSE(pause);
	EXPECT_EQ(0, vgpu_state_parse_request("pause\n", 6, &pause));
	EXPECT_TRUE(pause);
	/* Only the given length counts: no NUL needed, none read past. */
	EXPECT_EQ(0, vgpu_state_parse_request("resumeXYZ", 6, &pause));
	EXPECT_FALSE(pause);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t len = strlen(bad[i]);

		pause = true;
		EXPECT_EQ(-EINVAL, vgpu_state_parse_request(bad[i], len, &pause))
			TH_LOG("'%s'", bad[i]);
		EXPECT_TRUE(pause);
	}
}

TEST_HARNESS_MAIN
