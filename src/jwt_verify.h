/*
 * jwt_verify.h
 *	  Verification of Supabase Auth access tokens (JWS compact form).
 *
 * Pure C (OpenSSL): no PostgreSQL headers, so the parser can be
 * fuzzed and unit-tested alone. The algorithm is always decided by the
 * configured key, never by the token's header.
 */
#ifndef JCV_JWT_VERIFY_H
#define JCV_JWT_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "json_scan.h"
#include "jwks.h"

#define JCV_UUID_TEXT_LEN 36
#define JCV_UUID_BYTES 16
/* GoTrue's "no session" session_id */
#define JCV_NIL_UUID "00000000-0000-0000-0000-000000000000"

typedef enum jcv_status
{
	JCV_OK = 0,
	JCV_MISSING,				/* no token at all */
	JCV_TOO_LARGE,				/* over the configured byte cap */
	JCV_MALFORMED,				/* not three strict base64url JSON parts */
	JCV_ALG_NOT_ALLOWED,		/* none, unknown, or not one the keys allow */
	JCV_UNKNOWN_KEY,			/* kid names no configured key */
	JCV_AMBIGUOUS_KEY,			/* no kid, and several keys fit its alg */
	JCV_HEADER_REFUSED,			/* typ other than JWT, or crit present */
	JCV_BAD_SIGNATURE,
	JCV_EXPIRED,
	JCV_NOT_YET_VALID,			/* nbf in the future (iat is not checked) */
	JCV_BAD_AUDIENCE,
	JCV_BAD_ISSUER,
	JCV_BAD_CLAIMS,				/* exp/sub/session_id missing or mistyped */
	JCV_OUT_OF_MEMORY
} jcv_status;

/*
 * Keys a token may be verified with. Selection (see select_key in
 * jwt_verify.c): a kid found in the JWKS picks that key, which must fit the
 * token's alg; an HS* token whose kid is absent or not in the JWKS uses the
 * secret (Supabase Auth's legacy key, whose kid its public JWKS omits); any
 * other token without a kid needs exactly one JWKS key that fits its alg.
 */
typedef struct jcv_keyring
{
	jcv_key    *secret;			/* jwt_secret as an HMAC key; NULL when unset */
	const jcv_jwks *jwks;		/* NULL when unset */
} jcv_keyring;

/* Claim rules; strings empty or NULL mean "not checked". */
typedef struct jcv_policy
{
	const char *audience;
	const char *issuer;
	double		now;			/* seconds since the Unix epoch */
	double		leeway;			/* seconds of clock skew allowed */
	size_t		max_token_bytes;
} jcv_policy;

/* What the database side needs from a verified token. */
typedef struct jcv_claims
{
	char		sub[JCV_UUID_TEXT_LEN + 1];	/* lower-case uuid text */
	bool		has_session_id;				/* false also for null, "" and the nil uuid */
	char		session_id[JCV_UUID_TEXT_LEN + 1];
	double		exp;
} jcv_claims;

extern bool jcv_keyring_is_empty(const jcv_keyring *keys);

extern jcv_status jcv_verify_token(const char *token, size_t len,
								   const jcv_keyring *keys,
								   const jcv_policy *policy,
								   jcv_claims *claims);

/*
 * The JWS layer of jcv_verify_token alone, for conformance tests of plain
 * JWS (test/wycheproof/): size cap, structure, header rules, key selection,
 * signature, and the payload's strict base64url; the payload need not be
 * JSON and holds no claims to check.
 */
extern jcv_status jcv_verify_jws(const char *token, size_t len,
								 const jcv_keyring *keys, size_t max_token_bytes);

/*
 * Checks that text is a canonical 8-4-4-4-12 hex uuid and copies it to out
 * in lower case (GoTrue writes lower case; PostgreSQL prints it).
 */
extern bool jcv_copy_uuid(const char *text, size_t len, char out[JCV_UUID_TEXT_LEN + 1]);

/* The 16 bytes of a uuid text that jcv_copy_uuid has checked and lowered. */
extern void jcv_uuid_bytes(const char text[JCV_UUID_TEXT_LEN + 1],
						   unsigned char out[JCV_UUID_BYTES]);

/* As jcv_copy_uuid, for a JSON string value (unescaped first). */
extern bool jcv_copy_uuid_value(const json_scan_value *value,
								char out[JCV_UUID_TEXT_LEN + 1]);

/* A short, token-free sentence for each status. */
extern const char *jcv_status_message(jcv_status status);

/*
 * Strips a case-insensitive "Bearer" scheme and the spaces after it from
 * *token, in place; returns whether there was one.
 */
extern bool jcv_strip_bearer_scheme(const char **token, size_t *len);

/*
 * The value of the "authorization" member of PostgREST's request.headers
 * JSON, malloc'ed, or NULL when absent or the JSON is unusable (or longer
 * than JCV_MAX_REQUEST_JSON_BYTES, request_claims.h).
 */
extern char *jcv_authorization_from_headers(const char *headers_json);

#endif							/* JCV_JWT_VERIFY_H */
