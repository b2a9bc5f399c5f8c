/*
 * jwt_verify.c
 *	  Parses and verifies an access token: strict JWS structure, header rules,
 *	  signature with the algorithm pinned by the key, then the claims.
 *
 * Order matters: nothing in the payload is looked at before the signature
 * holds, so an unsigned token learns nothing but "invalid".
 */
#include "jwt_verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64url.h"
#include "json_scan.h"
#include "request_claims.h"

#define BEARER_SCHEME "bearer"
#define TOKEN_TYPE "JWT"
/* Longer than any algorithm name we implement: such an alg is unknown. */
#define ALG_NAME_BUFFER 16
/* Scratch space for tokens up to about this size lives on the stack. */
#define STACK_SCRATCH_BYTES 4096

/* Header members we read, in the order of header_members(). */
enum
{
	HEADER_ALG, HEADER_TYP, HEADER_KID, HEADER_CRIT, HEADER_MEMBER_COUNT
};

/* Claims we read, in the order of claim_members(). */
enum
{
	CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_AUD, CLAIM_ISS, CLAIM_SUB,
	CLAIM_SESSION_ID, CLAIM_MEMBER_COUNT
};

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

/*
 * Decodes one segment into buf and scans it as a JSON object, filling the
 * members (whose values then point into buf).
 */
static bool
decode_json_object(const char *segment, size_t len, unsigned char *buf,
				   json_scan_member *members, size_t member_count)
{
	size_t		decoded_len;

	return base64url_decode(segment, len, buf, &decoded_len) &&
		json_scan_object((const char *) buf, decoded_len, members, member_count);
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
 * key is chosen. kid_buf (as long as the header) receives the kid unescaped.
 */
static jcv_status
check_header(const json_scan_member *header, const jcv_keyring *keys,
			 char *kid_buf, size_t kid_buf_size, const jcv_alg **alg, jcv_key **key)
{
	const json_scan_value *typ = &header[HEADER_TYP].value;
	const json_scan_value *kid = &header[HEADER_KID].value;
	char		alg_name[ALG_NAME_BUFFER];
	size_t		unused_len;

	if (header[HEADER_ALG].value.type != JSON_SCAN_STRING)
		return JCV_MALFORMED;
	if (typ->type != JSON_SCAN_ABSENT &&
		!json_scan_string_equals_ascii_nocase(typ, TOKEN_TYPE, strlen(TOKEN_TYPE)))
		return JCV_HEADER_REFUSED;
	if (header[HEADER_CRIT].value.type != JSON_SCAN_ABSENT)
		return JCV_HEADER_REFUSED;
	if (kid->type != JSON_SCAN_ABSENT && kid->type != JSON_SCAN_STRING)
		return JCV_MALFORMED;

	if (!json_scan_string_copy(&header[HEADER_ALG].value, alg_name, sizeof(alg_name),
							   &unused_len) ||
		(*alg = jcv_alg_by_name(alg_name)) == NULL)
		return JCV_ALG_NOT_ALLOWED;
	if (kid->type == JSON_SCAN_ABSENT)
		return select_key(*alg, NULL, keys, key);
	if (!json_scan_string_copy(kid, kid_buf, kid_buf_size, &unused_len))
		return JCV_MALFORMED;	/* cannot happen: kid_buf is as long as the header */
	return select_key(*alg, kid_buf, keys, key);
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
		char		c = text[i];

		/* ASCII rules, not the locale's (isxdigit may take more). */
		if (c >= 'A' && c <= 'F')
			c += 'a' - 'A';
		if (hyphen_place ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = c;
	}
	out[JCV_UUID_TEXT_LEN] = '\0';
	return true;
}

void
jcv_uuid_bytes(const char text[JCV_UUID_TEXT_LEN + 1], unsigned char out[JCV_UUID_BYTES])
{
	int			digits = 0;

	for (int i = 0; i < JCV_UUID_TEXT_LEN; i++)
	{
		char		c = text[i];
		int			nibble = c <= '9' ? c - '0' : c - 'a' + 10;

		if (c == '-')
			continue;
		if (digits % 2 == 0)
			out[digits / 2] = (unsigned char) (nibble << 4);
		else
			out[digits / 2] |= (unsigned char) nibble;
		digits++;
	}
}

bool
jcv_copy_uuid_value(const json_scan_value *value, char out[JCV_UUID_TEXT_LEN + 1])
{
	char		text[JCV_UUID_TEXT_LEN + 1];
	size_t		len;

	/* A longer string does not fit text, and is no uuid either. */
	return json_scan_string_copy(value, text, sizeof(text), &len) &&
		jcv_copy_uuid(text, len, out);
}

static bool
audience_matches(const json_scan_value *aud, const char *audience)
{
	const char *cursor = NULL;
	json_scan_value member;
	size_t		audience_len = strlen(audience);

	if (aud->type == JSON_SCAN_STRING)
		return json_scan_string_equals(aud, audience, audience_len);
	while (json_scan_array_next(aud, &cursor, &member))
	{
		if (json_scan_string_equals(&member, audience, audience_len))
			return true;
	}
	return false;
}

/* A time claim, if present, is a JSON number (integer or fraction). */
static bool
read_time_claim(const json_scan_value *claim, bool *present, double *value)
{
	*present = claim->type != JSON_SCAN_ABSENT;
	if (!*present)
		return true;
	if (claim->type != JSON_SCAN_NUMBER)
		return false;
	*value = json_scan_number(claim);
	return isfinite(*value);
}

static jcv_status
check_claims(const json_scan_member *payload, const jcv_policy *policy,
			 jcv_claims *claims)
{
	bool		present;
	double		exp,
				nbf,
				iat;
	const json_scan_value *session_id = &payload[CLAIM_SESSION_ID].value;

	if (!read_time_claim(&payload[CLAIM_EXP].value, &present, &exp) || !present)
		return JCV_BAD_CLAIMS;
	if (!read_time_claim(&payload[CLAIM_NBF].value, &present, &nbf))
		return JCV_BAD_CLAIMS;
	if (present && nbf > policy->now + policy->leeway)
		return JCV_NOT_YET_VALID;
	/*
	 * iat is never a reason to refuse: Supabase Auth does not check it
	 * (golang-jwt v5's defaults), and its clock may run ahead of the
	 * database's. Like golang-jwt, it must still be a number when present.
	 */
	if (!read_time_claim(&payload[CLAIM_IAT].value, &present, &iat))
		return JCV_BAD_CLAIMS;
	if (!(policy->now < exp + policy->leeway))
		return JCV_EXPIRED;

	if (policy->audience != NULL && policy->audience[0] != '\0' &&
		!audience_matches(&payload[CLAIM_AUD].value, policy->audience))
		return JCV_BAD_AUDIENCE;
	if (policy->issuer != NULL && policy->issuer[0] != '\0' &&
		!json_scan_string_equals(&payload[CLAIM_ISS].value, policy->issuer,
								 strlen(policy->issuer)))
		return JCV_BAD_ISSUER;

	if (!jcv_copy_uuid_value(&payload[CLAIM_SUB].value, claims->sub))
		return JCV_BAD_CLAIMS;
	claims->has_session_id = false;
	/*
	 * GoTrue reads session_id into a Go string: null leaves it "", and ""
	 * (a custom access token hook may write it) or the nil uuid is no
	 * session, as an absent claim.
	 */
	if (session_id->type != JSON_SCAN_ABSENT && session_id->type != JSON_SCAN_NULL &&
		!json_scan_string_equals(session_id, "", 0))
	{
		if (!jcv_copy_uuid_value(session_id, claims->session_id))
			return JCV_BAD_CLAIMS;
		claims->has_session_id = strcmp(claims->session_id, JCV_NIL_UUID) != 0;
	}
	claims->exp = exp;
	return JCV_OK;
}

/*
 * jcv_verify_token; with policy NULL, jcv_verify_jws: the payload is decoded
 * but not read.
 */
static jcv_status
verify_token(const char *token, size_t len, const jcv_keyring *keys,
			 size_t max_token_bytes, const jcv_policy *policy, jcv_claims *claims)
{
	jws_parts	parts;
	unsigned char stack_scratch[STACK_SCRATCH_BYTES];
	unsigned char *buf;
	char	   *kid_buf;
	size_t		decoded_max = BASE64URL_DECODED_MAX(len);
	size_t		signature_len;
	size_t		payload_len;
	json_scan_member header[HEADER_MEMBER_COUNT] = {
		[HEADER_ALG] = {.name = "alg"},
		[HEADER_TYP] = {.name = "typ"},
		[HEADER_KID] = {.name = "kid"},
		[HEADER_CRIT] = {.name = "crit"},
	};
	json_scan_member payload[CLAIM_MEMBER_COUNT] = {
		[CLAIM_EXP] = {.name = "exp"},
		[CLAIM_NBF] = {.name = "nbf"},
		[CLAIM_IAT] = {.name = "iat"},
		[CLAIM_AUD] = {.name = "aud"},
		[CLAIM_ISS] = {.name = "iss"},
		[CLAIM_SUB] = {.name = "sub"},
		[CLAIM_SESSION_ID] = {.name = "session_id"},
	};
	const jcv_alg *alg = NULL;
	jcv_key    *key = NULL;
	jcv_status	status;

	if (token == NULL || len == 0)
		return JCV_MISSING;
	if (len > max_token_bytes)
		return JCV_TOO_LARGE;
	if (!split_jws(token, len, &parts))
		return JCV_MALFORMED;

	/*
	 * One scratch buffer, reused for each segment in turn, and room after it
	 * for the kid unescaped (never longer than the decoded header).
	 */
	buf = (2 * decoded_max + 1 <= sizeof(stack_scratch)) ? stack_scratch
		: malloc(2 * decoded_max + 1);
	if (buf == NULL)
		return JCV_OUT_OF_MEMORY;
	kid_buf = (char *) buf + decoded_max;

	if (!decode_json_object(parts.header, parts.header_len, buf, header,
							HEADER_MEMBER_COUNT))
	{
		if (buf != stack_scratch)
			free(buf);
		return JCV_MALFORMED;
	}
	status = check_header(header, keys, kid_buf, decoded_max + 1, &alg, &key);

	if (status == JCV_OK)
	{
		if (!base64url_decode(parts.signature, parts.signature_len, buf, &signature_len))
			status = JCV_MALFORMED;
		else
			status = verify_signature(key, alg, &parts, buf, signature_len);
	}
	if (status == JCV_OK)
	{
		if (!base64url_decode(parts.payload, parts.payload_len, buf, &payload_len))
			status = JCV_MALFORMED;
		else if (policy != NULL)
		{
			if (!json_scan_object((const char *) buf, payload_len, payload,
								  CLAIM_MEMBER_COUNT))
				status = JCV_MALFORMED;
			else
				status = check_claims(payload, policy, claims);
		}
	}
	if (buf != stack_scratch)
		free(buf);
	return status;
}

jcv_status
jcv_verify_token(const char *token, size_t len, const jcv_keyring *keys,
				 const jcv_policy *policy, jcv_claims *claims)
{
	return verify_token(token, len, keys, policy->max_token_bytes, policy, claims);
}

jcv_status
jcv_verify_jws(const char *token, size_t len, const jcv_keyring *keys,
			   size_t max_token_bytes)
{
	return verify_token(token, len, keys, max_token_bytes, NULL, NULL);
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
	json_scan_member authorization = {.name = "authorization"};
	const json_scan_value *header = &authorization.value;
	char	   *value;
	size_t		value_len;
	size_t		len;

	if (headers_json == NULL || headers_json[0] == '\0')
		return NULL;
	len = strnlen(headers_json, JCV_MAX_REQUEST_JSON_BYTES + 1);
	if (len > JCV_MAX_REQUEST_JSON_BYTES ||
		!json_scan_object(headers_json, len, &authorization, 1) ||
		header->type != JSON_SCAN_STRING)
		return NULL;
	value = malloc(header->len + 1);
	if (value != NULL && !json_scan_string_copy(header, value, header->len + 1, &value_len))
	{
		free(value);
		value = NULL;
	}
	return value;
}
