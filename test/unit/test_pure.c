/*
 * test_pure.c
 *	  Unit tests of the pure token code (src/base64url.c, src/jwt_verify.c,
 *	  src/json_scan.c, src/request_claims.c, src/jwks.c) at its edges:
 *	  base64url canonical form, Bearer stripping, the request.headers and
 *	  request.jwt.claims readers and their size cap, duplicate names in
 *	  objects too large for the scanner's key stack, uuid rules and time
 *	  claims at the boundaries, ES512 tokens end to end (P-521 keys from a
 *	  JWKS, signed by OpenSSL: signature form, key selection, confusion,
 *	  rotation) and the HMAC key lengths a key set accepts.
 *	  Prints "unit_<case> ... ok|FAILED" per case (test/run_all.sh counts
 *	  them); exits 1 if any failed. Run: bash test/unit/run.sh
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "base64url.h"
#include "json_scan.h"
#include "jwks.h"
#include "jwt_verify.h"
#include "request_claims.h"
#include "siphash.h"
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
#define VALID_CLAIMS "{\"aud\":\"authenticated\",\"exp\":4102444800,\"sub\":\"" ALICE "\"}"
#define P384_HALF 48
#define P521_HALF 66
#define MAX_EC_POINT (1 + 2 * P521_HALF)
#define MAX_DER_SIGNATURE 160
#define JWK_SIZE 512
#define SHA256_BYTES 32
#define SHA384_BYTES 48
#define SHA512_BYTES 64

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
	{
		unsigned char bytes[JCV_UUID_BYTES];
		const unsigned char expected[JCV_UUID_BYTES] = {
			0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x41, 0x11,
			0x81, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1a};

		jcv_uuid_bytes("11111111-1111-4111-8111-11111111111a", bytes);
		check("uuid_bytes", memcmp(bytes, expected, JCV_UUID_BYTES) == 0);
	}
	check("session_nil_means_none",
		  verify_ids("\"" ALICE "\"", "\"00000000-0000-0000-0000-000000000000\"", &claims) == JCV_OK &&
		  !claims.has_session_id);
	check("session_number_refused",
		  verify_ids("\"" ALICE "\"", "1", &claims) == JCV_BAD_CLAIMS);
	/* GoTrue reads session_id into a Go string: null leaves it "" */
	check("session_null_means_none",
		  verify_ids("\"" ALICE "\"", "null", &claims) == JCV_OK && !claims.has_session_id);
	check("session_empty_means_none",
		  verify_ids("\"" ALICE "\"", "\"\"", &claims) == JCV_OK && !claims.has_session_id);
	check("session_escaped_space_refused",
		  verify_ids("\"" ALICE "\"", "\"\\u0020\"", &claims) == JCV_BAD_CLAIMS);
	check("request_session_empty_means_none",
		  jcv_read_request_claims("{\"sub\":\"" ALICE "\",\"session_id\":\"\"}", &claims) &&
		  !claims.has_session_id);
	check("request_session_null_means_none",
		  jcv_read_request_claims("{\"sub\":\"" ALICE "\",\"session_id\":null}", &claims) &&
		  !claims.has_session_id);
	check("request_session_space_refused",
		  !jcv_read_request_claims("{\"sub\":\"" ALICE "\",\"session_id\":\" \"}", &claims));
}

/*
 * SipHash-2-4 against the reference implementation's vectors (vectors.h of
 * github.com/veorq/SipHash: key 00..0f, message 00..len-1) and the paper's
 * example (Appendix A: the 15-byte message, 64-bit result).
 */
static void
test_siphash(void)
{
	static const struct
	{
		size_t		len;
		const char *hex;
	}			wide[] = {
		{0, "a3817f04ba25a8e66df67214c7550293"},
		{1, "da87c1d86b99af44347659119b22fc45"},
		{7, "a1f1ebbed8dbc153c0b84aa61ff08239"},
		{8, "3b62a9ba6258f5610f83e264f31497b4"},
		{9, "264499060ad9baabc47f8b02bb6d71ed"},
		{15, "5493e99933b0a8117e08ec0f97cfc3d9"},
		{16, "6ee2a4ca67b054bbfd3315bf85230577"},
		{63, "5150d1772f50834a503e069a973fbd7c"},
	};
	const uint64_t key[2] = {UINT64_C(0x0706050403020100), UINT64_C(0x0f0e0d0c0b0a0908)};
	unsigned char message[64];
	jcv_siphash h;
	bool		all_match = true;

	for (int i = 0; i < 64; i++)
		message[i] = (unsigned char) i;
	for (size_t v = 0; v < sizeof(wide) / sizeof(wide[0]); v++)
	{
		uint64_t	out[2];
		char		hex[33];

		jcv_siphash128(key, message, wide[v].len, out);
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", (unsigned) (out[i / 8] >> (8 * (i % 8))) & 0xff);
		all_match &= strcmp(hex, wide[v].hex) == 0;
	}
	check("siphash128_reference_vectors", all_match);

	jcv_siphash_init(&h, key);
	for (int i = 0; i < 15; i++)
		jcv_siphash_add_byte(&h, message[i]);
	check("siphash64_paper_example", jcv_siphash_final(&h) == UINT64_C(0xa129ca6149be45e5));
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
	/* iat is not a reason to refuse (Supabase Auth does not check it) */
	check("iat_beyond_leeway_accepted", verify_times("4102444800", NULL, "1764000030.5", 30) == JCV_OK);
	check("iat_far_future_accepted", verify_times("4102444800", NULL, "4102444800", 0) == JCV_OK);
	check("iat_string", verify_times("4102444800", NULL, "\"1764000000\"", 0) == JCV_BAD_CLAIMS);
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

/* An EC curve as OpenSSL and a JWK name it, with its ES algorithm. */
typedef struct ec_curve
{
	const char *crv;
	const char *alg;
	const char *digest;
	size_t		half;			/* bytes of a coordinate, and of r and of s */
} ec_curve;

static const ec_curve p384 = {"P-384", "ES384", "SHA384", P384_HALF};
static const ec_curve p521 = {"P-521", "ES512", "SHA512", P521_HALF};

/*
 * The public JWK of an OpenSSL key; members holds extra members or "".
 * x_skip leading bytes of x are left out (0: the full coordinate).
 */
static void
ec_jwk(EVP_PKEY *pkey, const ec_curve *curve, const char *kid, const char *members,
	   size_t x_skip, char *jwk)
{
	unsigned char point[MAX_EC_POINT];
	size_t		point_len = 0;
	char		x[2 * P521_HALF];
	char		y[2 * P521_HALF];

	EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point),
									&point_len);
	test_base64url_encode(point + 1 + x_skip, curve->half - x_skip, x);
	test_base64url_encode(point + 1 + curve->half, curve->half, y);
	snprintf(jwk, JWK_SIZE,
			 "{\"kty\":\"EC\",\"crv\":\"%s\",\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"%s}",
			 curve->crv, kid, x, y, members);
}

/*
 * A token signed by OpenSSL: header with the curve's alg and kid (NULL:
 * none), VALID_CLAIMS, and the signature as JOSE r || s, or with der set
 * as the DER that OpenSSL itself produces.
 */
static char *
ec_token(EVP_PKEY *pkey, const ec_curve *curve, const char *kid, bool der)
{
	char		header[128];
	char	   *token = malloc(1024);
	size_t		len;
	unsigned char der_sig[MAX_DER_SIGNATURE];
	size_t		der_len = sizeof(der_sig);
	unsigned char jose[2 * P521_HALF];
	const unsigned char *cursor = der_sig;
	ECDSA_SIG  *sig;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\"%s%s%s}", curve->alg,
			 kid ? ",\"kid\":\"" : "", kid ? kid : "", kid ? "\"" : "");
	len = test_base64url_encode((const unsigned char *) header, strlen(header), token);
	token[len++] = '.';
	len += test_base64url_encode((const unsigned char *) VALID_CLAIMS, strlen(VALID_CLAIMS),
								 token + len);
	EVP_DigestSignInit_ex(ctx, NULL, curve->digest, NULL, NULL, pkey, NULL);
	EVP_DigestSign(ctx, der_sig, &der_len, (const unsigned char *) token, len);
	EVP_MD_CTX_free(ctx);
	token[len++] = '.';
	if (der)
		test_base64url_encode(der_sig, der_len, token + len);
	else
	{
		sig = d2i_ECDSA_SIG(NULL, &cursor, (long) der_len);
		BN_bn2binpad(ECDSA_SIG_get0_r(sig), jose, (int) curve->half);
		BN_bn2binpad(ECDSA_SIG_get0_s(sig), jose + curve->half, (int) curve->half);
		ECDSA_SIG_free(sig);
		test_base64url_encode(jose, 2 * curve->half, token + len);
	}
	return token;
}

/* The token with its signature replaced by these bytes. */
static char *
resigned(const char *token, const unsigned char *signature, size_t len)
{
	char	   *copy = malloc(strlen(token) + 2 * len + 4);
	size_t		head = strrchr(token, '.') - token + 1;

	memcpy(copy, token, head);
	test_base64url_encode(signature, len, copy + head);
	return copy;
}

static unsigned char *
signature_of(const char *token, size_t *len)
{
	const char *text = strrchr(token, '.') + 1;
	unsigned char *bytes = malloc(BASE64URL_DECODED_MAX(strlen(text)) + 1);

	base64url_decode(text, strlen(text), bytes, len);
	return bytes;
}

static jcv_status
verify_in_set(const char *token, const char *jwks_json)
{
	char		error[256];
	jcv_jwks   *set = jcv_jwks_parse(jwks_json, error, sizeof(error));
	jcv_keyring keys = {NULL, set};
	jcv_policy	policy = {"authenticated", NULL, NOW, 0, MAX_TOKEN};
	jcv_claims	claims;
	jcv_status	status = set ? jcv_verify_token(token, strlen(token), &keys, &policy, &claims)
		: JCV_OUT_OF_MEMORY;

	jcv_jwks_free(set);
	return status;
}

static bool
set_accepted(const char *jwks_json)
{
	char		error[256];
	jcv_jwks   *set = jcv_jwks_parse(jwks_json, error, sizeof(error));

	jcv_jwks_free(set);
	return set != NULL;
}

static void
test_es512(void)
{
	EVP_PKEY   *a = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	EVP_PKEY   *b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	EVP_PKEY   *c = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	char		jwk_a[JWK_SIZE],
				jwk_b[JWK_SIZE],
				jwk_c[JWK_SIZE],
				jwk_a_pinned[JWK_SIZE],
				jwk_a_es384[JWK_SIZE],
				jwk_a_x_65_bytes[JWK_SIZE],
				set[4 * JWK_SIZE];
	char	   *token = ec_token(a, &p521, "p521-a", false);
	char	   *no_kid = ec_token(a, &p521, NULL, false);
	char	   *der = ec_token(a, &p521, "p521-a", true);
	char	   *es384 = ec_token(c, &p384, "p521-a", false);
	char	   *naming_p384 = ec_token(a, &p521, "p384", false);
	char	   *naming_b = ec_token(a, &p521, "p521-b", false);
	size_t		sig_len;
	unsigned char *sig = signature_of(token, &sig_len);
	unsigned char longer[2 * P521_HALF + 1] = {0};
	char	   *short_sig = resigned(token, sig, sig_len - 1);
	char	   *long_sig;
	char	   *swapped;
	unsigned char s_r[2 * P521_HALF];

	memcpy(longer + 1, sig, sig_len);
	long_sig = resigned(token, longer, sizeof(longer));
	memcpy(s_r, sig + P521_HALF, P521_HALF);
	memcpy(s_r + P521_HALF, sig, P521_HALF);
	swapped = resigned(token, s_r, sizeof(s_r));

	ec_jwk(a, &p521, "p521-a", "", 0, jwk_a);
	ec_jwk(b, &p521, "p521-b", "", 0, jwk_b);
	ec_jwk(c, &p384, "p384", "", 0, jwk_c);
	ec_jwk(a, &p521, "p521-a", ",\"alg\":\"ES512\",\"use\":\"sig\"", 0, jwk_a_pinned);
	ec_jwk(a, &p521, "p521-a", ",\"alg\":\"ES384\"", 0, jwk_a_es384);
	/* x's leading byte dropped, as an encoder that strips zeros would */
	ec_jwk(a, &p521, "p521-a", "", 1, jwk_a_x_65_bytes);

	snprintf(set, sizeof(set), "{\"keys\":[%s,%s]}", jwk_a_pinned, jwk_c);
	check("es512_valid", verify_in_set(token, set) == JCV_OK);
	check("es512_signature_is_132_bytes", sig_len == 2 * P521_HALF);
	check("es512_no_kid_one_p521_key", verify_in_set(no_kid, set) == JCV_OK);
	check("es512_der_signature_refused", verify_in_set(der, set) == JCV_BAD_SIGNATURE);
	check("es512_131_bytes_refused", verify_in_set(short_sig, set) == JCV_BAD_SIGNATURE);
	check("es512_133_bytes_refused", verify_in_set(long_sig, set) == JCV_BAD_SIGNATURE);
	check("es512_s_r_swapped_refused", verify_in_set(swapped, set) == JCV_BAD_SIGNATURE);
	check("es512_naming_p384_key_refused", verify_in_set(naming_p384, set) == JCV_ALG_NOT_ALLOWED);
	check("es384_naming_p521_key_refused", verify_in_set(es384, set) == JCV_ALG_NOT_ALLOWED);

	/* Rotation: both keys published, the kid picks; without one, no guess */
	snprintf(set, sizeof(set), "{\"keys\":[%s,%s]}", jwk_a, jwk_b);
	check("es512_rotation_kid_a", verify_in_set(token, set) == JCV_OK);
	check("es512_rotation_kid_b_signed_by_a", verify_in_set(naming_b, set) == JCV_BAD_SIGNATURE);
	check("es512_rotation_no_kid_ambiguous", verify_in_set(no_kid, set) == JCV_AMBIGUOUS_KEY);
	snprintf(set, sizeof(set), "{\"keys\":[%s]}", jwk_b);
	check("es512_rotation_old_key_dropped", verify_in_set(token, set) == JCV_UNKNOWN_KEY);

	snprintf(set, sizeof(set), "{\"keys\":[%s]}", jwk_a_es384);
	check("p521_key_pinned_es384_refused", !set_accepted(set));
	snprintf(set, sizeof(set), "{\"keys\":[%s]}", jwk_a_x_65_bytes);
	check("p521_x_of_65_bytes_refused", !set_accepted(set));

	free(token);
	free(no_kid);
	free(der);
	free(es384);
	free(naming_p384);
	free(naming_b);
	free(sig);
	free(short_sig);
	free(long_sig);
	free(swapped);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(c);
}

/* Whether a set of one oct key of len bytes (alg: its "alg", or NULL) is accepted. */
static bool
oct_key_accepted(size_t len, const char *alg)
{
	unsigned char secret[SHA512_BYTES] = {0};
	char		k[2 * SHA512_BYTES];
	char		set[JWK_SIZE];

	test_base64url_encode(secret, len, k);
	snprintf(set, sizeof(set), "{\"keys\":[{\"kty\":\"oct\",\"k\":\"%s\"%s%s%s}]}", k,
			 alg ? ",\"alg\":\"" : "", alg ? alg : "", alg ? "\"" : "");
	return set_accepted(set);
}

/* RFC 7518 section 3.2: an HMAC key is at least as long as its hash. */
static void
test_oct_key_lengths(void)
{
	check("oct_unpinned_31_bytes_refused", !oct_key_accepted(SHA256_BYTES - 1, NULL));
	check("oct_unpinned_32_bytes", oct_key_accepted(SHA256_BYTES, NULL));
	check("oct_hs384_47_bytes_refused", !oct_key_accepted(SHA384_BYTES - 1, "HS384"));
	check("oct_hs384_48_bytes", oct_key_accepted(SHA384_BYTES, "HS384"));
	check("oct_hs512_63_bytes_refused", !oct_key_accepted(SHA512_BYTES - 1, "HS512"));
	check("oct_hs512_64_bytes", oct_key_accepted(SHA512_BYTES, "HS512"));
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
	test_siphash();
	test_structure();
	test_es512();
	test_oct_key_lengths();
	return failures == 0 ? 0 : 1;
}
