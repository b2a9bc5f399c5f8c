/*
 * jwt_verify.c
 *	  Parses and verifies an access token: strict JWS structure, header rules,
 *	  signature with the algorithm pinned by the key, then the claims.
 *
 * Order matters: nothing in the payload is looked at before the signature
 * holds, so an unsigned token learns nothing but "invalid".
 */
#include "jwt_verify.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base64url.h"

#define JSON_PARSE_FLAGS JSON_REJECT_DUPLICATES
#define BEARER_SCHEME "bearer"

/* A token split into its three base64url segments. */
typedef struct jws_parts
{
	const char *header;
	size_t		header_len;
	const char *payload;
	size_t		payload_len;
	const char *signature;
	size_t		signature_len;
	size_t		signing_input_len;	/* header '.' payload */
} jws_parts;

bool
jcv_keyring_is_empty(const jcv_keyring *keys)
{
	return keys->secret == NULL && jcv_jwks_count(keys->jwks) == 0;
}

const char *
jcv_status_message(jcv_status status)
{
	switch (status)
	{
		case JCV_OK:
			return "access token is valid";
		case JCV_MISSING:
			return "missing access token";
		case JCV_TOO_LARGE:
			return "access token is too large";
		case JCV_MALFORMED:
			return "malformed access token";
		case JCV_ALG_NOT_ALLOWED:
			return "access token algorithm is not allowed";
		case JCV_UNKNOWN_KEY:
			return "access token signing key is not known";
		case JCV_AMBIGUOUS_KEY:
			return "access token names no key id and several keys could verify it";
		case JCV_HEADER_REFUSED:
			return "access token header is not accepted";
		case JCV_BAD_SIGNATURE:
			return "invalid access token signature";
		case JCV_EXPIRED:
			return "access token has expired";
		case JCV_NOT_YET_VALID:
			return "access token is not yet valid";
		case JCV_BAD_AUDIENCE:
			return "access token audience is not accepted";
		case JCV_BAD_ISSUER:
			return "access token issuer is not accepted";
		case JCV_BAD_CLAIMS:
			return "access token claims are invalid";
		case JCV_OUT_OF_MEMORY:
			return "out of memory";
	}
	return "invalid access token";
}

static bool
split_jws(const char *token, size_t len, jws_parts *parts)
{
	const char *first = memchr(token, '.', len);
	const char *second;
	const char *end = token + len;

	if (first == NULL)
		return false;
	second = memchr(first + 1, '.', end - (first + 1));
	if (second == NULL || memchr(second + 1, '.', end - (second + 1)) != NULL)
		return false;

	parts->header = token;
	parts->header_len = first - token;
	parts->payload = first + 1;
	parts->payload_len = second - (first + 1);
	parts->signature = second + 1;
	parts->signature_len = end - (second + 1);
	parts->signing_input_len = second - token;

	/* An empty signature is an unsecured JWS: never accepted. */
	return parts->header_len > 0 && parts->payload_len > 0 &&
		parts->signature_len > 0;
}

/* Decodes one segment into buf and parses it as a JSON object. */
static json_t *
decode_json_object(const char *segment, size_t len, unsigned char *buf)
{
	size_t		decoded_len;
	json_t	   *value;
	json_error_t error;

	if (!base64url_decode(segment, len, buf, &decoded_len))
		return NULL;
	value = json_loadb((const char *) buf, decoded_len, JSON_PARSE_FLAGS, &error);
	if (value != NULL && !json_is_object(value))
	{
		json_decref(value);
		return NULL;
	}
	return value;
}

/*
 * The key for a token, following the rules in jwt_verify.h. The key must fit
 * the token's alg, so an RSA key never serves as an HMAC secret and a P-256
 * key never verifies ES384 (algorithm confusion).
 */
static jcv_status
select_key(const jcv_alg *alg, const char *kid, const jcv_keyring *keys,
		   jcv_key **key)
{
	bool		ambiguous;

	if (kid != NULL && (*key = jcv_jwks_find_kid(keys->jwks, kid)) != NULL)
		return jcv_key_fits(*key, alg) ? JCV_OK : JCV_ALG_NOT_ALLOWED;
	if (alg->family == JCV_FAMILY_HMAC && keys->secret != NULL)
	{
		*key = keys->secret;
		return JCV_OK;
	}
	if (kid != NULL)
		return JCV_UNKNOWN_KEY;
	*key = jcv_jwks_only_fit(keys->jwks, alg, &ambiguous);
	if (*key == NULL)
		return ambiguous ? JCV_AMBIGUOUS_KEY : JCV_ALG_NOT_ALLOWED;
	return JCV_OK;
}

/*
 * Header rules: alg names an algorithm we implement, typ (if any) is JWT,
 * no crit (we implement no extensions, so RFC 7515 says refuse); then the
 * key is chosen.
 */
static jcv_status
check_header(json_t *header, const jcv_keyring *keys, const jcv_alg **alg,
			 jcv_key **key)
{
	json_t	   *alg_value = json_object_get(header, "alg");
	json_t	   *typ = json_object_get(header, "typ");
	json_t	   *kid = json_object_get(header, "kid");

	if (!json_is_string(alg_value))
		return JCV_MALFORMED;
	if (typ != NULL &&
		(!json_is_string(typ) || strcasecmp(json_string_value(typ), "JWT") != 0))
		return JCV_HEADER_REFUSED;
	if (json_object_get(header, "crit") != NULL)
		return JCV_HEADER_REFUSED;
	if (kid != NULL && !json_is_string(kid))
		return JCV_MALFORMED;

	*alg = jcv_alg_by_name(json_string_value(alg_value));
	if (*alg == NULL)
		return JCV_ALG_NOT_ALLOWED;
	return select_key(*alg, kid ? json_string_value(kid) : NULL, keys, key);
}

static jcv_status
verify_signature(jcv_key *key, const jcv_alg *alg, const jws_parts *parts,
				 const unsigned char *signature, size_t signature_len)
{
	switch (jcv_key_verify(key, alg, (const unsigned char *) parts->header,
						   parts->signing_input_len, signature, signature_len))
	{
		case JCV_VERIFY_OK:
			return JCV_OK;
		case JCV_VERIFY_BAD_SIGNATURE:
			return JCV_BAD_SIGNATURE;
		case JCV_VERIFY_OUT_OF_MEMORY:
			return JCV_OUT_OF_MEMORY;
	}
	return JCV_BAD_SIGNATURE;
}

bool
jcv_copy_uuid(const char *text, size_t len, char out[JCV_UUID_TEXT_LEN + 1])
{
	if (text == NULL || len != JCV_UUID_TEXT_LEN)
		return false;
	for (int i = 0; i < JCV_UUID_TEXT_LEN; i++)
	{
		bool		hyphen_place = (i == 8 || i == 13 || i == 18 || i == 23);

		if (hyphen_place ? text[i] != '-' : !isxdigit((unsigned char) text[i]))
			return false;
		out[i] = (char) tolower((unsigned char) text[i]);
	}
	out[JCV_UUID_TEXT_LEN] = '\0';
	return true;
}

static bool
copy_uuid(json_t *value, char out[JCV_UUID_TEXT_LEN + 1])
{
	return json_is_string(value) &&
		jcv_copy_uuid(json_string_value(value), json_string_length(value), out);
}

static bool
audience_matches(json_t *aud, const char *audience)
{
	size_t		i;
	json_t	   *member;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), audience) == 0;
	if (!json_is_array(aud))
		return false;
	json_array_foreach(aud, i, member)
	{
		if (json_is_string(member) && strcmp(json_string_value(member), audience) == 0)
			return true;
	}
	return false;
}

/* A time claim, if present, is a JSON number (integer or fraction). */
static bool
read_time_claim(json_t *payload, const char *name, bool *present, double *value)
{
	json_t	   *claim = json_object_get(payload, name);

	*present = claim != NULL;
	if (claim == NULL)
		return true;
	if (!json_is_number(claim))
		return false;
	*value = json_number_value(claim);
	return isfinite(*value);
}

static jcv_status
check_claims(json_t *payload, const jcv_policy *policy, jcv_claims *claims)
{
	bool		present;
	double		exp,
				nbf,
				iat;
	json_t	   *session_id;

	if (!read_time_claim(payload, "exp", &present, &exp) || !present)
		return JCV_BAD_CLAIMS;
	if (!read_time_claim(payload, "nbf", &present, &nbf))
		return JCV_BAD_CLAIMS;
	if (present && nbf > policy->now + policy->leeway)
		return JCV_NOT_YET_VALID;
	if (!read_time_claim(payload, "iat", &present, &iat))
		return JCV_BAD_CLAIMS;
	if (present && iat > policy->now + policy->leeway)
		return JCV_NOT_YET_VALID;
	if (!(policy->now < exp + policy->leeway))
		return JCV_EXPIRED;

	if (policy->audience != NULL && policy->audience[0] != '\0' &&
		!audience_matches(json_object_get(payload, "aud"), policy->audience))
		return JCV_BAD_AUDIENCE;
	if (policy->issuer != NULL && policy->issuer[0] != '\0')
	{
		json_t	   *iss = json_object_get(payload, "iss");

		if (!json_is_string(iss) || strcmp(json_string_value(iss), policy->issuer) != 0)
			return JCV_BAD_ISSUER;
	}

	if (!copy_uuid(json_object_get(payload, "sub"), claims->sub))
		return JCV_BAD_CLAIMS;
	session_id = json_object_get(payload, "session_id");
	claims->has_session_id = false;
	if (session_id != NULL)
	{
		if (!copy_uuid(session_id, claims->session_id))
			return JCV_BAD_CLAIMS;
		claims->has_session_id = strcmp(claims->session_id, JCV_NIL_UUID) != 0;
	}
	claims->exp = exp;
	return JCV_OK;
}

jcv_status
jcv_verify_token(const char *token, size_t len, const jcv_keyring *keys,
				 const jcv_policy *policy, jcv_claims *claims)
{
	jws_parts	parts;
	unsigned char *buf;
	size_t		signature_len;
	json_t	   *header;
	json_t	   *payload;
	const jcv_alg *alg = NULL;
	jcv_key    *key = NULL;
	jcv_status	status;

	if (token == NULL || len == 0)
		return JCV_MISSING;
	if (len > policy->max_token_bytes)
		return JCV_TOO_LARGE;
	if (!split_jws(token, len, &parts))
		return JCV_MALFORMED;

	/* One scratch buffer, reused for each segment in turn. */
	buf = malloc(BASE64URL_DECODED_MAX(len));
	if (buf == NULL)
		return JCV_OUT_OF_MEMORY;

	header = decode_json_object(parts.header, parts.header_len, buf);
	if (header == NULL)
	{
		free(buf);
		return JCV_MALFORMED;
	}
	status = check_header(header, keys, &alg, &key);
	json_decref(header);

	if (status == JCV_OK)
	{
		if (!base64url_decode(parts.signature, parts.signature_len, buf, &signature_len))
			status = JCV_MALFORMED;
		else
			status = verify_signature(key, alg, &parts, buf, signature_len);
	}
	if (status == JCV_OK)
	{
		payload = decode_json_object(parts.payload, parts.payload_len, buf);
		if (payload == NULL)
			status = JCV_MALFORMED;
		else
		{
			status = check_claims(payload, policy, claims);
			json_decref(payload);
		}
	}
	free(buf);
	return status;
}

bool
jcv_strip_bearer_scheme(const char **token, size_t *len)
{
	size_t		scheme_len = strlen(BEARER_SCHEME);
	size_t		i;

	if (*len <= scheme_len || strncasecmp(*token, BEARER_SCHEME, scheme_len) != 0 ||
		(*token)[scheme_len] != ' ')
		return false;
	for (i = scheme_len; i < *len && (*token)[i] == ' '; i++)
		;
	*token += i;
	*len -= i;
	return true;
}

char *
jcv_authorization_from_headers(const char *headers_json)
{
	json_error_t error;
	json_t	   *headers;
	json_t	   *authorization;
	char	   *value = NULL;

	if (headers_json == NULL || headers_json[0] == '\0')
		return NULL;
	headers = json_loads(headers_json, JSON_PARSE_FLAGS, &error);
	if (headers == NULL)
		return NULL;
	authorization = json_object_get(headers, "authorization");
	if (json_is_string(authorization))
		value = strdup(json_string_value(authorization));
	json_decref(headers);
	return value;
}
