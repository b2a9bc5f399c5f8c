/*
 * json_scan.h
 *	  A strict, single-pass JSON scanner for the per-token and per-request
 *	  documents (JWS header and claims, PostgREST's request.headers and
 *	  request.jwt.claims), linear in their size whatever their shape.
 *
 * Pure C: no PostgreSQL headers. It validates the whole document (RFC 8259,
 * with jansson's limits: no \u0000, integers within int64, reals within a
 * double, nesting depth JSON_SCAN_MAX_DEPTH, duplicate member names refused
 * in every object) and hands back where the wanted top-level members' values
 * lie in the text, unescaped only when read. It allocates (malloc, freed
 * before it returns) only for an object of more than a hundred-odd members.
 */
#ifndef JCV_JSON_SCAN_H
#define JCV_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/* Nesting depth allowed, as jansson's JSON_PARSER_MAX_DEPTH. */
#define JSON_SCAN_MAX_DEPTH 2048

typedef enum json_scan_type
{
	JSON_SCAN_ABSENT = 0,		/* no such member */
	JSON_SCAN_NULL,
	JSON_SCAN_FALSE,
	JSON_SCAN_TRUE,
	JSON_SCAN_NUMBER,
	JSON_SCAN_STRING,
	JSON_SCAN_ARRAY,
	JSON_SCAN_OBJECT
} json_scan_type;

/*
 * A value inside a scanned document. A string's text is what lies between
 * its quotes, escapes intact (plain: there are none, so text is its value);
 * any other value's text is its own JSON text.
 */
typedef struct json_scan_value
{
	json_scan_type type;
	bool		plain;
	const char *text;
	size_t		len;
} json_scan_value;

/* A top-level member to pick out: name in, value out. */
typedef struct json_scan_member
{
	const char *name;			/* plain ASCII, NUL-terminated */
	json_scan_value value;
} json_scan_member;

/*
 * Validates text as one JSON object and fills the value of each wanted
 * member (JSON_SCAN_ABSENT when missing). Returns false for anything that is
 * not a valid JSON object within the limits above, and when it runs out of
 * memory (or of random bytes for its hash key) checking one for duplicates.
 */
extern bool json_scan_object(const char *text, size_t len,
							 json_scan_member *members, size_t member_count);

/* Whether a string value, unescaped, is exactly plain[0..plain_len). */
extern bool json_scan_string_equals(const json_scan_value *value,
									const char *plain, size_t plain_len);

/* As json_scan_string_equals, ASCII letters compared case-insensitively. */
extern bool json_scan_string_equals_ascii_nocase(const json_scan_value *value,
												 const char *plain, size_t plain_len);

/*
 * Unescapes a string value into out (NUL-terminated, at most out_size bytes
 * with the NUL); returns false when it does not fit. Its unescaped length
 * never exceeds value->len, so out_size = value->len + 1 always fits.
 */
extern bool json_scan_string_copy(const json_scan_value *value, char *out,
								  size_t out_size, size_t *out_len);

/*
 * The value of a number as jansson gives it (json_number_value): an integer
 * converted from int64, a fraction or exponent form by strtod (C locale, as
 * in a PostgreSQL backend).
 */
extern double json_scan_number(const json_scan_value *value);

/*
 * Steps through an array value: *cursor starts NULL; each call fills element
 * with the next element and returns true, or returns false at the end.
 */
extern bool json_scan_array_next(const json_scan_value *array, const char **cursor,
								 json_scan_value *element);

#endif							/* JCV_JSON_SCAN_H */
