/*
 * token_signing.c
 *	  HS256 token signing for the C tests; see token_signing.h.
 */
#include "token_signing.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static const char alphabet[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
test_base64url_encode(const unsigned char *src, size_t len, char *dst)
{
	size_t		out = 0;
	unsigned	acc = 0;
	int			bits = 0;

	for (size_t i = 0; i < len; i++)
	{
		acc = (acc << 8) | src[i];
		bits += 8;
		while (bits >= 6)
		{
			bits -= 6;
			dst[out++] = alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		dst[out++] = alphabet[(acc << (6 - bits)) & 63];
	dst[out] = '\0';
	return out;
}

size_t
test_hs256_sign(const char *secret, char *token, size_t signing_len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	HMAC(EVP_sha256(), secret, (int) strlen(secret), (const unsigned char *) token,
		 signing_len, mac, &mac_len);
	token[signing_len] = '.';
	return signing_len + 1 + test_base64url_encode(mac, mac_len, token + signing_len + 1);
}

jcv_key *
test_hmac_key(const char *secret)
{
	static jcv_key *key = NULL;

	if (key == NULL)
		key = jcv_hmac_key_new((const unsigned char *) secret, strlen(secret));
	return key;
}
