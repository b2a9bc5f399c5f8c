/*
 * siphash.h
 *	  SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 *	  2012), the keyed hash of the JSON scanner's name set and of the memo of
 *	  request claims: byte by byte with a 64-bit result, or a whole buffer
 *	  with the 128-bit result of the reference implementation.
 *
 * Pure C: no PostgreSQL headers. Written here, as these callers use no
 * library: OpenSSL's EVP_MAC would cost a context per call, more than
 * hashing the few hundred bytes they hash.
 */
#ifndef JCV_SIPHASH_H
#define JCV_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* An incremental SipHash-2-4 computation with a 64-bit result. */
typedef struct jcv_siphash
{
	uint64_t	v[4];
	uint64_t	block;			/* bytes not compressed yet, little-endian */
	size_t		count;			/* bytes absorbed */
} jcv_siphash;

/* key: the 16 key bytes read as two little-endian words */
extern void jcv_siphash_init(jcv_siphash *h, const uint64_t key[2]);
extern void jcv_siphash_add_byte(jcv_siphash *h, unsigned char c);
extern uint64_t jcv_siphash_final(jcv_siphash *h);

/*
 * SipHash-2-4 of len bytes with the 128-bit result: out[0] and out[1] are
 * the reference implementation's 16 output bytes as two little-endian words.
 */
extern void jcv_siphash128(const uint64_t key[2], const void *data, size_t len,
						   uint64_t out[2]);

#endif							/* JCV_SIPHASH_H */
