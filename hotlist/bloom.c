/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * A blocked Bloom filter over the listed plates and their look-alike folded forms, stored in
 * the database as one value (docs/hotlist-format.md), so it is always consistent with the
 * indexes in the same transaction. Matching asks it before each index lookup: most of a
 * read's probes are for strings that are not listed, and the filter answers those from one
 * cache line instead of a B-tree descent. Never a false "no": every string added to the
 * look-alike index is added here in the same transaction.
 */
#include <string.h>

#include "hotlist-private.h"

#define BLOOM_MAGIC  "ALPRBLM1"
#define BLOOM_HEADER 32
#define BLOOM_BLOCK  64 /* bytes: one cache line */
#define BLOOM_K      8  /* bits set per member, all in one block */
/* Bits per member at design capacity: about 1% false positives with 8 bits in a block. */
#define BLOOM_BITS_PER_MEMBER 12
#define BLOOM_MIN_BYTES       (64 * 1024)

struct bloom_header {
	char magic[8];
	uint32_t blocks;
	uint32_t pad;
	uint64_t members;
	uint64_t capacity;
};

static uint64_t mix(uint64_t z)
{
	/* splitmix64's finaliser */
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t hash(char domain, const char *s, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325) ^ (uint8_t)domain;
	for (size_t i = 0; i < n; i++) {
		h = (h ^ (uint8_t)s[i]) * UINT64_C(0x100000001b3);
	}
	return mix(h);
}

size_t hotlist_bloom_size(uint64_t capacity)
{
	uint64_t bytes = capacity * BLOOM_BITS_PER_MEMBER / 8;
	if (bytes < BLOOM_MIN_BYTES) {
		bytes = BLOOM_MIN_BYTES;
	}
	/* Whole blocks; blocks are picked by multiply-shift, so any count works. */
	bytes = (bytes + BLOOM_BLOCK - 1) / BLOOM_BLOCK * BLOOM_BLOCK;
	if (bytes > ((uint64_t)BLOOM_BLOCK << 31)) {
		bytes = (uint64_t)BLOOM_BLOCK << 31;
	}
	return BLOOM_HEADER + (size_t)bytes;
}

void hotlist_bloom_init(uint8_t *blob, size_t len, uint64_t capacity)
{
	struct bloom_header hd = {.capacity = capacity};

	memcpy(hd.magic, BLOOM_MAGIC, 8);
	hd.blocks = (uint32_t)((len - BLOOM_HEADER) / BLOOM_BLOCK);
	memcpy(blob, &hd, sizeof(hd));
	memset(blob + BLOOM_HEADER, 0, len - BLOOM_HEADER);
}

static bool header(const uint8_t *blob, size_t len, struct bloom_header *hd)
{
	if (len < BLOOM_HEADER + BLOOM_BLOCK) {
		return false;
	}
	memcpy(hd, blob, sizeof(*hd));
	return memcmp(hd->magic, BLOOM_MAGIC, 8) == 0 && hd->blocks > 0 &&
	       BLOOM_HEADER + (uint64_t)hd->blocks * BLOOM_BLOCK == len;
}

bool hotlist_bloom_valid(const uint8_t *blob, size_t len, uint64_t *members, uint64_t *capacity)
{
	struct bloom_header hd;
	if (!header(blob, len, &hd)) {
		return false;
	}
	*members = hd.members;
	*capacity = hd.capacity;
	return true;
}

void hotlist_bloom_add(uint8_t *blob, size_t len, char domain, const char *s, size_t n)
{
	struct bloom_header hd;
	if (!header(blob, len, &hd)) {
		return;
	}
	uint64_t h = hash(domain, s, n);
	uint8_t *block =
		blob + BLOOM_HEADER + (size_t)(((h >> 32) * hd.blocks) >> 32) * BLOOM_BLOCK;
	uint64_t g = mix(h);
	for (int i = 0; i < BLOOM_K; i++) {
		unsigned bit = (unsigned)(g >> (9 * i)) & 511;
		block[bit >> 3] |= (uint8_t)(1u << (bit & 7));
	}
	hd.members++;
	memcpy(blob, &hd, sizeof(hd));
}

bool hotlist_bloom_maybe(const uint8_t *blob, size_t len, char domain, const char *s, size_t n)
{
	struct bloom_header hd;
	if (!header(blob, len, &hd)) {
		return true; /* no usable filter: everything may be there */
	}
	uint64_t h = hash(domain, s, n);
	const uint8_t *block =
		blob + BLOOM_HEADER + (size_t)(((h >> 32) * hd.blocks) >> 32) * BLOOM_BLOCK;
	uint64_t g = mix(h);
	for (int i = 0; i < BLOOM_K; i++) {
		unsigned bit = (unsigned)(g >> (9 * i)) & 511;
		if (!(block[bit >> 3] & (1u << (bit & 7)))) {
			return false;
		}
	}
	return true;
}
