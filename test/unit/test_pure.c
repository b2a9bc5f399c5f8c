/*
 * test_pure.c
 *	  Unit tests of the pure token code (src/base64url.c, src/jwt_verify.c,
 *	  src/json_scan.c, src/request_claims.c) at its edges: base64url
 *	  canonical form, Bearer stripping, the request.headers and
 *	  request.jwt.claims readers and their size cap, duplicate names in
 *	  objects too large for the scanner's key stack, uuid rules and time
 *	  claims at the boundaries.
 *	  Prints "unit_<case> ... ok|FAILED" per case (test/run_all.sh counts
 *	  them); exits 1 if any failed. Run: bash test/unit/run.sh
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "json_scan.h"
#include "jwks.h"
#include "jwt_verify.h"
#include "request_claims.h"
#include "token_signing.h"

#define SECRET "unit-test-secret-with-at-least-32-characters"
#define NOW 1764000000.0
#define ALICE "11111111-1111-4111-8111-111111111111"
#define SESSION "aaaaaaaa-0000-4000-8000-000000000001"
#define MAX_TOKEN 8192
#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
/* More members than the scanner's key stack holds (KEY_STACK_CAPACITY). */
#define BEYOND_KEY_STACK 200
#define HOSTILE_MEMBERS 40000
#define HUGE_MEMBERS 160000
/* Room for one member "NAME":0, written by object_of. */
#define MEMBER_ROOM 48
/* Distinct names of one length, sharing their first and last eight bytes. */
#define SAME_EDGES_NAME "aaaaaaaa%06ldzzzzzzzz"
#define NESTING_DEPTH 1000

static int	failures = 0;

static void
check(const char *name, int ok)
{
	printf("unit_%s ... %s\n", name, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

/* An HS256 token over exact header and payload JSON. */
static char *
sign(const char *header, const char *payload)
{
	char	   *token = malloc(2 * (strlen(header) + strlen(payload)) + 128);
	size_t		len = test_base64url_encode((const unsigned char *) header, strlen(header), token);

	token[len++] = '.';
	len += test_base64url_encode((const unsigned char *) payload, strlen(payload), token + len);
	test_hs256_sign(SECRET, token, len);
	return token;
}

static jcv_status
verify_with(const char *payload, double leeway, jcv_claims *claims)
{
	jcv_keyring keys = {test_hmac_key(SECRET), NULL};
	jcv_policy	policy = {"authenticated", NULL, NOW, leeway, MAX_TOKEN};
	char	   *token = sign(HS256_HEADER, payload);
	jcv_status	status = jcv_verify_token(token, strlen(token), &keys, &policy, claims);

	free(token);
	return status;
}

/* Claims with the given exp/nbf/iat JSON text (NULL: left out). */
static jcv_status
verify_times(const char *exp, const char *nbf, const char *iat, double leeway)
{
	char		payload[512];
	jcv_claims	claims;

	snprintf(payload, sizeof(payload),
			 "{\"aud\":\"authenticated\",\"sub\":\"" ALICE "\"%s%s%s%s%s%s}",
			 exp ? ",\"exp\":" : "", exp ? exp : "",
			 nbf ? ",\"nbf\":" : "", nbf ? nbf : "",
			 iat ? ",\"iat\":" : "", iat ? iat : "");
	return verify_with(payload, leeway, &claims);
}

static jcv_status
verify_ids(const char *sub, const char *session_id, jcv_claims *claims)
{
	char		payload[512];

	snprintf(payload, sizeof(payload),
			 "{\"aud\":\"authenticated\",\"exp\":4102444800,\"sub\":%s%s%s}",
			 sub, session_id ? ",\"session_id\":" : "", session_id ? session_id : "");
	return verify_with(payload, 0, claims);
}

static int
decodes_to(const char *text, size_t text_len, const char *expected, size_t expected_len)
{
	unsigned char buf[BASE64URL_DECODED_MAX(64)];
	size_t		len = 0;

	if (!base64url_decode(text, text_len, buf, &len))
		return expected == NULL;
	return expected != NULL && len == expected_len && memcmp(buf, expected, len) == 0;
}

static void
test_base64url(void)
{
	unsigned char all[256];
	char		text[400];
	unsigned char back[BASE64URL_DECODED_MAX(400)];
	size_t		text_len,
				back_len = 0;
	int			round_trips = 1;

	check("b64_empty", decodes_to("", 0, "", 0));
	check("b64_one_char_refused", decodes_to("A", 1, NULL, 0));
	check("b64_five_chars_refused", decodes_to("AAAAA", 5, NULL, 0));
	check("b64_two_chars", decodes_to("AA", 2, "\0", 1));
	check("b64_two_chars_nonzero_tail_refused", decodes_to("AB", 2, NULL, 0));
	check("b64_three_chars", decodes_to("AAA", 3, "\0\0", 2));
	check("b64_three_chars_nonzero_tail_refused", decodes_to("AAB", 3, NULL, 0));
	check("b64_url_alphabet", decodes_to("-_8", 3, "\xfb\xff", 2));
	check("b64_standard_alphabet_refused", decodes_to("+/8", 3, NULL, 0));
	check("b64_padding_refused", decodes_to("AA==", 4, NULL, 0));
	check("b64_space_refused", decodes_to("A AA", 4, NULL, 0));
	check("b64_nul_refused", decodes_to("A\0AA", 4, NULL, 0));
	check("b64_high_byte_refused", decodes_to("AA\xff" "A", 4, NULL, 0));

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char) i;
	for (size_t len = 0; len <= sizeof(all) && round_trips; len++)
	{
		text_len = test_base64url_encode(all, len, text);
		round_trips = base64url_decode(text, text_len, back, &back_len) &&
			back_len == len && memcmp(back, all, len) == 0;
	}
	check("b64_round_trip_every_length", round_trips);
}

static int
strips_to(const char *value, int expect_scheme, const char *expected)
{
	const char *token = value;
	size_t		len = strlen(value);
	int			had_scheme = jcv_strip_bearer_scheme(&token, &len);

	if (had_scheme != expect_scheme)
		return 0;
	return len == strlen(expected) && strncmp(token, expected, len) == 0;
}

static void
test_bearer(void)
{
	check("bearer_stripped", strips_to("Bearer abc", 1, "abc"));
	check("bearer_any_case", strips_to("bEaReR abc", 1, "abc"));
	check("bearer_many_spaces", strips_to("Bearer    abc", 1, "abc"));
	check("bearer_alone_not_a_scheme", strips_to("Bearer", 0, "Bearer"));
	check("bearer_space_only_empty_token", strips_to("Bearer ", 1, ""));
	check("bearer_without_space_kept", strips_to("Bearerabc", 0, "Bearerabc"));
	check("bearer_tab_kept", strips_to("Bearer\tabc", 0, "Bearer\tabc"));
	check("basic_kept", strips_to("Basic abc", 0, "Basic abc"));
	check("bearer_empty_input", strips_to("", 0, ""));
	check("bearer_short_input", strips_to("Bear", 0, "Bear"));
}

static int
header_is(const char *json, const char *expected)
{
	char	   *value = jcv_authorization_from_headers(json);
	int			ok = (value == NULL) ? expected == NULL
		: (expected != NULL && strcmp(value, expected) == 0);

	free(value);
	return ok;
}

static void
test_headers(void)
{
	check("headers_null", header_is(NULL, NULL));
	check("headers_empty", header_is("", NULL));
	check("headers_not_json", header_is("not json", NULL));
	check("headers_authorization", header_is("{\"authorization\":\"Bearer x\"}", "Bearer x"));
	check("headers_name_is_lower_case", header_is("{\"Authorization\":\"Bearer x\"}", NULL));
	check("headers_value_not_string", header_is("{\"authorization\":1}", NULL));
	check("headers_duplicated", header_is("{\"authorization\":\"a\",\"authorization\":\"b\"}", NULL));
	check("headers_array", header_is("[\"authorization\",\"x\"]", NULL));
	check("headers_nul_escape", header_is("{\"authorization\":\"a\\u0000b\"}", NULL));
}

/*
 * The object {"NAME0":0,...,"NAMEn-1":0 TAIL} with names from name_format
 * and the member's index; TAIL is more members (",..." or "").
 */
static char *
object_of(long count, const char *name_format, const char *tail)
{
	char	   *text = malloc(count * MEMBER_ROOM + strlen(tail) + 3);
	char	   *p = text;

	*p++ = '{';
	for (long i = 0; i < count; i++)
	{
		if (i > 0)
			*p++ = ',';
		*p++ = '"';
		p += sprintf(p, name_format, i);
		p += sprintf(p, "\":0");
	}
	sprintf(p, "%s}", tail);
	return text;
}

static int
scans(const char *text)
{
	return json_scan_object(text, strlen(text), NULL, 0);
}

/* Whether object_of(count, name_format, tail) scans as expected; freed. */
static int
object_scans(long count, const char *name_format, const char *tail, int expected)
{
	char	   *text = object_of(count, name_format, tail);
	int			ok = scans(text) == expected;

	free(text);
	return ok;
}

/* format with each %s replaced by text, malloc'ed */
static char *
compose(const char *format, const char *text, int uses)
{
	char	   *out = malloc(strlen(format) + uses * strlen(text) + 1);

	sprintf(out, format, text, text, text, text);
	return out;
}

static void
test_json_scan_many_members(void)
{
	char	   *text;
	json_scan_member sub = {.name = "sub"};

	check("scan_beyond_key_stack",
		  object_scans(BEYOND_KEY_STACK, "k%ld", "", 1));
	check("scan_duplicate_beyond_key_stack",
		  object_scans(BEYOND_KEY_STACK, "k%ld", ",\"k0\":1", 0));
	check("scan_duplicate_last_of_40000",
		  object_scans(HOSTILE_MEMBERS, "k%ld", ",\"k0\":1", 0));
	check("scan_escaped_duplicate_beyond_key_stack",
		  object_scans(BEYOND_KEY_STACK, "k%ld", ",\"\\u006b0\":1", 0));
	check("scan_escaped_duplicate_last_of_40000",
		  object_scans(HOSTILE_MEMBERS, "k%ld", ",\"\\u006b39999\":1", 0));
	check("scan_escaped_first_plain_duplicate",
		  object_scans(BEYOND_KEY_STACK, "\\u006b%ld", ",\"k7\":1", 0));
	check("scan_160000_distinct",
		  object_scans(HUGE_MEMBERS, "k%ld", "", 1));
	check("scan_160000_same_edges_distinct",
		  object_scans(HUGE_MEMBERS, SAME_EDGES_NAME, "", 1));
	check("scan_same_edges_duplicate_last",
		  object_scans(HOSTILE_MEMBERS, SAME_EDGES_NAME, ",\"aaaaaaaa000000zzzzzzzz\":1", 0));
	check("scan_same_edges_in_small_object",
		  scans("{\"aaaaaaaa1zzzzzzzz\":0,\"aaaaaaaa2zzzzzzzz\":0}") &&
		  !scans("{\"aaaaaaaa1zzzzzzzz\":0,\"aaaaaaaa2zzzzzzzz\":0,\"aaaaaaaa1zzzzzzzz\":0}") &&
		  !scans("{\"aaaaaaaa1zzzzzzzz\":0,\"aaaaaaaa2zzzzzzzz\":0,\"aaaaaaaa\\u0032zzzzzzzz\":0}"));

	text = object_of(HOSTILE_MEMBERS, "k%ld", ",\"sub\":\"x\"");
	check("scan_member_found_beyond_key_stack",
		  json_scan_object(text, strlen(text), &sub, 1) &&
		  json_scan_string_equals(&sub.value, "x", 1));
	free(text);
}

static void
test_json_scan_nested(void)
{
	char	   *inner = object_of(BEYOND_KEY_STACK, "k%ld", "");
	char	   *inner_duplicate = object_of(BEYOND_KEY_STACK, "k%ld", ",\"k150\":1");
	char	   *tail;
	char	   *text;
	size_t		depth_len = NESTING_DEPTH * strlen("{\"x\":0,\"k\":}") + 2;
	char	   *deep = malloc(depth_len);
	char	   *p = deep;

	text = compose("{\"a\":%s,\"b\":%s,\"c\":[%s,%s]}", inner, 4);
	check("scan_same_names_in_sibling_objects", scans(text));
	free(text);

	tail = compose(",\"inner\":%s", inner, 1);
	check("scan_same_names_in_nested_object",
		  object_scans(BEYOND_KEY_STACK, "k%ld", tail, 1));
	free(tail);

	tail = compose(",\"inner\":%s,\"k5\":1", inner, 1);
	check("scan_duplicate_after_nested_object",
		  object_scans(BEYOND_KEY_STACK, "k%ld", tail, 0));
	free(tail);

	tail = compose(",\"inner\":%s", inner_duplicate, 1);
	check("scan_duplicate_in_nested_object",
		  object_scans(BEYOND_KEY_STACK, "k%ld", tail, 0));
	free(tail);

	/* {"x":0,"k":{"x":0,"k":...0}}: most levels beyond the key stack */
	for (int i = 0; i < NESTING_DEPTH; i++)
		p += sprintf(p, "{\"x\":0,\"k\":");
	*p++ = '0';
	memset(p, '}', NESTING_DEPTH);
	p[NESTING_DEPTH] = '\0';
	check("scan_same_names_at_every_depth", scans(deep));
	memcpy(p - strlen("\"k\":0"), "\"x\":1", strlen("\"x\":1"));
	check("scan_duplicate_at_depth", !scans(deep));

	free(deep);
	free(inner);
	free(inner_duplicate);
}

/*
 * prefix, then a "pad" member and the closing brace making the JSON text
 * exactly total bytes long (malloc'ed).
 */
static char *
padded(const char *prefix, size_t total)
{
	const char *pad_start = "\"pad\":\"";
	const char *pad_end = "\"}";
	char	   *text = malloc(total + 1);
	size_t		fill = total - strlen(prefix) - strlen(pad_start) - strlen(pad_end);

	sprintf(text, "%s%s", prefix, pad_start);
	memset(text + strlen(text), 'x', fill);
	strcpy(text + total - strlen(pad_end), pad_end);
	return text;
}

static void
test_request_cap(void)
{
	const char *claims_prefix = "{\"sub\":\"" ALICE "\",\"session_id\":\"" SESSION
		"\",\"role\":\"authenticated\",";
	char	   *at_cap = padded(claims_prefix, JCV_MAX_REQUEST_JSON_BYTES);
	char	   *over_cap = padded(claims_prefix, JCV_MAX_REQUEST_JSON_BYTES + 1);
	jcv_claims	claims;

	check("claims_at_cap",
		  strlen(at_cap) == JCV_MAX_REQUEST_JSON_BYTES &&
		  jcv_read_request_claims(at_cap, &claims) && claims.has_session_id &&
		  strcmp(claims.session_id, SESSION) == 0);
	check("claims_over_cap_refused",
		  strlen(over_cap) == JCV_MAX_REQUEST_JSON_BYTES + 1 &&
		  !jcv_read_request_claims(over_cap, &claims));
	free(at_cap);
	free(over_cap);

	at_cap = padded("{\"authorization\":\"Bearer x\",", JCV_MAX_REQUEST_JSON_BYTES);
	over_cap = padded("{\"authorization\":\"Bearer x\",", JCV_MAX_REQUEST_JSON_BYTES + 1);
	check("headers_at_cap", header_is(at_cap, "Bearer x"));
	check("headers_over_cap_refused", header_is(over_cap, NULL));
	free(at_cap);
	free(over_cap);
}

static void
test_uuids(void)
{
	jcv_claims	claims;

	check("uuid_canonical",
		  verify_ids("\"" ALICE "\"", NULL, &claims) == JCV_OK &&
		  strcmp(claims.sub, ALICE) == 0 && !claims.has_session_id);
	check("uuid_upper_case_lowered",
		  verify_ids("\"11111111-1111-4111-8111-11111111111A\"", "\"AAAAAAAA-0000-4000-8000-000000000001\"", &claims) == JCV_OK &&
		  strcmp(claims.sub, "11111111-1111-4111-8111-11111111111a") == 0 &&
		  claims.has_session_id && strcmp(claims.session_id, SESSION) == 0);
	check("uuid_braces_refused",
		  verify_ids("\"{" ALICE "}\"", NULL, &claims) == JCV_BAD_CLAIMS);
	check("uuid_without_hyphens_refused",
		  verify_ids("\"11111111111141118111111111111111\"", NULL, &claims) == JCV_BAD_CLAIMS);
	check("uuid_hyphen_misplaced_refused",
		  verify_ids("\"1111111-11111-4111-8111-111111111111\"", NULL, &claims) == JCV_BAD_CLAIMS);
	check("uuid_non_hex_refused",
		  verify_ids("\"g1111111-1111-4111-8111-111111111111\"", NULL, &claims) == JCV_BAD_CLAIMS);
	check("uuid_too_long_refused",
		  verify_ids("\"" ALICE "1\"", NULL, &claims) == JCV_BAD_CLAIMS);
	check("uuid_nul_escape_refused",
		  verify_ids("\"11111111-1111-4111-8111-11111111111\\u0000\"", NULL, &claims) == JCV_MALFORMED);
	check("session_nil_means_none",
		  verify_ids("\"" ALICE "\"", "\"00000000-0000-0000-0000-000000000000\"", &claims) == JCV_OK &&
		  !claims.has_session_id);
	check("session_number_refused",
		  verify_ids("\"" ALICE "\"", "1", &claims) == JCV_BAD_CLAIMS);
	check("session_null_refused",
		  verify_ids("\"" ALICE "\"", "null", &claims) == JCV_BAD_CLAIMS);
}

static void
test_times(void)
{
	check("exp_equal_now_expired", verify_times("1764000000", NULL, NULL, 0) == JCV_EXPIRED);
	check("exp_just_after_now", verify_times("1764000000.5", NULL, NULL, 0) == JCV_OK);
	check("exp_plus_leeway_equal_now_expired", verify_times("1763999999", NULL, NULL, 1) == JCV_EXPIRED);
	check("exp_within_leeway", verify_times("1763999999", NULL, NULL, 2) == JCV_OK);
	check("exp_missing", verify_times(NULL, NULL, NULL, 0) == JCV_BAD_CLAIMS);
	check("exp_string", verify_times("\"4102444800\"", NULL, NULL, 0) == JCV_BAD_CLAIMS);
	check("exp_negative_zero", verify_times("-0.0", NULL, NULL, 0) == JCV_EXPIRED);
	check("exp_huge_real", verify_times("1e308", NULL, NULL, 0) == JCV_OK);
	check("exp_overflow_real", verify_times("1e309", NULL, NULL, 0) == JCV_MALFORMED);
	check("nbf_equal_now", verify_times("4102444800", "1764000000", NULL, 0) == JCV_OK);
	check("nbf_after_now", verify_times("4102444800", "1764000000.5", NULL, 0) == JCV_NOT_YET_VALID);
	check("nbf_within_leeway", verify_times("4102444800", "1764000001", NULL, 1) == JCV_OK);
	check("nbf_beyond_leeway", verify_times("4102444800", "1764000001.5", NULL, 1) == JCV_NOT_YET_VALID);
	check("iat_equal_now_plus_leeway", verify_times("4102444800", NULL, "1764000030", 30) == JCV_OK);
	check("iat_beyond_leeway", verify_times("4102444800", NULL, "1764000030.5", 30) == JCV_NOT_YET_VALID);
	check("iat_boolean", verify_times("4102444800", NULL, "true", 0) == JCV_BAD_CLAIMS);
}

static void
test_structure(void)
{
	jcv_keyring keys = {test_hmac_key(SECRET), NULL};
	jcv_keyring no_keys = {NULL, NULL};
	jcv_policy	policy = {"authenticated", NULL, NOW, 0, MAX_TOKEN};
	jcv_claims	claims;
	char	   *token = sign(HS256_HEADER,
							 "{\"aud\":\"authenticated\",\"exp\":4102444800,\"sub\":\"" ALICE "\"}");
	size_t		len = strlen(token);

	check("token_valid", jcv_verify_token(token, len, &keys, &policy, &claims) == JCV_OK);
	policy.max_token_bytes = len;
	check("token_at_cap", jcv_verify_token(token, len, &keys, &policy, &claims) == JCV_OK);
	policy.max_token_bytes = len - 1;
	check("token_over_cap", jcv_verify_token(token, len, &keys, &policy, &claims) == JCV_TOO_LARGE);
	policy.max_token_bytes = MAX_TOKEN;
	check("token_no_key", jcv_verify_token(token, len, &no_keys, &policy, &claims) == JCV_ALG_NOT_ALLOWED);
	check("token_missing", jcv_verify_token(NULL, 0, &keys, &policy, &claims) == JCV_MISSING);
	check("token_truncated_signature",
		  jcv_verify_token(token, len - 1, &keys, &policy, &claims) != JCV_OK);
	token[len - 2] = token[len - 2] == 'A' ? 'B' : 'A';
	check("token_altered_signature",
		  jcv_verify_token(token, len, &keys, &policy, &claims) == JCV_BAD_SIGNATURE);
	free(token);
}

int
main(void)
{
	test_base64url();
	test_bearer();
	test_headers();
	test_json_scan_many_members();
	test_json_scan_nested();
	test_request_cap();
	test_uuids();
	test_times();
	test_structure();
	return failures == 0 ? 0 : 1;
}
