/*
 * jwks.c
 *	  JSON Web Keys (RFC 7517/7518/8037) parsed once into OpenSSL 3 key
 *	  objects, and JWS signature verification through those cached keys.
 *
 * A set is validated whole: one bad key refuses the set, with a sentence
 * naming it, so a typo is caught when the setting changes rather than at
 * the next login. Keys whose "use" or "key_ops" exclude verification are
 * dropped; private key material anywhere refuses the set.
 */
#include "jwks.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "base64url.h"

#define MIN_RSA_BITS 2048
#define P256_COORDINATE_BYTES 32
#define P384_COORDINATE_BYTES 48
#define P521_COORDINATE_BYTES 66	/* 521 bits, rounded up to whole bytes */
#define ED25519_KEY_BYTES 32
#define ED25519_SIGNATURE_BYTES 64
#define EC_UNCOMPRESSED_POINT_TAG 0x04
#define MAX_EC_COORDINATE_BYTES P521_COORDINATE_BYTES
/* Shown in error sentences: enough to recognise a kid, bounded for logs. */
#define MAX_KID_SHOWN 64

/* The ROCA fingerprint's generator and primes (see has_roca_fingerprint). */
#define ROCA_GENERATOR 65537
#define ROCA_LARGEST_PRIME 167

/* DER tags and sizes for re-encoding a JOSE ECDSA signature. */
#define DER_SEQUENCE 0x30
#define DER_INTEGER 0x02
#define DER_INTEGER_MAX (1 + 1 + 1 + MAX_EC_COORDINATE_BYTES)	/* tag, len, 0x00, value */
#define DER_SHORT_LENGTH_MAX 127
#define DER_LONG_LENGTH_ONE_BYTE 0x81	/* long form: one length byte follows */
#define DER_ECDSA_MAX (3 + 2 * DER_INTEGER_MAX)

enum
{
	DIGEST_SHA256,
	DIGEST_SHA384,
	DIGEST_SHA512,
	DIGEST_COUNT
};

static const char *const digest_names[DIGEST_COUNT] = {"SHA256", "SHA384", "SHA512"};

/* RFC 7518 section 3.2: an HMAC key is at least as long as the hash. */
static const size_t digest_bytes[DIGEST_COUNT] = {256 / 8, 384 / 8, 512 / 8};

/* Fetched once per process: OpenSSL 3 would otherwise look them up per call. */
static EVP_MD *fetched_digests[DIGEST_COUNT];
static EVP_MAC *fetched_hmac;

static const jcv_alg algs[] = {
	{"HS256", JCV_FAMILY_HMAC, JCV_KEY_OCT, DIGEST_SHA256},
	{"HS384", JCV_FAMILY_HMAC, JCV_KEY_OCT, DIGEST_SHA384},
	{"HS512", JCV_FAMILY_HMAC, JCV_KEY_OCT, DIGEST_SHA512},
	{"RS256", JCV_FAMILY_RSA_PKCS1, JCV_KEY_RSA, DIGEST_SHA256},
	{"RS384", JCV_FAMILY_RSA_PKCS1, JCV_KEY_RSA, DIGEST_SHA384},
	{"RS512", JCV_FAMILY_RSA_PKCS1, JCV_KEY_RSA, DIGEST_SHA512},
	{"PS256", JCV_FAMILY_RSA_PSS, JCV_KEY_RSA, DIGEST_SHA256},
	{"PS384", JCV_FAMILY_RSA_PSS, JCV_KEY_RSA, DIGEST_SHA384},
	{"PS512", JCV_FAMILY_RSA_PSS, JCV_KEY_RSA, DIGEST_SHA512},
	{"ES256", JCV_FAMILY_ECDSA, JCV_KEY_EC_P256, DIGEST_SHA256},
	{"ES384", JCV_FAMILY_ECDSA, JCV_KEY_EC_P384, DIGEST_SHA384},
	{"ES512", JCV_FAMILY_ECDSA, JCV_KEY_EC_P521, DIGEST_SHA512},
	{"EdDSA", JCV_FAMILY_EDDSA, JCV_KEY_ED25519, -1},
};

#define ALG_COUNT (sizeof(algs) / sizeof(algs[0]))

struct jcv_key
{
	jcv_key_type type;
	char	   *kid;			/* NULL when the JWK has none */
	const jcv_alg *pinned_alg;	/* from the JWK's "alg", or NULL */
	EVP_PKEY   *pkey;			/* asymmetric keys */
	unsigned char *secret;		/* oct keys */
	size_t		secret_len;
	EVP_MAC_CTX *hmac[DIGEST_COUNT];	/* keyed on first use, then re-initialised */
};

struct jcv_jwks
{
	size_t		count;
	jcv_key   **keys;
};

/* Members that only a private (or secret) JWK has, RFC 7518 section 6. */
static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};

const jcv_alg *
jcv_alg_by_name(const char *name)
{
	for (size_t i = 0; i < ALG_COUNT; i++)
	{
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	}
	return NULL;
}

static const EVP_MD *
digest_of(const jcv_alg *alg)
{
	if (fetched_digests[alg->digest] == NULL)
		fetched_digests[alg->digest] = EVP_MD_fetch(NULL, digest_names[alg->digest], NULL);
	return fetched_digests[alg->digest];
}

static size_t
ec_coordinate_bytes(jcv_key_type type)
{
	switch (type)
	{
		case JCV_KEY_EC_P384:
			return P384_COORDINATE_BYTES;
		case JCV_KEY_EC_P521:
			return P521_COORDINATE_BYTES;
		default:
			return P256_COORDINATE_BYTES;
	}
}

jcv_key *
jcv_hmac_key_new(const unsigned char *secret, size_t secret_len)
{
	jcv_key    *key = calloc(1, sizeof(jcv_key));

	if (key == NULL)
		return NULL;
	key->type = JCV_KEY_OCT;
	key->secret = malloc(secret_len > 0 ? secret_len : 1);
	if (key->secret == NULL)
	{
		free(key);
		return NULL;
	}
	memcpy(key->secret, secret, secret_len);
	key->secret_len = secret_len;
	return key;
}

bool
jcv_hmac_key_matches(const jcv_key *key, const unsigned char *secret, size_t secret_len)
{
	return key->type == JCV_KEY_OCT && key->secret_len == secret_len &&
		CRYPTO_memcmp(key->secret, secret, secret_len) == 0;
}

void
jcv_key_free(jcv_key *key)
{
	if (key == NULL)
		return;
	for (int i = 0; i < DIGEST_COUNT; i++)
		EVP_MAC_CTX_free(key->hmac[i]);
	EVP_PKEY_free(key->pkey);
	if (key->secret != NULL)
	{
		OPENSSL_cleanse(key->secret, key->secret_len);
		free(key->secret);
	}
	free(key->kid);
	free(key);
}

bool
jcv_key_fits(const jcv_key *key, const jcv_alg *alg)
{
	return key->type == alg->key_type &&
		(key->pinned_alg == NULL || key->pinned_alg == alg);
}

/*
 * HMAC through a context keyed once per key and digest: re-initialising it
 * keeps the key schedule, where the one-shot HMAC() fetches and keys anew.
 */
static jcv_verify_result
verify_hmac(jcv_key *key, const jcv_alg *alg, const unsigned char *input,
			size_t input_len, const unsigned char *signature, size_t signature_len)
{
	EVP_MAC_CTX *ctx = key->hmac[alg->digest];
	unsigned char expected[EVP_MAX_MD_SIZE];
	size_t		expected_len = 0;

	if (ctx == NULL)
	{
		OSSL_PARAM	params[2];

		if (fetched_hmac == NULL)
			fetched_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		if (fetched_hmac == NULL || (ctx = EVP_MAC_CTX_new(fetched_hmac)) == NULL)
			return JCV_VERIFY_OUT_OF_MEMORY;
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
													 (char *) digest_names[alg->digest], 0);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_MAC_init(ctx, key->secret, key->secret_len, params) != 1)
		{
			EVP_MAC_CTX_free(ctx);
			return JCV_VERIFY_OUT_OF_MEMORY;
		}
		key->hmac[alg->digest] = ctx;
	}
	else if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1)
		return JCV_VERIFY_OUT_OF_MEMORY;

	if (EVP_MAC_update(ctx, input, input_len) != 1 ||
		EVP_MAC_final(ctx, expected, &expected_len, sizeof(expected)) != 1)
		return JCV_VERIFY_OUT_OF_MEMORY;
	if (signature_len != expected_len ||
		CRYPTO_memcmp(expected, signature, expected_len) != 0)
		return JCV_VERIFY_BAD_SIGNATURE;
	return JCV_VERIFY_OK;
}

/* One DER INTEGER from an unsigned big-endian value; returns bytes written. */
static size_t
der_integer(const unsigned char *value, size_t len, unsigned char *out)
{
	size_t		start = 0;
	size_t		pos = 0;
	bool		needs_pad;

	while (start + 1 < len && value[start] == 0)
		start++;
	needs_pad = (value[start] & 0x80) != 0;
	out[pos++] = DER_INTEGER;
	out[pos++] = (unsigned char) (len - start + (needs_pad ? 1 : 0));
	if (needs_pad)
		out[pos++] = 0;
	memcpy(out + pos, value + start, len - start);
	return pos + len - start;
}

/*
 * JOSE's r || s (RFC 7518 section 3.4) as the DER SEQUENCE OpenSSL verifies,
 * which must be canonical: OpenSSL re-encodes it and refuses any other form.
 * Each INTEGER stays under 128 bytes; the two of P-521 may not, and then
 * the SEQUENCE takes the long form with one length byte.
 */
static size_t
ecdsa_jose_to_der(const unsigned char *jose, size_t half, unsigned char *der)
{
	unsigned char body[2 * DER_INTEGER_MAX];
	size_t		body_len;
	size_t		pos = 0;

	body_len = der_integer(jose, half, body);
	body_len += der_integer(jose + half, half, body + body_len);
	der[pos++] = DER_SEQUENCE;
	if (body_len > DER_SHORT_LENGTH_MAX)
		der[pos++] = DER_LONG_LENGTH_ONE_BYTE;
	der[pos++] = (unsigned char) body_len;
	memcpy(der + pos, body, body_len);
	return pos + body_len;
}

static jcv_verify_result
verify_with_pkey(jcv_key *key, const jcv_alg *alg, const unsigned char *input,
				 size_t input_len, const unsigned char *signature, size_t signature_len)
{
	unsigned char der[DER_ECDSA_MAX];
	EVP_MD_CTX *ctx;
	EVP_PKEY_CTX *pkey_ctx = NULL;
	const EVP_MD *digest = NULL;
	jcv_verify_result result = JCV_VERIFY_BAD_SIGNATURE;

	/* Exact lengths only: no DER for ECDSA, no short RSA signatures. */
	switch (alg->family)
	{
		case JCV_FAMILY_ECDSA:
			{
				size_t		half = ec_coordinate_bytes(key->type);

				if (signature_len != 2 * half)
					return JCV_VERIFY_BAD_SIGNATURE;
				signature_len = ecdsa_jose_to_der(signature, half, der);
				signature = der;
				break;
			}
		case JCV_FAMILY_RSA_PKCS1:
		case JCV_FAMILY_RSA_PSS:
			if (signature_len != (size_t) EVP_PKEY_get_size(key->pkey))
				return JCV_VERIFY_BAD_SIGNATURE;
			break;
		case JCV_FAMILY_EDDSA:
			if (signature_len != ED25519_SIGNATURE_BYTES)
				return JCV_VERIFY_BAD_SIGNATURE;
			break;
		case JCV_FAMILY_HMAC:
			return JCV_VERIFY_BAD_SIGNATURE;
	}

	if (alg->family != JCV_FAMILY_EDDSA && (digest = digest_of(alg)) == NULL)
		return JCV_VERIFY_OUT_OF_MEMORY;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return JCV_VERIFY_OUT_OF_MEMORY;
	if (EVP_DigestVerifyInit(ctx, &pkey_ctx, digest, NULL, key->pkey) != 1)
		result = JCV_VERIFY_OUT_OF_MEMORY;
	else if (alg->family == JCV_FAMILY_RSA_PSS &&
			 (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
			  EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		result = JCV_VERIFY_OUT_OF_MEMORY;
	else if (EVP_DigestVerify(ctx, signature, signature_len, input, input_len) == 1)
		result = JCV_VERIFY_OK;
	EVP_MD_CTX_free(ctx);
	/* A refused signature leaves reasons queued; they are not ours to keep. */
	if (result != JCV_VERIFY_OK)
		ERR_clear_error();
	return result;
}

jcv_verify_result
jcv_key_verify(jcv_key *key, const jcv_alg *alg, const unsigned char *input,
			   size_t input_len, const unsigned char *signature, size_t signature_len)
{
	if (!jcv_key_fits(key, alg))
		return JCV_VERIFY_BAD_SIGNATURE;
	if (alg->family == JCV_FAMILY_HMAC)
		return verify_hmac(key, alg, input, input_len, signature, signature_len);
	return verify_with_pkey(key, alg, input, input_len, signature, signature_len);
}

/* ---- Parsing ---- */

/* Where a parse failed, for the error sentence. */
typedef struct parse_context
{
	char	   *error;
	size_t		error_size;
	size_t		index;
	const char *kid;
} parse_context;

static void set_error(parse_context *cx, const char *format, ...)
			__attribute__((format(printf, 2, 3)));

static void
set_error(parse_context *cx, const char *format, ...)
{
	char		reason[256];
	va_list		args;

	va_start(args, format);
	vsnprintf(reason, sizeof(reason), format, args);
	va_end(args);
	if (cx->kid != NULL)
		snprintf(cx->error, cx->error_size, "keys[%zu] (kid \"%.*s\"): %s",
				 cx->index, MAX_KID_SHOWN, cx->kid, reason);
	else
		snprintf(cx->error, cx->error_size, "keys[%zu]: %s", cx->index, reason);
}

/*
 * A required base64url member, decoded into a fresh malloc'ed buffer.
 * expected_len 0 accepts any non-empty length.
 */
static unsigned char *
decode_member(parse_context *cx, json_t *jwk, const char *name,
			  size_t expected_len, size_t *len)
{
	json_t	   *member = json_object_get(jwk, name);
	const char *text;
	size_t		text_len;
	unsigned char *bytes;

	if (member == NULL)
	{
		set_error(cx, "member \"%s\" is missing", name);
		return NULL;
	}
	if (!json_is_string(member) || json_string_length(member) == 0)
	{
		set_error(cx, "member \"%s\" must be a non-empty base64url string", name);
		return NULL;
	}
	text = json_string_value(member);
	text_len = json_string_length(member);
	bytes = malloc(BASE64URL_DECODED_MAX(text_len));
	if (bytes == NULL)
	{
		set_error(cx, "out of memory");
		return NULL;
	}
	if (!base64url_decode(text, text_len, bytes, len))
		set_error(cx, "member \"%s\" is not canonical base64url (no padding)", name);
	else if (expected_len != 0 && *len != expected_len)
		set_error(cx, "member \"%s\" must be %zu bytes, not %zu", name, expected_len, *len);
	else
		return bytes;
	/* It may be (part of) an oct secret. */
	OPENSSL_cleanse(bytes, BASE64URL_DECODED_MAX(text_len));
	free(bytes);
	return NULL;
}

static EVP_PKEY *
pkey_from_params(const char *type_name, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type_name, NULL);
	EVP_PKEY   *pkey = NULL;

	if (ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* OpenSSL's own public-key check; for EC, that the point is on the curve. */
static bool
public_key_is_sound(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	bool		sound = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return sound;
}

static bool
is_odd_prime(unsigned int candidate)
{
	for (unsigned int divisor = 3; divisor * divisor <= candidate; divisor += 2)
	{
		if (candidate % divisor == 0)
			return false;
	}
	return true;
}

/*
 * ROCA (CVE-2017-15361, Nemec et al., CCS 2017): Infineon's RSA library made
 * primes whose modulus n is, mod every small prime p, a power of 65537; such
 * keys can be factored. The test is theirs, with the odd primes up to 167,
 * the ones that library used for every key size. A sound modulus shows the
 * fingerprint by chance about once in 2^28.
 */
static bool
has_roca_fingerprint(const BIGNUM *n)
{
	for (unsigned int p = 3; p <= ROCA_LARGEST_PRIME; p += 2)
	{
		unsigned int residue;
		unsigned int power = 1;
		bool		in_subgroup;

		if (!is_odd_prime(p))
			continue;
		/* p is never 0, BN_mod_word's one failure */
		residue = (unsigned int) BN_mod_word(n, p);
		do
		{
			in_subgroup = power == residue;
			power = power * (ROCA_GENERATOR % p) % p;
		} while (!in_subgroup && power != 1);
		if (!in_subgroup)
			return false;
	}
	return true;
}

static bool
parse_rsa(parse_context *cx, json_t *jwk, jcv_key *key)
{
	size_t		n_len = 0;
	size_t		e_len = 0;
	unsigned char *n_bytes = decode_member(cx, jwk, "n", 0, &n_len);
	unsigned char *e_bytes = n_bytes ? decode_member(cx, jwk, "e", 0, &e_len) : NULL;
	BIGNUM	   *n = NULL;
	BIGNUM	   *e = NULL;
	OSSL_PARAM_BLD *builder = NULL;
	OSSL_PARAM *params = NULL;
	bool		ok = false;

	if (e_bytes == NULL)
		goto done;
	n = BN_bin2bn(n_bytes, (int) n_len, NULL);
	e = BN_bin2bn(e_bytes, (int) e_len, NULL);
	builder = OSSL_PARAM_BLD_new();
	if (n == NULL || e == NULL || builder == NULL ||
		!OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, n) ||
		!OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, e) ||
		(params = OSSL_PARAM_BLD_to_param(builder)) == NULL)
	{
		set_error(cx, "out of memory");
		goto done;
	}
	/*
	 * An odd modulus and an odd exponent above 1. OpenSSL's public check
	 * would also run Miller-Rabin on n: milliseconds per key for nothing a
	 * verifier needs (a bad modulus only makes signatures fail).
	 */
	if (!BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e))
		set_error(cx, "\"n\" and \"e\" are not a valid RSA public key");
	else if ((key->pkey = pkey_from_params("RSA", params)) == NULL)
		set_error(cx, "\"n\" and \"e\" are not a valid RSA public key");
	else if (EVP_PKEY_get_bits(key->pkey) < MIN_RSA_BITS)
		set_error(cx, "RSA modulus has %d bits; at least %d are required",
				  EVP_PKEY_get_bits(key->pkey), MIN_RSA_BITS);
	else if (has_roca_fingerprint(n))
		set_error(cx, "RSA key has the ROCA fingerprint (CVE-2017-15361) and can be factored");
	else
		ok = true;

done:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(builder);
	BN_free(n);
	BN_free(e);
	free(n_bytes);
	free(e_bytes);
	return ok;
}

static bool
parse_ec(parse_context *cx, json_t *jwk, jcv_key *key)
{
	json_t	   *crv = json_object_get(jwk, "crv");
	const char *group;
	size_t		coordinate_len;
	size_t		x_len = 0;
	size_t		y_len = 0;
	unsigned char *x;
	unsigned char *y = NULL;
	unsigned char point[1 + 2 * MAX_EC_COORDINATE_BYTES];
	OSSL_PARAM	params[3];
	bool		ok = false;

	if (!json_is_string(crv))
	{
		set_error(cx, "member \"crv\" is missing");
		return false;
	}
	group = json_string_value(crv);
	if (strcmp(group, "P-256") == 0)
		key->type = JCV_KEY_EC_P256;
	else if (strcmp(group, "P-384") == 0)
		key->type = JCV_KEY_EC_P384;
	else if (strcmp(group, "P-521") == 0)
		key->type = JCV_KEY_EC_P521;
	else
	{
		set_error(cx, "curve \"%.32s\" is not supported (P-256, P-384 and P-521 are)", group);
		return false;
	}
	coordinate_len = ec_coordinate_bytes(key->type);

	x = decode_member(cx, jwk, "x", coordinate_len, &x_len);
	if (x != NULL)
		y = decode_member(cx, jwk, "y", coordinate_len, &y_len);
	if (y != NULL)
	{
		point[0] = EC_UNCOMPRESSED_POINT_TAG;
		memcpy(point + 1, x, coordinate_len);
		memcpy(point + 1 + coordinate_len, y, coordinate_len);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
													 (char *) group, 0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
													  point, 1 + 2 * coordinate_len);
		params[2] = OSSL_PARAM_construct_end();
		key->pkey = pkey_from_params("EC", params);
		if (key->pkey == NULL || !public_key_is_sound(key->pkey))
			set_error(cx, "\"x\" and \"y\" are not a point on %s", group);
		else
			ok = true;
	}
	free(x);
	free(y);
	return ok;
}

static bool
parse_okp(parse_context *cx, json_t *jwk, jcv_key *key)
{
	json_t	   *crv = json_object_get(jwk, "crv");
	size_t		x_len = 0;
	unsigned char *x;

	if (!json_is_string(crv))
	{
		set_error(cx, "member \"crv\" is missing");
		return false;
	}
	if (strcmp(json_string_value(crv), "Ed25519") != 0)
	{
		set_error(cx, "curve \"%.32s\" is not supported (Ed25519 is)", json_string_value(crv));
		return false;
	}
	key->type = JCV_KEY_ED25519;
	x = decode_member(cx, jwk, "x", ED25519_KEY_BYTES, &x_len);
	if (x == NULL)
		return false;
	key->pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, x_len);
	free(x);
	if (key->pkey == NULL)
	{
		set_error(cx, "\"x\" is not an Ed25519 public key");
		return false;
	}
	return true;
}

static bool
parse_oct(parse_context *cx, json_t *jwk, jcv_key *key)
{
	key->type = JCV_KEY_OCT;
	key->secret = decode_member(cx, jwk, "k", 0, &key->secret_len);
	return key->secret != NULL;
}

/* Whether "use" and "key_ops" allow verification; false with error set when mistyped. */
static bool
read_usage(parse_context *cx, json_t *jwk, bool *for_verification)
{
	json_t	   *use = json_object_get(jwk, "use");
	json_t	   *key_ops = json_object_get(jwk, "key_ops");
	json_t	   *ext = json_object_get(jwk, "ext");

	*for_verification = true;
	if (use != NULL)
	{
		if (!json_is_string(use))
		{
			set_error(cx, "member \"use\" must be a string");
			return false;
		}
		if (strcmp(json_string_value(use), "sig") != 0)
			*for_verification = false;
	}
	if (key_ops != NULL)
	{
		size_t		i;
		json_t	   *op;
		bool		verify = false;

		if (!json_is_array(key_ops))
		{
			set_error(cx, "member \"key_ops\" must be an array of strings");
			return false;
		}
		json_array_foreach(key_ops, i, op)
		{
			if (!json_is_string(op))
			{
				set_error(cx, "member \"key_ops\" must be an array of strings");
				return false;
			}
			if (strcmp(json_string_value(op), "verify") == 0)
				verify = true;
		}
		if (!verify)
			*for_verification = false;
	}
	if (ext != NULL && !json_is_boolean(ext))
	{
		set_error(cx, "member \"ext\" must be a boolean");
		return false;
	}
	return true;
}

/*
 * One JWK. Returns NULL with *dropped set for a key not meant for
 * verification, NULL with the error set when the key is refused.
 */
static jcv_key *
parse_jwk(parse_context *cx, json_t *jwk, bool *dropped)
{
	json_t	   *kid = json_object_get(jwk, "kid");
	json_t	   *kty = json_object_get(jwk, "kty");
	json_t	   *alg = json_object_get(jwk, "alg");
	const char *kty_name;
	bool		for_verification;
	bool		parsed;
	jcv_key    *key;

	*dropped = false;
	if (!json_is_object(jwk))
	{
		set_error(cx, "is not a JSON object");
		return NULL;
	}
	if (kid != NULL && !json_is_string(kid))
	{
		set_error(cx, "member \"kid\" must be a string");
		return NULL;
	}
	cx->kid = kid ? json_string_value(kid) : NULL;
	if (!json_is_string(kty))
	{
		set_error(cx, "member \"kty\" is missing");
		return NULL;
	}
	kty_name = json_string_value(kty);
	for (size_t i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
	{
		if (json_object_get(jwk, private_members[i]) != NULL)
		{
			set_error(cx, "holds private key material (member \"%s\"); configure public keys only",
					  private_members[i]);
			return NULL;
		}
	}
	if (!read_usage(cx, jwk, &for_verification))
		return NULL;
	if (!for_verification)
	{
		*dropped = true;
		return NULL;
	}
	if (alg != NULL && !json_is_string(alg))
	{
		set_error(cx, "member \"alg\" must be a string");
		return NULL;
	}

	key = calloc(1, sizeof(jcv_key));
	if (key == NULL || (cx->kid != NULL && (key->kid = strdup(cx->kid)) == NULL))
	{
		set_error(cx, "out of memory");
		jcv_key_free(key);
		return NULL;
	}
	if (strcmp(kty_name, "RSA") == 0)
	{
		key->type = JCV_KEY_RSA;
		parsed = parse_rsa(cx, jwk, key);
	}
	else if (strcmp(kty_name, "EC") == 0)
		parsed = parse_ec(cx, jwk, key);
	else if (strcmp(kty_name, "OKP") == 0)
		parsed = parse_okp(cx, jwk, key);
	else if (strcmp(kty_name, "oct") == 0)
		parsed = parse_oct(cx, jwk, key);
	else
	{
		set_error(cx, "kty \"%.32s\" is not supported (RSA, EC, OKP and oct are)", kty_name);
		parsed = false;
	}

	if (parsed && alg != NULL)
	{
		key->pinned_alg = jcv_alg_by_name(json_string_value(alg));
		if (key->pinned_alg == NULL)
		{
			set_error(cx, "alg \"%.32s\" is not supported", json_string_value(alg));
			parsed = false;
		}
		else if (key->pinned_alg->key_type != key->type)
		{
			set_error(cx, "alg \"%s\" cannot be used with this key type or curve",
					  key->pinned_alg->name);
			parsed = false;
		}
	}
	/* An unpinned secret is held to the shortest, HS256's. */
	if (parsed && key->type == JCV_KEY_OCT)
	{
		const jcv_alg *hmac = key->pinned_alg ? key->pinned_alg : jcv_alg_by_name("HS256");

		if (key->secret_len < digest_bytes[hmac->digest])
		{
			set_error(cx, "an oct key for %s must hold at least %zu bytes (RFC 7518 section 3.2)",
					  hmac->name, digest_bytes[hmac->digest]);
			parsed = false;
		}
	}
	if (!parsed)
	{
		jcv_key_free(key);
		return NULL;
	}
	return key;
}

jcv_jwks *
jcv_jwks_parse(const char *text, char *error, size_t error_size)
{
	json_error_t json_error;
	json_t	   *root;
	json_t	   *keys;
	jcv_jwks   *set = NULL;
	parse_context cx = {error, error_size, 0, NULL};

	root = json_loads(text, JSON_REJECT_DUPLICATES, &json_error);
	if (root == NULL)
	{
		/* jansson's text quotes the input, which may hold an oct secret. */
		snprintf(error, error_size, "not valid JSON (line %d, column %d)",
				 json_error.line, json_error.column);
		return NULL;
	}
	keys = json_object_get(root, "keys");
	if (!json_is_object(root) || !json_is_array(keys))
	{
		snprintf(error, error_size, "a JSON Web Key Set is an object with a \"keys\" array");
		json_decref(root);
		return NULL;
	}

	set = calloc(1, sizeof(jcv_jwks));
	if (set == NULL || (json_array_size(keys) > 0 &&
						(set->keys = calloc(json_array_size(keys), sizeof(jcv_key *))) == NULL))
	{
		snprintf(error, error_size, "out of memory");
		free(set);
		json_decref(root);
		return NULL;
	}

	for (cx.index = 0; cx.index < json_array_size(keys); cx.index++)
	{
		bool		dropped;
		jcv_key    *key;

		cx.kid = NULL;
		key = parse_jwk(&cx, json_array_get(keys, cx.index), &dropped);
		if (key == NULL && dropped)
			continue;
		if (key == NULL)
		{
			/* Reasons OpenSSL queued for a refused key are not ours to keep. */
			ERR_clear_error();
			jcv_jwks_free(set);
			json_decref(root);
			return NULL;
		}
		if (key->kid != NULL && jcv_jwks_find_kid(set, key->kid) != NULL)
		{
			set_error(&cx, "another verification key has the same kid");
			jcv_key_free(key);
			jcv_jwks_free(set);
			json_decref(root);
			return NULL;
		}
		set->keys[set->count++] = key;
	}
	json_decref(root);
	return set;
}

void
jcv_jwks_free(jcv_jwks *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->count; i++)
		jcv_key_free(set->keys[i]);
	free(set->keys);
	free(set);
}

size_t
jcv_jwks_count(const jcv_jwks *set)
{
	return set ? set->count : 0;
}

bool
jcv_jwks_has_secret_key(const jcv_jwks *set)
{
	for (size_t i = 0; i < set->count; i++)
	{
		if (set->keys[i]->type == JCV_KEY_OCT)
			return true;
	}
	return false;
}

jcv_key *
jcv_jwks_find_kid(const jcv_jwks *set, const char *kid)
{
	for (size_t i = 0; set != NULL && i < set->count; i++)
	{
		if (set->keys[i]->kid != NULL && strcmp(set->keys[i]->kid, kid) == 0)
			return set->keys[i];
	}
	return NULL;
}

jcv_key *
jcv_jwks_only_fit(const jcv_jwks *set, const jcv_alg *alg, bool *ambiguous)
{
	jcv_key    *found = NULL;

	*ambiguous = false;
	for (size_t i = 0; set != NULL && i < set->count; i++)
	{
		if (!jcv_key_fits(set->keys[i], alg))
			continue;
		if (found != NULL)
		{
			*ambiguous = true;
			return NULL;
		}
		found = set->keys[i];
	}
	return found;
}
