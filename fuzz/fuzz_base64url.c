/*
 * fuzz_base64url.c
 *	  libFuzzer target over the strict base64url decoder: the output buffer
 *	  is exactly BASE64URL_DECODED_MAX bytes (AddressSanitizer catches any
 *	  overrun), and whatever decodes must re-encode to the very same text
 *	  (one textual form per value). Built and run by fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char alphabet[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *decoded = malloc(BASE64URL_DECODED_MAX(size));
	size_t		decoded_len = 0;
	unsigned	acc = 0;
	int			bits = 0;
	size_t		out = 0;

	if (decoded == NULL)
		return 0;
	if (!base64url_decode((const char *) data, size, decoded, &decoded_len))
	{
		free(decoded);
		return 0;
	}
	for (size_t i = 0; i < decoded_len; i++)
	{
		acc = (acc << 8) | decoded[i];
		bits += 8;
		while (bits >= 6)
		{
			bits -= 6;
			if (out >= size || data[out++] != (uint8_t) alphabet[(acc >> bits) & 63])
				abort();
		}
	}
	if (bits > 0 && (out >= size || data[out++] != (uint8_t) alphabet[(acc << (6 - bits)) & 63]))
		abort();
	if (out != size)
		abort();
	free(decoded);
	return 0;
}
