/*
 * hs256_stages_bench.c
 *	  "Verification alone": jcv_verify_token() (src/jwt_verify.c, the code the
 *	  extension runs) against the raw OpenSSL floor for the same HS256 token,
 *	  timed in one process on one core.
 *
 *	  hs256_stages_bench SECRET TOKEN ITERATIONS
 *
 * Prints one "name ns_per_call" line per measurement. The floors:
 *   openssl_hmac_oneshot  HMAC() + CRYPTO_memcmp against the signature, as a
 *                         small C program verifying a token would do it
 *   openssl_hmac_prekeyed the same with the key schedule and algorithm fetch
 *                         done once (EVP_MAC_CTX_dup per call): the least any
 *                         HS256 verifier with a fixed key can do
 * Both are given the decoded signature, so they do less than a verifier: no
 * base64url, no JSON, no claim checks. Two stages of jcv_verify_token() are
 * timed alone (stage_*) to show where its time goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base64url.h"
#include "jwks.h"
#include "jwt_verify.h"

#define NS_PER_SEC 1000000000.0
#define MAX_TOKEN_BYTES 8192
#define WARMUP_DIVISOR 10
#define SHA256_NAME "SHA256"

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Everything a measurement needs, so each loop body is one call. */
typedef struct bench_input
{
	const char *secret;
	size_t		secret_len;
	const char *token;
	size_t		token_len;
	size_t		signing_input_len;
	unsigned char signature[EVP_MAX_MD_SIZE];
	size_t		signature_len;
	jcv_keyring keys;
	jcv_policy	policy;
	EVP_MAC_CTX *keyed_mac;
	const char *payload;		/* the token's second segment */
	size_t		payload_len;
	unsigned char decoded_payload[MAX_TOKEN_BYTES];
	size_t		decoded_payload_len;
} bench_input;

static int
run_jcv_verify(bench_input *in)
{
	jcv_claims	claims;

	return jcv_verify_token(in->token, in->token_len, &in->keys, &in->policy,
							&claims) == JCV_OK;
}

static int
run_openssl_oneshot(bench_input *in)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (HMAC(EVP_sha256(), in->secret, (int) in->secret_len,
			 (const unsigned char *) in->token, in->signing_input_len,
			 mac, &mac_len) == NULL)
		return 0;
	return mac_len == in->signature_len &&
		CRYPTO_memcmp(mac, in->signature, mac_len) == 0;
}

static int
run_openssl_prekeyed(bench_input *in)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t		mac_len = 0;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(in->keyed_mac);
	int			ok;

	ok = ctx != NULL &&
		EVP_MAC_update(ctx, (const unsigned char *) in->token, in->signing_input_len) &&
		EVP_MAC_final(ctx, mac, &mac_len, sizeof(mac));
	EVP_MAC_CTX_free(ctx);
	return ok && mac_len == in->signature_len &&
		CRYPTO_memcmp(mac, in->signature, mac_len) == 0;
}

static int
run_stage_base64url_payload(bench_input *in)
{
	size_t		len;

	return base64url_decode(in->payload, in->payload_len, in->decoded_payload, &len);
}

static int
run_stage_jansson_payload(bench_input *in)
{
	json_error_t error;
	json_t	   *claims = json_loadb((const char *) in->decoded_payload,
									in->decoded_payload_len, JSON_REJECT_DUPLICATES, &error);

	json_decref(claims);
	return claims != NULL;
}

/* Runs fn iterations times (after a warm-up); prints and returns ns per call. */
static double
measure(const char *name, int (*fn) (bench_input *), bench_input *in, long iterations)
{
	long		valid = 0;
	double		start;
	double		per_call;

	for (long i = 0; i < iterations / WARMUP_DIVISOR; i++)
		valid += fn(in);
	valid = 0;
	start = now_ns();
	for (long i = 0; i < iterations; i++)
		valid += fn(in);
	per_call = (now_ns() - start) / iterations;
	if (valid != iterations)
	{
		fprintf(stderr, "%s: %ld of %ld calls did not verify\n", name, iterations - valid, iterations);
		exit(1);
	}
	printf("%s %.1f\n", name, per_call);
	return per_call;
}

static EVP_MAC_CTX *
keyed_hmac_sha256(const char *secret, size_t secret_len)
{
	EVP_MAC	   *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM	params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, SHA256_NAME, 0),
		OSSL_PARAM_construct_end()
	};

	EVP_MAC_free(mac);
	if (ctx == NULL ||
		!EVP_MAC_init(ctx, (const unsigned char *) secret, secret_len, params))
	{
		fprintf(stderr, "cannot set up HMAC-SHA256\n");
		exit(1);
	}
	return ctx;
}

int
main(int argc, char **argv)
{
	bench_input in;
	const char *first_dot;
	const char *last_dot;
	long		iterations;

	if (argc != 4)
	{
		fprintf(stderr, "usage: %s SECRET TOKEN ITERATIONS\n", argv[0]);
		return 2;
	}
	memset(&in, 0, sizeof(in));
	in.secret = argv[1];
	in.secret_len = strlen(argv[1]);
	in.token = argv[2];
	in.token_len = strlen(argv[2]);
	iterations = strtol(argv[3], NULL, 10);
	first_dot = strchr(in.token, '.');
	last_dot = strrchr(in.token, '.');
	if (iterations <= 0 || last_dot == NULL || first_dot == last_dot ||
		in.token_len > MAX_TOKEN_BYTES ||
		BASE64URL_DECODED_MAX(strlen(last_dot + 1)) > sizeof(in.signature) ||
		!base64url_decode(last_dot + 1, strlen(last_dot + 1), in.signature, &in.signature_len))
	{
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	in.signing_input_len = last_dot - in.token;
	in.payload = first_dot + 1;
	in.payload_len = last_dot - in.payload;
	if (!base64url_decode(in.payload, in.payload_len, in.decoded_payload, &in.decoded_payload_len))
	{
		fprintf(stderr, "bad arguments\n");
		return 2;
	}

	in.keys.secret = jcv_hmac_key_new((const unsigned char *) in.secret, in.secret_len);
	in.keys.jwks = NULL;
	in.policy.audience = "authenticated";
	in.policy.issuer = "";
	in.policy.now = (double) time(NULL);
	in.policy.leeway = 0;
	in.policy.max_token_bytes = MAX_TOKEN_BYTES;
	in.keyed_mac = keyed_hmac_sha256(in.secret, in.secret_len);

	printf("token_bytes %zu\n", in.token_len);
	measure("openssl_hmac_oneshot", run_openssl_oneshot, &in, iterations);
	measure("openssl_hmac_prekeyed", run_openssl_prekeyed, &in, iterations);
	measure("jcv_verify_token", run_jcv_verify, &in, iterations);
	measure("stage_base64url_payload", run_stage_base64url_payload, &in, iterations);
	measure("stage_jansson_payload", run_stage_jansson_payload, &in, iterations);

	EVP_MAC_CTX_free(in.keyed_mac);
	return 0;
}
