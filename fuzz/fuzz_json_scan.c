/*
 * fuzz_json_scan.c
 *	  Differential libFuzzer target: src/json_scan.c must accept exactly the
 *	  objects jansson (JSON_REJECT_DUPLICATES, which it replaced) accepts, and
 *	  read the same values from them. Built and run by fuzz/run.sh.
 *
 * One known, deliberate difference: jansson skips a NUL byte right after a
 * number or literal; the scanner refuses any NUL outside a string too.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_scan.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Names the values of which are compared (plain, short, non-ASCII, prefixes). */
static const char *const wanted_names[] = {
	"alg", "kid", "aud", "exp", "sub", "a", "b", "ab", "\xc3\xa9"
};
#define WANTED_COUNT (sizeof(wanted_names) / sizeof(wanted_names[0]))

static void
check_value(const json_scan_value *value, json_t *expected)
{
	if (expected == NULL)
	{
		if (value->type != JSON_SCAN_ABSENT)
			abort();
		return;
	}
	switch (json_typeof(expected))
	{
		case JSON_OBJECT:
			if (value->type != JSON_SCAN_OBJECT)
				abort();
			break;
		case JSON_ARRAY:
			{
				const char *cursor = NULL;
				json_scan_value element;
				size_t		i = 0;

				while (json_scan_array_next(value, &cursor, &element))
				{
					json_t	   *member = json_array_get(expected, i++);

					if (member == NULL)
						abort();
					check_value(&element, member);
				}
				if (i != json_array_size(expected))
					abort();
				break;
			}
		case JSON_STRING:
			{
				size_t		len = json_string_length(expected);
				char	   *copy = malloc(value->len + 1);
				size_t		copied;

				if (value->type != JSON_SCAN_STRING || copy == NULL ||
					!json_scan_string_copy(value, copy, value->len + 1, &copied) ||
					copied != len || memcmp(copy, json_string_value(expected), len) != 0 ||
					!json_scan_string_equals(value, json_string_value(expected), len) ||
					!json_scan_string_equals_ascii_nocase(value, json_string_value(expected), len) ||
					(len > 0 && json_scan_string_copy(value, copy, len, &copied)))
					abort();
				free(copy);
				break;
			}
		case JSON_INTEGER:
		case JSON_REAL:
			{
				double		ours;
				double		theirs = json_number_value(expected);

				if (value->type != JSON_SCAN_NUMBER)
					abort();
				ours = json_scan_number(value);
				if (memcmp(&ours, &theirs, sizeof(ours)) != 0)
					abort();
				break;
			}
		case JSON_TRUE:
			if (value->type != JSON_SCAN_TRUE)
				abort();
			break;
		case JSON_FALSE:
			if (value->type != JSON_SCAN_FALSE)
				abort();
			break;
		case JSON_NULL:
			if (value->type != JSON_SCAN_NULL)
				abort();
			break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_scan_member members[WANTED_COUNT];
	json_error_t error;
	json_t	   *expected;
	bool		ours;
	bool		theirs;

	for (size_t i = 0; i < WANTED_COUNT; i++)
		members[i].name = wanted_names[i];
	ours = json_scan_object((const char *) data, size, members, WANTED_COUNT);
	expected = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES, &error);
	theirs = expected != NULL && json_is_object(expected);
	if (ours != theirs && !(theirs && memchr(data, '\0', size) != NULL))
		abort();
	if (ours)
		for (size_t i = 0; i < WANTED_COUNT; i++)
			check_value(&members[i].value, json_object_get(expected, wanted_names[i]));
	json_decref(expected);
	return 0;
}
