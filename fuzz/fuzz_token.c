/*
 * fuzz_token.c
 *	  libFuzzer target over the token verifier as auth_logout drives it:
 *	  Bearer stripping, then jcv_verify_token with an HS256 key and a fixed
 *	  policy. Each input is also re-signed with the key, so that mutations
 *	  reach the payload parser and the claim checks behind the signature.
 *	  Built and run by fuzz/run.sh.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "jwks.h"
#include "jwt_verify.h"

#define SECRET "super-secret-jwt-token-with-at-least-32-characters-long"
#define ISSUER "https://jcvlogout.supabase.co/auth/v1"
#define NOW 1764000000.0
#define LEEWAY 30.0
#define MAX_TOKEN_BYTES (1024 * 1024)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char alphabet[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t
encode(const unsigned char *src, size_t len, char *dst)
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
	return out;
}

/* What a verified token promises the database side: canonical uuids. */
static void
check_claims_invariants(const jcv_claims *claims)
{
	for (int i = 0; i < JCV_UUID_TEXT_LEN; i++)
	{
		char		c = claims->sub[i];
		int			hyphen_place = (i == 8 || i == 13 || i == 18 || i == 23);

		if (hyphen_place ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			abort();
	}
	if (claims->sub[JCV_UUID_TEXT_LEN] != '\0')
		abort();
	if (claims->has_session_id && strlen(claims->session_id) != JCV_UUID_TEXT_LEN)
		abort();
}


/* The HMAC key for SECRET, made once: keys live as long as their setting. */
static jcv_key *
secret_key(void)
{
	static jcv_key *key = NULL;

	if (key == NULL)
		key = jcv_hmac_key_new((const unsigned char *) SECRET, strlen(SECRET));
	return key;
}

static void
verify(const char *token, size_t len)
{
	jcv_keyring keys = {secret_key(), NULL};
	jcv_policy	policy = {"authenticated", ISSUER, NOW, LEEWAY, MAX_TOKEN_BYTES};
	jcv_claims	claims;

	if (jcv_verify_token(token, len, &keys, &policy, &claims) == JCV_OK)
		check_claims_invariants(&claims);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *token = (const char *) data;
	size_t		len = size;
	const char *last_dot;

	jcv_strip_bearer_scheme(&token, &len);
	verify(token, len);

	last_dot = memrchr(token, '.', len);
	if (last_dot != NULL)
	{
		size_t		signing_len = (size_t) (last_dot - token);
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int mac_len = 0;
		char	   *signed_token = malloc(signing_len + 1 + 2 * EVP_MAX_MD_SIZE);

		if (signed_token == NULL)
			return 0;
		memcpy(signed_token, token, signing_len + 1);
		HMAC(EVP_sha256(), SECRET, (int) strlen(SECRET),
			 (const unsigned char *) token, signing_len, mac, &mac_len);
		verify(signed_token,
			   signing_len + 1 + encode(mac, mac_len, signed_token + signing_len + 1));
		free(signed_token);
	}
	return 0;
}
