// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the control state of a function
 * (drivers/vgpu/lib/vgpu_state.c): every combination of holds and fault,
 * the names sysfs shows, and what "state" accepts.
 */
#include "kselftest_harness.h"
#include "vgpu_state.h"

#define OP	VGPU_HOLD_OPERATOR
#define RS	VGPU_HOLD_RESET
#define RM	VGPU_HOLD_REMOVED

/* All 16 combinations of holds and fault, with the state each must show. */
static const struct {
	u32 holds;
	bool halted;
	enum vgpu_state want;
} table[] = {
	{ 0, false, VGPU_STATE_RUNNING },
	{ 0, true, VGPU_STATE_FAULTED },
	{ OP, false, VGPU_STATE_PAUSED },
	{ OP, true, VGPU_STATE_PAUSED },
	{ RS, false, VGPU_STATE_RESETTING },
	{ RS, true, VGPU_STATE_RESETTING },
	{ RS | OP, false, VGPU_STATE_RESETTING },
	{ RS | OP, true, VGPU_STATE_RESETTING },
	{ RM, false, VGPU_STATE_REMOVING },
	{ RM, true, VGPU_STATE_REMOVING },
	{ RM | OP, false, VGPU_STATE_REMOVING },
	{ RM | OP, true, VGPU_STATE_REMOVING },
	{ RM | RS, false, VGPU_STATE_REMOVING },
	{ RM | RS, true, VGPU_STATE_REMOVING },
	{ RM | RS | OP, false, VGPU_STATE_REMOVING },
	{ RM | RS | OP, true, VGPU_STATE_REMOVING },
};

TEST(every_combination)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		EXPECT_EQ(table[i].want,
			  vgpu_state_of(table[i].holds, table[i].halted))
			TH_LOG("holds %#x halted %d", table[i].holds,
			       table[i].halted);
}

/*
 * A migration stop shows as "stopped" unless something stronger holds the
 * function: an operator's pause, a reset or the removal.
 */
TEST(migration_stop_is_weaker_than_the_other_holds)
{
	unsigned int holds;

	for (holds = 0; holds < 8; holds++) {
		enum vgpu_state plain = vgpu_state_of(holds, false);
		enum vgpu_state with = vgpu_state_of(holds |
						     VGPU_HOLD_MIGRATION, true);

		EXPECT_EQ(holds ? plain : VGPU_STATE_STOPPED, with)
			TH_LOG("holds %#x", holds);
	}
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
		[VGPU_STATE_STOPPED] = "stopped",
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
