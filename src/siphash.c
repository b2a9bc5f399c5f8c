/*
 * siphash.c
 *	  SipHash-2-4, 64-bit (incremental) and 128-bit results.
 */
#include "siphash.h"

#include <string.h>


/* Rounds per 8-byte block and at the end; the initial state is
 * "somepseudorandomlygeneratedbytes", which the key is mixed into. */
#define C_ROUNDS 2
#define D_ROUNDS 4
#define BLOCK 8
#define LENGTH_SHIFT 56
#define FINAL_MARK 0xff
/* What the 128-bit variant adds: to v1 at the start, to v2 and v1 at the end. */
#define WIDE_MARK 0xee
#define WIDE_SECOND_MARK 0xdd
#define IV0 UINT64_C(0x736f6d6570736575)
#define IV1 UINT64_C(0x646f72616e646f6d)
#define IV2 UINT64_C(0x6c7967656e657261)
#define IV3 UINT64_C(0x7465646279746573)

static inline uint64_t
rotate_left(uint64_t x, int bits)
{
	return (x << bits) | (x >> (64 - bits));
}

static inline void
sip_rounds(uint64_t *v, int rounds)
{
	for (int i = 0; i < rounds; i++)
	{
		v[0] += v[1];
		v[1] = rotate_left(v[1], 13);
		v[1] ^= v[0];
		v[0] = rotate_left(v[0], 32);
		v[2] += v[3];
		v[3] = rotate_left(v[3], 16);
		v[3] ^= v[2];
		v[0] += v[3];
		v[3] = rotate_left(v[3], 21);
		v[3] ^= v[0];
		v[2] += v[1];
		v[1] = rotate_left(v[1], 17);
		v[1] ^= v[2];
		v[2] = rotate_left(v[2], 32);
	}
}

static inline void
sip_compress(uint64_t *v, uint64_t block)
{
	v[3] ^= block;
	sip_rounds(v, C_ROUNDS);
	v[0] ^= block;
}

static void
sip_start(uint64_t *v, const uint64_t key[2])
{
	v[0] = key[0] ^ IV0;
	v[1] = key[1] ^ IV1;
	v[2] = key[0] ^ IV2;
	v[3] = key[1] ^ IV3;
}

void
jcv_siphash_init(jcv_siphash *h, const uint64_t key[2])
{
	sip_start(h->v, key);
	h->block = 0;
	h->count = 0;
}

void
jcv_siphash_add_byte(jcv_siphash *h, unsigned char c)
{
	h->block |= (uint64_t) c << (8 * (h->count % BLOCK));
	if (++h->count % BLOCK == 0)
	{
		sip_compress(h->v, h->block);
		h->block = 0;
	}
}

uint64_t
jcv_siphash_final(jcv_siphash *h)
{
	sip_compress(h->v, h->block | ((uint64_t) h->count << LENGTH_SHIFT));
	h->v[2] ^= FINAL_MARK;
	sip_rounds(h->v, D_ROUNDS);
	return h->v[0] ^ h->v[1] ^ h->v[2] ^ h->v[3];
}

/* Eight bytes as a little-endian word, whatever the machine's order. */
static inline uint64_t
load_le64(const unsigned char *p)
{
	uint64_t	word;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(&word, p, sizeof(word));
#else
	word = 0;
	for (int i = BLOCK - 1; i >= 0; i--)
		word = (word << 8) | p[i];
#endif
	return word;
}

void
jcv_siphash128(const uint64_t key[2], const void *data, size_t len, uint64_t out[2])
{
	const unsigned char *p = data;
	const unsigned char *whole_end = p + (len - len % BLOCK);
	uint64_t	v[4];
	uint64_t	last = (uint64_t) len << LENGTH_SHIFT;

	sip_start(v, key);
	v[1] ^= WIDE_MARK;
	for (; p < whole_end; p += BLOCK)
		sip_compress(v, load_le64(p));
	for (size_t i = 0; i < len % BLOCK; i++)
		last |= (uint64_t) p[i] << (8 * i);
	sip_compress(v, last);
	v[2] ^= WIDE_MARK;
	sip_rounds(v, D_ROUNDS);
	out[0] = v[0] ^ v[1] ^ v[2] ^ v[3];
	v[1] ^= WIDE_SECOND_MARK;
	sip_rounds(v, D_ROUNDS);
	out[1] = v[0] ^ v[1] ^ v[2] ^ v[3];
}
