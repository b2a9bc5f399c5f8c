/*
 * json_scan_bench.c
 *	  Time of json_scan_object() (src/json_scan.c) on hostile objects with
 *	  many members, the shape any SQL session can put into request.headers or
 *	  request.jwt.claims, next to a token-sized object. Not a test.
 *
 *	  json_scan_bench [MEMBERS]...      (default: 40000 160000)
 *
 * Prints a markdown table: per document shape and member count, its size,
 * whether it was accepted, and the time of one scan. The shapes:
 *   distinct            {"k0":0,"k1":1,...}
 *   same_fingerprint    distinct names of one length sharing their first and
 *                       last eight bytes (what a digest of those collides on)
 *   escaped             as same_fingerprint, each name starting with \u0061
 *   duplicate_last      distinct, then the first name again (refused)
 *   nested_objects      {"a":[{...},{...},...]}, objects of NESTED_MEMBERS
 *                       members each, every one beyond the key stack
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_scan.h"

#define NS_PER_MS 1000000.0
#define NS_PER_SEC 1000000000.0
/* Repeat a scan until this much time has passed, for a stable mean. */
#define MIN_MEASURE_NS (0.5 * NS_PER_SEC)
#define TOKEN_ITERATIONS 1000000
#define NESTED_MEMBERS 200
/* Longest member text written below, with its comma and braces. */
#define MEMBER_ROOM 64
/* Middle characters of the same_fingerprint names: 64^3 names. */
#define MIDDLE_ALPHABET "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
#define MIDDLE_LEN 3
#define DEFAULT_MEMBERS_SMALL 40000
#define DEFAULT_MEMBERS_LARGE 160000

/* Claims of a typical Supabase access token. */
static const char token_claims[] =
"{\"aud\":\"authenticated\",\"exp\":1764003600,\"iat\":1764000000,"
"\"iss\":\"https://project.supabase.co/auth/v1\","
"\"sub\":\"11111111-1111-4111-8111-111111111111\",\"email\":\"alice@example.com\","
"\"phone\":\"\",\"app_metadata\":{\"provider\":\"email\",\"providers\":[\"email\"]},"
"\"user_metadata\":{},\"role\":\"authenticated\",\"aal\":\"aal1\","
"\"amr\":[{\"method\":\"password\",\"timestamp\":1764000000}],"
"\"session_id\":\"aaaaaaaa-0000-4000-8000-000000000001\",\"is_anonymous\":false}";

typedef enum shape
{
	DISTINCT, SAME_FINGERPRINT, ESCAPED, DUPLICATE_LAST, NESTED_OBJECTS, SHAPE_COUNT
} shape;

static const char *const shape_names[SHAPE_COUNT] = {
	"distinct", "same_fingerprint", "escaped", "duplicate_last", "nested_objects"
};

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Writes member i's name (quoted) at out; returns its length. */
static int
write_name(shape kind, long i, char *out)
{
	char		middle[MIDDLE_LEN + 1];
	long		rest = i;

	if (kind != SAME_FINGERPRINT && kind != ESCAPED)
		return sprintf(out, "\"k%ld\"", i);
	for (int j = 0; j < MIDDLE_LEN; j++)
	{
		middle[j] = MIDDLE_ALPHABET[rest % (sizeof(MIDDLE_ALPHABET) - 1)];
		rest /= sizeof(MIDDLE_ALPHABET) - 1;
	}
	middle[MIDDLE_LEN] = '\0';
	return sprintf(out, "\"%saaaaaaa%szzzzzzzz\"", kind == ESCAPED ? "\\u0061" : "a",
				   middle);
}

/* The document of a shape with this many members (malloc'ed, NUL-terminated). */
static char *
build(shape kind, long members)
{
	char	   *doc = malloc((size_t) members * MEMBER_ROOM + MEMBER_ROOM);
	char	   *p = doc;

	if (doc == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	p += sprintf(p, kind == NESTED_OBJECTS ? "{\"a\":[{" : "{");
	for (long i = 0; i < members; i++)
	{
		if (i > 0)
			p += sprintf(p, (kind == NESTED_OBJECTS && i % NESTED_MEMBERS == 0)
						 ? "},{" : ",");
		p += write_name(kind, kind == NESTED_OBJECTS ? i % NESTED_MEMBERS : i, p);
		p += sprintf(p, ":0");
	}
	if (kind == DUPLICATE_LAST)
		p += sprintf(p, ",\"k0\":0");
	sprintf(p, kind == NESTED_OBJECTS ? "}]}" : "}");
	return doc;
}

/* Mean time of one scan in ns; exits if the answer is not the expected one. */
static double
time_scan(const char *label, const char *doc, size_t len, bool expected, long min_iterations)
{
	json_scan_member member = {.name = "sub"};
	long		iterations = 0;
	double		start = now_ns();
	double		elapsed;

	do
	{
		if (json_scan_object(doc, len, &member, 1) != expected)
		{
			fprintf(stderr, "%s: scanner answered %s\n", label, expected ? "false" : "true");
			exit(1);
		}
		iterations++;
		elapsed = now_ns() - start;
	} while (iterations < min_iterations || elapsed < MIN_MEASURE_NS);
	return elapsed / iterations;
}

int
main(int argc, char **argv)
{
	long		defaults[] = {DEFAULT_MEMBERS_SMALL, DEFAULT_MEMBERS_LARGE};
	int			count = argc > 1 ? argc - 1 : (int) (sizeof(defaults) / sizeof(defaults[0]));

	printf("| document | members | bytes | accepted | ms per scan |\n");
	printf("|---|---:|---:|---|---:|\n");
	printf("| token_claims | 13 | %zu | yes | %.6f |\n", strlen(token_claims),
		   time_scan("token_claims", token_claims, strlen(token_claims), true,
					 TOKEN_ITERATIONS) / NS_PER_MS);
	fflush(stdout);
	for (int i = 0; i < count; i++)
	{
		long		members = argc > 1 ? strtol(argv[i + 1], NULL, 10) : defaults[i];

		if (members <= 0)
		{
			fprintf(stderr, "bad member count: %s\n", argv[i + 1]);
			return 1;
		}
		for (shape kind = 0; kind < SHAPE_COUNT; kind++)
		{
			char	   *doc = build(kind, members);
			size_t		len = strlen(doc);
			bool		expected = (kind != DUPLICATE_LAST);

			printf("| %s | %ld | %zu | %s | %.3f |\n", shape_names[kind],
				   members + (kind == DUPLICATE_LAST), len, expected ? "yes" : "no",
				   time_scan(shape_names[kind], doc, len, expected, 1) / NS_PER_MS);
			fflush(stdout);
			free(doc);
		}
	}
	return 0;
}
