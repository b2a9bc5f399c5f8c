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

#include "jwks.h"
#include "jwt_verify.h"
#include "token_signing.h"

#define SECRET "super-secret-jwt-token-with-at-least-32-characters-long"
#define ISSUER "https://jcvlogout.supabase.co/auth/v1"
#define NOW 1764000000.0
#define LEEWAY 30.0
#define MAX_TOKEN_BYTES (1024 * 1024)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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


static void
verify(const char *token, size_t len)
{
	jcv_keyring keys = {test_hmac_key(SECRET), NULL};
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
		char	   *signed_token = malloc(signing_len + TEST_HS256_SIGNATURE_ROOM);

		if (signed_token == NULL)
			return 0;
		memcpy(signed_token, token, signing_len);
		verify(signed_token, test_hs256_sign(SECRET, signed_token, signing_len));
		free(signed_token);
	}
	return 0;
}
