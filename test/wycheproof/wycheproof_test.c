/*
 * wycheproof_test.c
 *	  Project Wycheproof's test vectors (C2SP) through the code a token takes:
 *	  each key imported from a JWK by jcv_jwks_parse and chosen as a token's
 *	  key is, each signature through the strict base64url decoder and
 *	  jcv_key_verify; whole JWS through jcv_verify_jws (header rules, key
 *	  selection by kid). Valid vectors must verify, invalid ones be refused,
 *	  acceptable ones may go either way; the few we answer otherwise on
 *	  purpose, or that the file mislabels, are listed below with the reason.
 *
 *	  Prints "wycheproof_<file> ... ok|FAILED (counts)" per file (counted by
 *	  test/run_all.sh); a missing file, or one in the directory with no
 *	  runner here, is a failure. Exits 1 if any file failed.
 *	  Run: bash test/wycheproof/run.sh
 */
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64url.h"
#include "jwks.h"
#include "jwt_verify.h"
#include "token_signing.h"

/* jcv_logout.max_token_bytes' default: the cap a token meets. */
#define DEFAULT_MAX_TOKEN_BYTES 8192
#define ERROR_SIZE 512
#define VECTOR_FILE_SUFFIX "_test.json"

/* Our answers to a vector: accepted, or why it was refused. */
#define ACCEPTED "accepted"
#define SET_REFUSED "key set refused"
#define NO_KEY_FITS "no key fits the algorithm"
#define BAD_SIGNATURE "bad signature"
#define OUT_OF_MEMORY "out of memory"
#define UNREADABLE "not readable (hex, or a JWS that is neither text nor JSON)"

typedef enum file_kind
{
	RAW_SIGNATURES,				/* a public key per group; msg and sig in hex */
	JWS_VECTORS					/* a JWK or key set per group; compact JWS */
} file_kind;

/* A vector file and what its groups must say about the algorithm. */
typedef struct vector_file
{
	const char *name;
	file_kind	kind;
	const char *group_type;
	const char *jws_alg;		/* the JWS algorithm of its raw signatures */
	const char *curve;			/* Wycheproof's EC curve name, or NULL */
	const char *crv;			/* the same curve as a JWK's "crv" */
	const char *sha;			/* the group's hash, or NULL when none */
} vector_file;

static const vector_file files[] = {
	{"ecdsa_secp256r1_sha256_p1363_test.json", RAW_SIGNATURES, "EcdsaP1363Verify",
	"ES256", "secp256r1", "P-256", "SHA-256"},
	{"ecdsa_secp384r1_sha384_p1363_test.json", RAW_SIGNATURES, "EcdsaP1363Verify",
	"ES384", "secp384r1", "P-384", "SHA-384"},
	{"ecdsa_secp521r1_sha512_p1363_test.json", RAW_SIGNATURES, "EcdsaP1363Verify",
	"ES512", "secp521r1", "P-521", "SHA-512"},
	{"ed25519_test.json", RAW_SIGNATURES, "EddsaVerify", "EdDSA", NULL, NULL, NULL},
	{"rsa_signature_2048_sha256_test.json", RAW_SIGNATURES, "RsassaPkcs1Verify",
	"RS256", NULL, NULL, "SHA-256"},
	{"rsa_pss_2048_sha256_mgf1_32_test.json", RAW_SIGNATURES, "RsassaPssVerify",
	"PS256", NULL, NULL, "SHA-256"},
	{"json_web_signature_test.json", JWS_VECTORS, "JsonWebSignature", NULL, NULL, NULL, NULL},
	{"json_web_key_test.json", JWS_VECTORS, "JsonWebKey", NULL, NULL, NULL, NULL},
};

#define FILE_COUNT (sizeof(files) / sizeof(files[0]))

/* PS256 (RFC 7518 section 3.5): MGF1 with the message's hash, salt as long. */
#define PS256_SALT_BYTES 32

/*
 * Vectors we answer otherwise than their label, each with our answer (which
 * the run checks, so a stale entry fails) and the reason. twin: for a file
 * defect, the valid vector it is byte for byte (same key, same JWS).
 */
typedef struct listed_vector
{
	const char *file;
	int			tc_id;
	const char *answer;
	int			twin;
	const char *reason;
} listed_vector;

#define EMPTY_PAYLOAD_REASON \
	"an access token's payload holds its claims: an empty payload is malformed " \
	"and refused before any key is used"
#define PINNED_PS256_REASON \
	"the file's key is pinned by its alg to PS256 and the token asks for " \
	"PS384: a key verifies only the algorithm it is pinned to"
#define ES521_REASON \
	"the file's key says alg \"ES521\", which is no JWS algorithm (RFC 7518 " \
	"registers ES512), and an unknown alg refuses the set"
#define LENIENT_HEADER_REASON \
	"'?' in the header is outside base64url (RFC 7515 section 2): only a " \
	"decoder that skips foreign characters accepts it"
#define LENIENT_PAYLOAD_REASON \
	"'?' in the payload is outside base64url, and the signature covers the " \
	"segments as sent (RFC 7515 section 5.2): only a decoder that skips the " \
	"character and signs its re-encoding accepts it"
#define TWIN_357_REASON \
	"byte for byte vector 357 (valid) under the same key: a defect of the file"

static const listed_vector listed[] = {
	{"json_web_signature_test.json", 259, "malformed access token", 0, EMPTY_PAYLOAD_REASON},
	{"json_web_signature_test.json", 264, "malformed access token", 0, EMPTY_PAYLOAD_REASON},
	{"json_web_signature_test.json", 268, "malformed access token", 0, EMPTY_PAYLOAD_REASON},
	{"json_web_signature_test.json", 272, "malformed access token", 0, EMPTY_PAYLOAD_REASON},
	{"json_web_signature_test.json", 320, "malformed access token", 0, EMPTY_PAYLOAD_REASON},
	{"json_web_signature_test.json", 325, "malformed access token", 0, EMPTY_PAYLOAD_REASON},
	{"json_web_signature_test.json", 346, "access token algorithm is not allowed", 0, PINNED_PS256_REASON},
	{"json_web_signature_test.json", 350, "access token algorithm is not allowed", 0, PINNED_PS256_REASON},
	{"json_web_signature_test.json", 347, SET_REFUSED, 0, ES521_REASON},
	{"json_web_signature_test.json", 351, SET_REFUSED, 0, ES521_REASON},
	{"json_web_signature_test.json", 367, ACCEPTED, 357, TWIN_357_REASON},
	{"json_web_signature_test.json", 370, ACCEPTED, 357, TWIN_357_REASON},
	{"json_web_signature_test.json", 372, "malformed access token", 0, LENIENT_HEADER_REASON},
	{"json_web_signature_test.json", 373, "invalid access token signature", 0, LENIENT_PAYLOAD_REASON},
	{"json_web_key_test.json", 1, ACCEPTED, 0,
		"jcv_logout.jwks_file may hold oct keys beside public keys (the contract's "
		"key types; the jcv_logout.jwks setting refuses them): the key's type, "
		"never the token, decides the algorithm (an HS token meets only oct keys, "
		"an ES256 token only P-256 keys); the file is the server OS user's alone"},
};

#define LISTED_COUNT (sizeof(listed) / sizeof(listed[0]))

/* Per file: vectors run, answered as labelled, answered as listed, failed. */
typedef struct counts
{
	int			run;
	int			held;
	int			listed;
	int			failed;
	bool		listed_seen[LISTED_COUNT];
} counts;

static const listed_vector *
listed_entry(const char *file, int tc_id, size_t *index)
{
	for (size_t i = 0; i < LISTED_COUNT; i++)
	{
		if (strcmp(listed[i].file, file) == 0 && listed[i].tc_id == tc_id)
		{
			*index = i;
			return &listed[i];
		}
	}
	return NULL;
}

/* Whether a JSON value is the string expected. */
static bool
is_string(json_t *value, const char *expected)
{
	return json_is_string(value) && strcmp(json_string_value(value), expected) == 0;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex text into a fresh buffer (at least one byte, so never NULL for ""). */
static unsigned char *
from_hex(const char *hex, size_t *len)
{
	size_t		hex_len = strlen(hex);
	unsigned char *bytes = malloc(hex_len / 2 + 1);

	if (bytes == NULL || hex_len % 2 != 0)
	{
		free(bytes);
		return NULL;
	}
	for (size_t i = 0; i < hex_len / 2; i++)
	{
		int			high = hex_value(hex[2 * i]);
		int			low = hex_value(hex[2 * i + 1]);

		if (high < 0 || low < 0)
		{
			free(bytes);
			return NULL;
		}
		bytes[i] = (unsigned char) (high << 4 | low);
	}
	*len = hex_len / 2;
	return bytes;
}

/*
 * A coordinate in hex (an ASN.1 integer: a leading 00 when its top bit is
 * set, or shorter when it is small) as JWK's fixed-size base64url.
 */
static bool
coordinate_member(json_t *jwk, const char *name, const char *hex, size_t size)
{
	size_t		len;
	unsigned char *bytes = from_hex(hex, &len);
	unsigned char *fixed = calloc(1, size);
	char	   *text = malloc(4 * size / 3 + 2);
	size_t		skip = 0;
	bool		ok = false;

	if (bytes != NULL && fixed != NULL && text != NULL)
	{
		while (len - skip > size && bytes[skip] == 0)
			skip++;
		if (len - skip <= size)
		{
			memcpy(fixed + size - (len - skip), bytes + skip, len - skip);
			test_base64url_encode(fixed, size, text);
			ok = json_object_set_new(jwk, name, json_string(text)) == 0;
		}
	}
	free(bytes);
	free(fixed);
	free(text);
	return ok;
}

/*
 * The JWK of a raw-signature group: Wycheproof's own when it gives one, else
 * built from the EC point's coordinates as a JWKS would publish it.
 */
static json_t *
group_jwk(const vector_file *file, json_t *group)
{
	json_t	   *jwk = json_object_get(group, "publicKeyJwk");
	json_t	   *public_key = json_object_get(group, "publicKey");
	size_t		size;

	if (jwk == NULL)
		jwk = json_object_get(group, "keyJwk");
	if (jwk != NULL)
		return json_incref(jwk);
	if (file->crv == NULL || !is_string(json_object_get(public_key, "curve"), file->curve) ||
		!json_is_integer(json_object_get(public_key, "keySize")))
		return NULL;
	size = (size_t) (json_integer_value(json_object_get(public_key, "keySize")) + 7) / 8;
	jwk = json_pack("{s:s, s:s}", "kty", "EC", "crv", file->crv);
	if (jwk == NULL ||
		!json_is_string(json_object_get(public_key, "wx")) ||
		!json_is_string(json_object_get(public_key, "wy")) ||
		!coordinate_member(jwk, "x", json_string_value(json_object_get(public_key, "wx")), size) ||
		!coordinate_member(jwk, "y", json_string_value(json_object_get(public_key, "wy")), size))
	{
		json_decref(jwk);
		return NULL;
	}
	return jwk;
}

/* Whether a group's parameters are exactly those of the file's JWS algorithm. */
static bool
group_matches_alg(const vector_file *file, json_t *group)
{
	if (file->sha != NULL && !is_string(json_object_get(group, "sha"), file->sha))
		return false;
	if (strcmp(file->jws_alg, "PS256") == 0)
		return is_string(json_object_get(group, "mgf"), "MGF1") &&
			is_string(json_object_get(group, "mgfSha"), file->sha) &&
			json_integer_value(json_object_get(group, "sLen")) == PS256_SALT_BYTES;
	return true;
}

/* A set of one key, or the set itself, as jcv_logout.jwks would hold it. */
static jcv_jwks *
parse_key_set(json_t *keys, char *error)
{
	json_t	   *set = json_object_get(keys, "keys") ? json_incref(keys)
		: json_pack("{s:[O]}", "keys", keys);
	char	   *text = set ? json_dumps(set, JSON_COMPACT) : NULL;
	jcv_jwks   *parsed = NULL;

	if (text == NULL)
		snprintf(error, ERROR_SIZE, "cannot serialise the key set");
	else
		parsed = jcv_jwks_parse(text, error, ERROR_SIZE);
	free(text);
	json_decref(set);
	return parsed;
}

/* One raw signature: base64url as in a token, then the key's own check. */
static const char *
verify_raw(jcv_key *key, const jcv_alg *alg, const unsigned char *msg, size_t msg_len,
		   const unsigned char *sig, size_t sig_len)
{
	char	   *text = malloc(4 * sig_len / 3 + 2);
	size_t		text_len = 0;
	unsigned char *decoded = NULL;
	size_t		decoded_len = 0;
	const char *answer = OUT_OF_MEMORY;

	if (text != NULL)
	{
		text_len = test_base64url_encode(sig, sig_len, text);
		decoded = malloc(BASE64URL_DECODED_MAX(text_len));
	}
	if (decoded == NULL)
		answer = OUT_OF_MEMORY;
	else if (!base64url_decode(text, text_len, decoded, &decoded_len))
		answer = jcv_status_message(JCV_MALFORMED);
	else
	{
		switch (jcv_key_verify(key, alg, msg, msg_len, decoded, decoded_len))
		{
			case JCV_VERIFY_OK:
				answer = ACCEPTED;
				break;
			case JCV_VERIFY_BAD_SIGNATURE:
				answer = BAD_SIGNATURE;
				break;
			case JCV_VERIFY_OUT_OF_MEMORY:
				answer = OUT_OF_MEMORY;
				break;
		}
	}
	free(text);
	free(decoded);
	return answer;
}

/* A vector that is not what it must be: a message, and the file fails. */
static bool
fail(counts *c, const char *file, int tc_id, const char *what, const char *detail)
{
	printf("  %s #%d: %s (%s)\n", file, tc_id, what, detail);
	c->failed++;
	return false;
}

/*
 * Judges our answer to one vector against its label and the list; returns
 * whether it passed.
 */
static bool
judge(counts *c, const char *file, json_t *test, const char *answer)
{
	int			tc_id = (int) json_integer_value(json_object_get(test, "tcId"));
	json_t	   *label = json_object_get(test, "result");
	const listed_vector *entry;
	size_t		index;
	bool		accepted = strcmp(answer, ACCEPTED) == 0;

	c->run++;
	if (strcmp(answer, OUT_OF_MEMORY) == 0 || strcmp(answer, UNREADABLE) == 0)
		return fail(c, file, tc_id, "could not be run", answer);
	entry = listed_entry(file, tc_id, &index);
	if (entry != NULL)
	{
		c->listed_seen[index] = true;
		if (strcmp(answer, entry->answer) != 0)
			return fail(c, file, tc_id, "answered otherwise than listed", answer);
		c->listed++;
		return true;
	}
	if (is_string(label, "acceptable") ||
		(is_string(label, "valid") && accepted) ||
		(is_string(label, "invalid") && !accepted))
	{
		c->held++;
		return true;
	}
	return fail(c, file, tc_id, json_is_string(label) ? json_string_value(label) : "no result",
				answer);
}

static void
run_raw_group(const vector_file *file, json_t *group, counts *c)
{
	char		error[ERROR_SIZE] = "";
	const jcv_alg *alg = jcv_alg_by_name(file->jws_alg);
	json_t	   *jwk = group_jwk(file, group);
	jcv_jwks   *set = NULL;
	jcv_key    *key = NULL;
	const char *refusal = NULL;
	bool		ambiguous;
	size_t		i;
	json_t	   *test;

	if (alg == NULL || jwk == NULL || !group_matches_alg(file, group))
	{
		fail(c, file->name, 0, "a group cannot be run",
			 "no such JWS algorithm, no usable key, or not the file's algorithm");
		json_decref(jwk);
		return;
	}
	/* As a token without a kid: the one key of the set that fits the alg. */
	if ((set = parse_key_set(jwk, error)) == NULL)
		refusal = SET_REFUSED;
	else if ((key = jcv_jwks_only_fit(set, alg, &ambiguous)) == NULL)
		refusal = NO_KEY_FITS;
	json_array_foreach(json_object_get(group, "tests"), i, test)
	{
		const char *msg_hex = json_string_value(json_object_get(test, "msg"));
		const char *sig_hex = json_string_value(json_object_get(test, "sig"));
		size_t		msg_len,
					sig_len;
		unsigned char *msg = msg_hex ? from_hex(msg_hex, &msg_len) : NULL;
		unsigned char *sig = sig_hex ? from_hex(sig_hex, &sig_len) : NULL;

		if (msg == NULL || sig == NULL)
			judge(c, file->name, test, UNREADABLE);
		else if (refusal != NULL)
		{
			if (!judge(c, file->name, test, refusal) && set == NULL)
				printf("    %s\n", error);
		}
		else
			judge(c, file->name, test, verify_raw(key, alg, msg, msg_len, sig, sig_len));
		free(msg);
		free(sig);
	}
	jcv_jwks_free(set);
	json_decref(jwk);
}

/*
 * Wycheproof gives the signer's "private" key and, when asymmetric, its
 * "public" half: a verifier is configured with the public one (our sets
 * refuse private members); for HMAC the secret is the key.
 */
static json_t *
group_keys(json_t *group)
{
	json_t	   *keys = json_object_get(group, "public");

	return keys ? keys : json_object_get(group, "private");
}

static void
run_jws_group(const vector_file *file, json_t *group, counts *c)
{
	char		error[ERROR_SIZE] = "";
	json_t	   *keys = group_keys(group);
	jcv_jwks   *set;
	jcv_keyring keyring = {NULL, NULL};
	size_t		i;
	json_t	   *test;

	if (keys == NULL)
	{
		fail(c, file->name, 0, "a group cannot be run", "no key");
		return;
	}
	keyring.jwks = set = parse_key_set(keys, error);
	json_array_foreach(json_object_get(group, "tests"), i, test)
	{
		json_t	   *jws = json_object_get(test, "jws");
		char	   *text = json_is_string(jws) ? strdup(json_string_value(jws))
			: json_dumps(jws, JSON_COMPACT);	/* JSON serialization, as sent */
		jcv_status	status;

		if (text == NULL)
			judge(c, file->name, test, UNREADABLE);
		else if (set == NULL)
		{
			if (!judge(c, file->name, test, SET_REFUSED))
				printf("    %s\n", error);
		}
		else
		{
			status = jcv_verify_jws(text, strlen(text), &keyring, DEFAULT_MAX_TOKEN_BYTES);
			judge(c, file->name, test,
				  status == JCV_OK ? ACCEPTED : jcv_status_message(status));
		}
		free(text);
	}
	jcv_jwks_free(set);
}

/* The vector with this tcId and its group, or NULL. */
static json_t *
find_vector(json_t *root, int tc_id, json_t **group_out)
{
	size_t		g,
				t;
	json_t	   *group,
			   *test;

	json_array_foreach(json_object_get(root, "testGroups"), g, group)
	{
		json_array_foreach(json_object_get(group, "tests"), t, test)
		{
			if (json_integer_value(json_object_get(test, "tcId")) == tc_id)
			{
				*group_out = group;
				return test;
			}
		}
	}
	return NULL;
}

/* Every listed vector of the file was met, and each twin is what it claims. */
static void
check_listed(const char *file, json_t *root, counts *c)
{
	for (size_t i = 0; i < LISTED_COUNT; i++)
	{
		json_t	   *group,
				   *twin_group,
				   *vector,
				   *twin;

		if (strcmp(listed[i].file, file) != 0)
			continue;
		if (!c->listed_seen[i])
		{
			fail(c, file, listed[i].tc_id, "is listed but not in the file", "stale list");
			continue;
		}
		if (listed[i].twin == 0)
			continue;
		vector = find_vector(root, listed[i].tc_id, &group);
		twin = find_vector(root, listed[i].twin, &twin_group);
		if (twin == NULL || !is_string(json_object_get(twin, "result"), "valid") ||
			!json_equal(json_object_get(vector, "jws"), json_object_get(twin, "jws")) ||
			!json_equal(group_keys(group), group_keys(twin_group)))
			fail(c, file, listed[i].tc_id, "is not byte for byte its valid twin", "list");
	}
}

static void
print_listed(const char *file)
{
	for (size_t i = 0; i < LISTED_COUNT; i++)
	{
		if (strcmp(listed[i].file, file) == 0)
			printf("  listed #%d (%s): %s\n", listed[i].tc_id, listed[i].answer,
				   listed[i].reason);
	}
}

/* Runs one file; returns whether it held. */
static bool
run_file(const char *dir, const vector_file *file)
{
	char		path[PATH_MAX];
	json_error_t error;
	json_t	   *root;
	json_t	   *group;
	size_t		i;
	counts		c = {0};
	int			declared;
	size_t		stem_len = strlen(file->name) - strlen(".json");

	snprintf(path, sizeof(path), "%s/%s", dir, file->name);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL)
	{
		printf("wycheproof_%.*s ... FAILED (missing or unreadable: %s)\n", (int) stem_len,
			   file->name, error.text);
		return false;
	}
	json_array_foreach(json_object_get(root, "testGroups"), i, group)
	{
		json_t	   *type = json_object_get(group, "type");

		if (!json_is_string(type) || strcmp(json_string_value(type), file->group_type) != 0)
			fail(&c, file->name, 0, "has a group of another type", "no runner");
		else if (file->kind == RAW_SIGNATURES)
			run_raw_group(file, group, &c);
		else
			run_jws_group(file, group, &c);
	}
	check_listed(file->name, root, &c);
	declared = (int) json_integer_value(json_object_get(root, "numberOfTests"));
	if (declared != c.run)
		fail(&c, file->name, 0, "ran another number of vectors than numberOfTests", "schema");
	printf("wycheproof_%.*s ... %s (%d vectors: %d held, %d listed with reason, %d failed)\n",
		   (int) stem_len, file->name, c.failed == 0 ? "ok" : "FAILED",
		   c.run, c.held, c.listed, c.failed);
	print_listed(file->name);
	json_decref(root);
	return c.failed == 0;
}

/* Vector files in the directory that no runner here reads. */
static int
report_unknown_files(const char *dir)
{
	DIR		   *d = opendir(dir);
	struct dirent *entry;
	int			unknown = 0;

	if (d == NULL)
		return 0;				/* every file is then reported missing */
	while ((entry = readdir(d)) != NULL)
	{
		size_t		len = strlen(entry->d_name);
		bool		known = false;

		if (len < strlen(VECTOR_FILE_SUFFIX) ||
			strcmp(entry->d_name + len - strlen(VECTOR_FILE_SUFFIX), VECTOR_FILE_SUFFIX) != 0)
			continue;
		for (size_t i = 0; i < FILE_COUNT; i++)
			known |= strcmp(files[i].name, entry->d_name) == 0;
		if (!known)
		{
			printf("wycheproof_%.*s ... FAILED (in %s, but no runner reads it)\n",
				   (int) (len - strlen(".json")), entry->d_name, dir);
			unknown++;
		}
	}
	closedir(d);
	return unknown;
}

int
main(int argc, char **argv)
{
	int			failed = 0;

	if (argc != 2)
	{
		fprintf(stderr, "usage: wycheproof_test VECTOR_DIRECTORY\n");
		return 2;
	}
	for (size_t i = 0; i < FILE_COUNT; i++)
		failed += run_file(argv[1], &files[i]) ? 0 : 1;
	failed += report_unknown_files(argv[1]);
	return failed == 0 ? 0 : 1;
}
