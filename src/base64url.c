/*
 * base64url.c
 *	  Strict base64url decoding for JWS segments. Lenient decoders (libjwt's
 *	  libb64 among them) skip foreign characters and ignore trailing bits,
 *	  which makes signatures malleable; this one refuses both.
 */
#include "base64url.h"

#include <stdint.h>

/* Each character's sextet plus one: 0 marks a character outside the alphabet. */
static const uint8_t sextet_plus_one[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
	['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13,
	['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19,
	['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25,
	['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31,
	['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37,
	['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55,
	['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61,
	['9'] = 62, ['-'] = 63, ['_'] = 64
};

#define LOW_BITS(value, count) ((value) & ((1u << (count)) - 1))

bool
base64url_decode(const char *src, size_t len, unsigned char *dst, size_t *dst_len)
{
	const unsigned char *in = (const unsigned char *) src;
	size_t		full = len / 4 * 4;
	size_t		out = 0;
	size_t		i;
	uint32_t	missing = 0;	/* non-zero once a foreign character is seen */
	uint32_t	a,
				b,
				c,
				d;

	/* One leftover character carries fewer than 8 bits: never valid. */
	if (len % 4 == 1)
		return false;

	for (i = 0; i < full; i += 4)
	{
		a = sextet_plus_one[in[i]];
		b = sextet_plus_one[in[i + 1]];
		c = sextet_plus_one[in[i + 2]];
		d = sextet_plus_one[in[i + 3]];
		missing |= (a == 0) | (b == 0) | (c == 0) | (d == 0);
		/* (x - 1) for each, folded into one subtraction */
		{
			uint32_t	group = (a << 18) + (b << 12) + (c << 6) + d - 0x41041;

			dst[out] = (unsigned char) (group >> 16);
			dst[out + 1] = (unsigned char) (group >> 8);
			dst[out + 2] = (unsigned char) group;
			out += 3;
		}
	}
	if (missing)
		return false;

	/*
	 * Two or three characters left: one or two bytes. Canonical form: the
	 * bits left over after the last byte are zero.
	 */
	if (len - full >= 2)
	{
		a = sextet_plus_one[in[full]];
		b = sextet_plus_one[in[full + 1]];
		if (a == 0 || b == 0)
			return false;
		a--;
		b--;
		dst[out++] = (unsigned char) ((a << 2) | (b >> 4));
		if (len - full == 2)
		{
			if (LOW_BITS(b, 4) != 0)
				return false;
		}
		else
		{
			c = sextet_plus_one[in[full + 2]];
			if (c == 0)
				return false;
			c--;
			dst[out++] = (unsigned char) ((LOW_BITS(b, 4) << 4) | (c >> 2));
			if (LOW_BITS(c, 2) != 0)
				return false;
		}
	}

	*dst_len = out;
	return true;
}
