// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the userspace CRC32C (tools/lib/vgpu_crc32c.c), which the
 * executor under test in cmd_test calls and which every tool and selftest
 * checks the device against: published check values, the byte table against
 * the polynomial's defining properties, and the eight-byte path against the
 * byte path at every alignment and split.
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "../../include/vgpu_crc32c.h"

static __u64 rng_state;

/* xorshift64*, seeded so that every run sees the same bytes */
static __u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void rnd_fill(__u8 *p, size_t len, __u64 seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	while (len--)
		*p++ = rnd() >> 56;
}

/* The running value after @len bytes fed to the update one at a time. */
static __u32 bytewise(__u32 crc, const __u8 *p, size_t len)
{
	while (len--)
		crc = vgpu_crc32c_update(crc, p++, 1);
	return crc;
}

/* Check values and the iSCSI vectors of RFC 3720, B.4. */
TEST(known_vectors)
{
	static const __u8 read_pdu[48] = {
		0x01, 0xc0, [16] = 0x14, [22] = 0x04, [27] = 0x14,
		[31] = 0x18, [32] = 0x28, [40] = 0x02,
	};
	__u8 buf[32];
	int i;

	EXPECT_EQ(0xe3069283, vgpu_crc32c("123456789", 9));
	EXPECT_EQ(~0xe3069283u,
		  vgpu_crc32c_update(~0u, (const __u8 *)"123456789", 9));
	EXPECT_EQ(0xc1d04330, vgpu_crc32c("a", 1));
	EXPECT_EQ(0, vgpu_crc32c(NULL, 0));
	EXPECT_EQ(0x12345678, vgpu_crc32c_update(0x12345678, NULL, 0));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(0x8a9136aa, vgpu_crc32c(buf, sizeof(buf)));
	memset(buf, 0xff, sizeof(buf));
	EXPECT_EQ(0x62a8ab43, vgpu_crc32c(buf, sizeof(buf)));
	for (i = 0; i < 32; i++)
		buf[i] = i;
	EXPECT_EQ(0x46dd794e, vgpu_crc32c(buf, sizeof(buf)));
	for (i = 0; i < 32; i++)
		buf[i] = 31 - i;
	EXPECT_EQ(0x113fdb5c, vgpu_crc32c(buf, sizeof(buf)));
	EXPECT_EQ(0xd9963a56, vgpu_crc32c(read_pdu, sizeof(read_pdu)));
}

/*
 * From 0, one byte x gives T(x) = x shifted through the register eight
 * times. T(0x80) is the polynomial, an even x gives T(x >> 1) = one more
 * shift of T(x), and T is linear; together these fix all 256 values.
 */
TEST(byte_table)
{
	unsigned int a, b;
	__u32 t[256], s;
	__u8 x;

	for (a = 0; a < 256; a++) {
		x = a;
		t[a] = vgpu_crc32c_update(0, &x, 1);
	}
	ASSERT_EQ(0, t[0]);
	ASSERT_EQ(VGPU_CRC32C_POLY, t[0x80]);
	for (a = 2; a < 256; a += 2) {
		s = (t[a] >> 1) ^ (VGPU_CRC32C_POLY & -(t[a] & 1));
		ASSERT_EQ(s, t[a >> 1]) TH_LOG("byte %#x", a);
	}
	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++)
			ASSERT_EQ(t[a] ^ t[b], t[a ^ b])
				TH_LOG("bytes %#x, %#x", a, b);
}

/* Every start alignment, length and split agrees with the byte path. */
TEST(split_and_alignment)
{
	__u8 buf[8 + 200];
	unsigned int off, len, k;
	__u32 want, head;

	rnd_fill(buf, sizeof(buf), 1);
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 200; len++) {
			want = bytewise(~0u, buf + off, len);
			ASSERT_EQ(want, vgpu_crc32c_update(~0u, buf + off, len))
				TH_LOG("offset %u, %u bytes", off, len);
			for (k = 0; k <= len; k += 1 + len / 16) {
				head = vgpu_crc32c_update(~0u, buf + off, k);
				ASSERT_EQ(want,
					  vgpu_crc32c_update(head,
							     buf + off + k,
							     len - k))
					TH_LOG("offset %u, %u bytes, split %u",
					       off, len, k);
			}
		}
}

/* A buffer of a few MiB, as the tools check, against the byte path. */
TEST(long_buffer)
{
	const size_t len = (3 << 20) + 5;
	__u8 *buf = malloc(len);

	ASSERT_NE(NULL, buf);
	rnd_fill(buf, len, 2);
	EXPECT_EQ(~bytewise(~0u, buf, len), vgpu_crc32c(buf, len));
	free(buf);
}

TEST_HARNESS_MAIN
