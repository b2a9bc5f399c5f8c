/*
 * base64url.c
 *	  Strict base64url decoding for JWS segments. Lenient decoders (libjwt's
 *	  libb64 among them) skip foreign characters and ignore trailing bits,
 *	  which makes signatures malleable; this one refuses both.
 */
#include "base64url.h"

#include <stdint.h>

#define INVALID_SEXTET 0xFF

static inline uint8_t
sextet_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return INVALID_SEXTET;
}

bool
base64url_decode(const char *src, size_t len, unsigned char *dst, size_t *dst_len)
{
	uint32_t	acc = 0;
	int			bits = 0;
	size_t		out = 0;

	/* One leftover character carries fewer than 8 bits: never valid. */
	if (len % 4 == 1)
		return false;

	for (size_t i = 0; i < len; i++)
	{
		uint8_t		sextet = sextet_of((unsigned char) src[i]);

		if (sextet == INVALID_SEXTET)
			return false;
		acc = (acc << 6) | sextet;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			dst[out++] = (unsigned char) (acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}

	/* Canonical form: the bits left over after the last byte are zero. */
	if (acc != 0)
		return false;

	*dst_len = out;
	return true;
}
