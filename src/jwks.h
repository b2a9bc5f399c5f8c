/*
 * jwks.h
 *	  Verification keys: JSON Web Key Sets parsed once into OpenSSL key
 *	  objects, the JWS algorithms they serve, and signature verification.
 *
 * Pure C (jansson, OpenSSL 3): no PostgreSQL headers. Objects here are not
 * thread-safe: a key keeps reusable OpenSSL contexts for its own use.
 */
#ifndef JCV_JWKS_H
#define JCV_JWKS_H

#include <stdbool.h>
#include <stddef.h>

/* What a key is, which decides the algorithms it may verify. */
typedef enum jcv_key_type
{
	JCV_KEY_OCT,				/* HMAC secret */
	JCV_KEY_RSA,
	JCV_KEY_EC_P256,
	JCV_KEY_EC_P384,
	JCV_KEY_EC_P521,
	JCV_KEY_ED25519
} jcv_key_type;

typedef enum jcv_alg_family
{
	JCV_FAMILY_HMAC,
	JCV_FAMILY_RSA_PKCS1,
	JCV_FAMILY_RSA_PSS,
	JCV_FAMILY_ECDSA,
	JCV_FAMILY_EDDSA
} jcv_alg_family;

/* A JWS algorithm we verify (RFC 7518 section 3, RFC 8037 for EdDSA). */
typedef struct jcv_alg
{
	const char *name;
	jcv_alg_family family;
	jcv_key_type key_type;		/* the only key type it may use */
	int			digest;			/* index into the fetched digests; unused for EdDSA */
} jcv_alg;

typedef struct jcv_key jcv_key;
typedef struct jcv_jwks jcv_jwks;

/* The algorithm with this exact JWS name, or NULL. */
extern const jcv_alg *jcv_alg_by_name(const char *name);

/* An HMAC key from a secret (jcv_logout.jwt_secret_file); NULL when out of memory. */
extern jcv_key *jcv_hmac_key_new(const unsigned char *secret, size_t secret_len);
extern void jcv_key_free(jcv_key *key);

/* Whether an HMAC key holds exactly this secret (to reuse it across calls). */
extern bool jcv_hmac_key_matches(const jcv_key *key, const unsigned char *secret,
								 size_t secret_len);

/*
 * Whether the key may verify the algorithm: its type is the algorithm's,
 * and a key with an "alg" member is pinned to that one algorithm.
 */
extern bool jcv_key_fits(const jcv_key *key, const jcv_alg *alg);

typedef enum jcv_verify_result
{
	JCV_VERIFY_OK,
	JCV_VERIFY_BAD_SIGNATURE,
	JCV_VERIFY_OUT_OF_MEMORY
} jcv_verify_result;

/*
 * Verifies signature over input with a key that fits alg. ECDSA signatures
 * must be the JOSE form, r || s of exactly the curve's size each.
 */
extern jcv_verify_result jcv_key_verify(jcv_key *key, const jcv_alg *alg,
										const unsigned char *input, size_t input_len,
										const unsigned char *signature,
										size_t signature_len);

/*
 * Parses a JSON Web Key Set. On failure returns NULL and writes a sentence
 * naming the bad key (by index, and kid when it has one) into error; the
 * sentence never holds key material.
 */
extern jcv_jwks *jcv_jwks_parse(const char *text, char *error, size_t error_size);
extern void jcv_jwks_free(jcv_jwks *set);

/* Number of keys used for verification (keys for other uses are dropped). */
extern size_t jcv_jwks_count(const jcv_jwks *set);

/* Whether the set holds a symmetric (oct) key: then the set is a secret. */
extern bool jcv_jwks_has_secret_key(const jcv_jwks *set);

/* The verification key with this kid, or NULL. */
extern jcv_key *jcv_jwks_find_kid(const jcv_jwks *set, const char *kid);

/*
 * The one key that fits alg, for tokens without a kid; NULL when none or
 * more than one fits (*ambiguous tells which).
 */
extern jcv_key *jcv_jwks_only_fit(const jcv_jwks *set, const jcv_alg *alg,
								  bool *ambiguous);

#endif							/* JCV_JWKS_H */
