/*
 * verify_bench.c
 *	  Cost per call of jcv_verify_token() (the extension's pure verifier:
 *	  parsing, key selection, signature, claims) next to the bare OpenSSL
 *	  verification of the same token with a key and signature prepared in
 *	  advance, in the same run. Prints a markdown table.
 *
 *	  verify_bench SECRET JWKS [LABEL TOKEN PEM_OR_DASH ITERATIONS]...
 *
 * PEM_OR_DASH is the signer's private key (its public half is used), or "-"
 * for an HMAC token signed with SECRET. bench/run_verify.sh passes the test
 * tokens and keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base64url.h"
#include "json_scan.h"
#include "jwks.h"
#include "jwt_verify.h"

/* Claims of the test tokens: issued 2025-11-24, expiring in 2100. */
#define BENCH_NOW 1764000001.0
#define BENCH_AUDIENCE "authenticated"
#define BENCH_MAX_TOKEN_BYTES 8192
#define ROUNDS 5				/* best of, alternating both sides */
#define NANOS_PER_SECOND 1e9
#define P256_HALF 32
#define P384_HALF 48
#define P521_HALF 66
#define MAX_SIGNATURE 1024

typedef struct raw_verifier
{
	const jcv_alg *alg;
	const unsigned char *input;	/* header.payload */
	size_t		input_len;
	unsigned char signature[MAX_SIGNATURE];	/* decoded; DER for ECDSA */
	size_t		signature_len;
	EVP_PKEY   *pkey;			/* asymmetric */
	EVP_MAC_CTX *mac;			/* HMAC, keyed once */
	EVP_MD	   *digest;
} raw_verifier;

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / NANOS_PER_SECOND;
}

static void
die(const char *what)
{
	fprintf(stderr, "verify_bench: %s\n", what);
	exit(1);
}

static EVP_PKEY *
public_key_from_pem(const char *path)
{
	FILE	   *file = fopen(path, "r");
	EVP_PKEY   *private_key;
	EVP_PKEY   *public_key;
	unsigned char *der = NULL;
	const unsigned char *cursor;
	int			der_len;

	if (file == NULL)
		die("cannot open a key file");
	private_key = PEM_read_PrivateKey(file, NULL, NULL, NULL);
	fclose(file);
	if (private_key == NULL)
		die("cannot read a private key");
	der_len = i2d_PUBKEY(private_key, &der);
	cursor = der;
	public_key = d2i_PUBKEY(NULL, &cursor, der_len);
	OPENSSL_free(der);
	EVP_PKEY_free(private_key);
	if (public_key == NULL)
		die("cannot derive a public key");
	return public_key;
}

/* Splits the token and prepares everything the bare verification needs. */
static void
prepare_raw(raw_verifier *raw, const char *token, const char *pem, const char *secret)
{
	const char *last_dot = strrchr(token, '.');
	const char *alg_start;
	char		alg_name[16];
	unsigned char header[512];
	size_t		header_len;
	unsigned char decoded[MAX_SIGNATURE];
	size_t		decoded_len;

	/* The alg is read from the test token once, outside the timing. */
	if (!base64url_decode(token, strchr(token, '.') - token, header, &header_len) ||
		header_len >= sizeof(header))
		die("bad token header");
	header[header_len] = '\0';
	alg_start = strstr((char *) header, "\"alg\":\"");
	if (alg_start == NULL || sscanf(alg_start + 7, "%15[^\"]", alg_name) != 1)
		die("no alg in token");
	raw->alg = jcv_alg_by_name(alg_name);
	if (raw->alg == NULL)
		die("unknown alg");

	raw->input = (const unsigned char *) token;
	raw->input_len = last_dot - token;
	if (!base64url_decode(last_dot + 1, strlen(last_dot + 1), decoded, &decoded_len))
		die("bad signature encoding");

	if (raw->alg->family == JCV_FAMILY_HMAC)
	{
		EVP_MAC   *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		OSSL_PARAM	params[2];

		raw->mac = EVP_MAC_CTX_new(hmac);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_MAC_init(raw->mac, (const unsigned char *) secret, strlen(secret), params) != 1)
			die("cannot key HMAC");
		EVP_MAC_free(hmac);
		memcpy(raw->signature, decoded, decoded_len);
		raw->signature_len = decoded_len;
		return;
	}

	raw->pkey = public_key_from_pem(pem);
	if (raw->alg->family != JCV_FAMILY_EDDSA)
		raw->digest = EVP_MD_fetch(NULL, strstr(alg_name, "256") ? "SHA256" :
								   strstr(alg_name, "384") ? "SHA384" : "SHA512", NULL);
	if (raw->alg->family == JCV_FAMILY_ECDSA)
	{
		size_t		half = decoded_len / 2;
		ECDSA_SIG  *sig = ECDSA_SIG_new();
		unsigned char *der = raw->signature;

		if (half != P256_HALF && half != P384_HALF && half != P521_HALF)
			die("bad ECDSA signature length");
		ECDSA_SIG_set0(sig, BN_bin2bn(decoded, half, NULL),
					   BN_bin2bn(decoded + half, half, NULL));
		raw->signature_len = i2d_ECDSA_SIG(sig, &der);
		ECDSA_SIG_free(sig);
		return;
	}
	memcpy(raw->signature, decoded, decoded_len);
	raw->signature_len = decoded_len;
}

static int
raw_verify_once(raw_verifier *raw)
{
	EVP_MD_CTX *ctx;
	EVP_PKEY_CTX *pkey_ctx = NULL;
	int			ok;

	if (raw->mac != NULL)
	{
		unsigned char mac[EVP_MAX_MD_SIZE];
		size_t		mac_len;

		EVP_MAC_init(raw->mac, NULL, 0, NULL);
		EVP_MAC_update(raw->mac, raw->input, raw->input_len);
		EVP_MAC_final(raw->mac, mac, &mac_len, sizeof(mac));
		return mac_len == raw->signature_len &&
			CRYPTO_memcmp(mac, raw->signature, mac_len) == 0;
	}
	ctx = EVP_MD_CTX_new();
	EVP_DigestVerifyInit(ctx, &pkey_ctx, raw->digest, NULL, raw->pkey);
	if (raw->alg->family == JCV_FAMILY_RSA_PSS)
	{
		EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST);
	}
	ok = EVP_DigestVerify(ctx, raw->signature, raw->signature_len,
						  raw->input, raw->input_len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static double
time_ours(const char *token, const jcv_keyring *keys, const jcv_policy *policy, long n)
{
	jcv_claims	claims;
	size_t		len = strlen(token);
	double		start = now_seconds();

	for (long i = 0; i < n; i++)
	{
		if (jcv_verify_token(token, len, keys, policy, &claims) != JCV_OK)
			die("jcv_verify_token refused a bench token");
	}
	return (now_seconds() - start) / n;
}

static double
time_raw(raw_verifier *raw, long n)
{
	double		start = now_seconds();

	for (long i = 0; i < n; i++)
	{
		if (!raw_verify_once(raw))
			die("OpenSSL refused a bench token");
	}
	return (now_seconds() - start) / n;
}

/*
 * The share of JSON in our cost: scanning the token's header and payload (as
 * jcv_verify_token does once per call), nothing else; with jansson, which
 * did it before, for comparison.
 */
static double
time_json(const char *token, long n, bool with_jansson)
{
	const char *first_dot = strchr(token, '.');
	const char *last_dot = strrchr(token, '.');
	unsigned char header[BENCH_MAX_TOKEN_BYTES];
	unsigned char payload[BENCH_MAX_TOKEN_BYTES];
	size_t		header_len;
	size_t		payload_len;
	json_error_t error;
	json_scan_member member = {.name = "exp"};
	double		start;

	if (!base64url_decode(token, first_dot - token, header, &header_len) ||
		!base64url_decode(first_dot + 1, last_dot - first_dot - 1, payload, &payload_len))
		die("bad token");
	start = now_seconds();
	for (long i = 0; i < n; i++)
	{
		if (with_jansson)
		{
			json_decref(json_loadb((const char *) header, header_len, JSON_REJECT_DUPLICATES, &error));
			json_decref(json_loadb((const char *) payload, payload_len, JSON_REJECT_DUPLICATES, &error));
		}
		else if (!json_scan_object((const char *) header, header_len, &member, 1) ||
				 !json_scan_object((const char *) payload, payload_len, &member, 1))
			die("bad token");
	}
	return (now_seconds() - start) / n;
}

int
main(int argc, char **argv)
{
	char		error[512];
	jcv_jwks   *jwks;
	jcv_keyring keys;
	jcv_policy	policy = {BENCH_AUDIENCE, NULL, BENCH_NOW, 0, BENCH_MAX_TOKEN_BYTES};

	if (argc < 3 || (argc - 3) % 4 != 0)
		die("usage: verify_bench SECRET JWKS [LABEL TOKEN PEM_OR_DASH ITERATIONS]...");
	jwks = jcv_jwks_parse(argv[2], error, sizeof(error));
	if (jwks == NULL)
		die(error);
	keys.secret = jcv_hmac_key_new((const unsigned char *) argv[1], strlen(argv[1]));
	keys.jwks = jwks;

	printf("| alg | jcv_verify_token (µs/call) | raw OpenSSL verify (µs/call) | ratio |\n");
	printf("|---|---:|---:|---:|\n");
	for (int i = 3; i < argc; i += 4)
	{
		const char *label = argv[i];
		const char *token = argv[i + 1];
		long		n = atol(argv[i + 3]);
		raw_verifier raw = {0};
		double		ours = 1e9;
		double		bare = 1e9;

		prepare_raw(&raw, token, argv[i + 2], argv[1]);
		time_ours(token, &keys, &policy, n / 10 + 1);	/* warm-up */
		time_raw(&raw, n / 10 + 1);
		for (int round = 0; round < ROUNDS; round++)
		{
			double		t = time_ours(token, &keys, &policy, n);

			if (t < ours)
				ours = t;
			t = time_raw(&raw, n);
			if (t < bare)
				bare = t;
		}
		printf("| %s | %.2f | %.2f | %.2fx |\n", label, ours * 1e6, bare * 1e6, ours / bare);
		EVP_PKEY_free(raw.pkey);
		EVP_MAC_CTX_free(raw.mac);
		EVP_MD_free(raw.digest);
	}
	printf("\nOf which scanning the header and payload (%s token): %.2f µs/call"
		   " (jansson: %.2f µs/call)\n", argv[3],
		   time_json(argv[4], atol(argv[6]), false) * 1e6,
		   time_json(argv[4], atol(argv[6]), true) * 1e6);
	jcv_key_free(keys.secret);
	jcv_jwks_free(jwks);
	return 0;
}
