/*
 * json_scan.c
 *	  Strict JSON validation in one pass, linear in the size of the text,
 *	  keeping only where the wanted top-level members lie; strings are
 *	  unescaped when read.
 *
 * Replaces jansson on the per-call paths, where building a tree for a
 * ~450-byte token cost ten times the HMAC. Refuses what jansson refused with
 * JSON_REJECT_DUPLICATES (see json_scan.h), so verification rules are the same.
 * Nothing is allocated unless an object has more names than the key stack
 * holds (no token or real request does).
 */
#include "json_scan.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "siphash.h"

/*
 * Names of the objects being scanned, kept to refuse duplicates: enough for
 * any token or request. An object that does not fit, or two of whose names
 * share a fingerprint, keeps its names in the name set instead.
 */
#define KEY_STACK_CAPACITY 128
#define MAX_WANTED_MEMBERS 16

/* A number this short is converted from a stack copy as written. */
#define SHORT_NUMBER_LEN 64

/*
 * Longer ones are rewritten as 0.DIGITS e EXP first, keeping this many
 * significant digits and a sticky final digit for the rest: more than the
 * 767 a double's rounding can depend on, so the result is strtod's own.
 */
#define KEPT_DIGITS 800
#define EXPONENT_CAP 1000000	/* beyond this every double is 0 or infinite */

/* int64 bounds as digits, for jansson's "too big integer" */
#define INT64_MAX_DIGITS "9223372036854775807"
#define INT64_MIN_DIGITS "9223372036854775808"
#define INT64_DIGIT_COUNT 19

/* A real of at most this many decimal orders of magnitude cannot overflow. */
#define SAFE_DECIMAL_EXPONENT 308

#define FINGERPRINT_WORD 8
#define FINGERPRINT_LENGTH_MIX UINT64_C(0x9E3779B97F4A7C15)

/*
 * The name set: one open-addressing table (linear probing) for the whole
 * document, made on first use, doubled when more than 3/4 full. The first
 * size takes a full key stack at once.
 */
#define NAME_SET_FIRST_CAPACITY 512
#define NAME_SET_LOAD_NUMERATOR 3
#define NAME_SET_LOAD_DENOMINATOR 4

typedef enum container
{
	IN_OBJECT,
	IN_ARRAY
} container;

/* A member name seen in an object still open. */
typedef struct key_entry
{
	uint64_t	fingerprint;
	const unsigned char *text;	/* between the quotes */
	size_t		len;
	bool		plain;
} key_entry;

/* A name in the name set: a name of the object that starts at object. */
typedef struct name_entry
{
	const unsigned char *object;	/* NULL: a free slot */
	const unsigned char *text;	/* between the quotes */
	size_t		len;
	uint64_t	hash;
	bool		plain;
} name_entry;

/*
 * The names of every object that left the key stack, as (object, name)
 * pairs: an object's first byte tells its names apart from those of the
 * objects around it, so nothing is removed when it closes. Each name costs
 * the same however many its object has (comparing each with all the earlier
 * ones made 160,000 members a two-minute scan). The hash covers all of a
 * name's unescaped bytes under a key drawn at random once per process, as
 * the names are the sender's to choose: with a hash it could compute, it
 * could send names that all fall into one chain.
 */
typedef struct name_set
{
	name_entry *slots;			/* malloc'ed on first use, freed by json_scan_object */
	size_t		capacity;		/* a power of two */
	size_t		count;
} name_set;

typedef struct scanner
{
	int			depth;
	unsigned char kind[JSON_SCAN_MAX_DEPTH + 1];
	const unsigned char *object_start[JSON_SCAN_MAX_DEPTH + 1];
	uint16_t	key_base[JSON_SCAN_MAX_DEPTH + 1];
	bool		in_name_set[JSON_SCAN_MAX_DEPTH + 1];
	int			key_count;
	key_entry	keys[KEY_STACK_CAPACITY];
	name_set	names;
} scanner;

/* The name set's hash key, drawn by have_name_hash_key(). */
static uint64_t name_hash_key[2];
static bool name_hash_key_drawn = false;

/* Reads the unescaped bytes of a (validated) string one at a time. */
typedef struct unescaper
{
	const unsigned char *p;
	const unsigned char *end;
	bool		plain;			/* no escapes: bytes as they are */
	unsigned char pending[4];
	int			pending_count;
	int			pending_next;
} unescaper;

/* Bytes that end the fast run through a string: quote, backslash, controls, non-ASCII. */
static const bool string_special[256] = {
	[0 ... 0x1F] = true, ['"'] = true, ['\\'] = true, [0x80 ... 0xFF] = true
};

static inline bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline const unsigned char *
skip_space(const unsigned char *p, const unsigned char *end)
{
	while (p < end && is_space(*p))
		p++;
	return p;
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p, or -1. */
static long
hex4(const unsigned char *p, const unsigned char *end)
{
	long		value = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++)
	{
		int			digit = hex_value(p[i]);

		if (digit < 0)
			return -1;
		value = value * 16 + digit;
	}
	return value;
}

static inline bool
is_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/*
 * One UTF-8 sequence at p starting with a byte >= 0x80; returns its length,
 * or 0 if it is not well-formed (overlong, surrogate, above U+10FFFF).
 */
static int
utf8_sequence(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	ptrdiff_t	left = end - p;

	if (c >= 0xC2 && c <= 0xDF)
		return left >= 2 && is_continuation(p[1]) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF)
	{
		unsigned char low = (c == 0xE0) ? 0xA0 : 0x80;
		unsigned char high = (c == 0xED) ? 0x9F : 0xBF;

		return left >= 3 && p[1] >= low && p[1] <= high && is_continuation(p[2]) ? 3 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		unsigned char low = (c == 0xF0) ? 0x90 : 0x80;
		unsigned char high = (c == 0xF4) ? 0x8F : 0xBF;

		return left >= 4 && p[1] >= low && p[1] <= high &&
			is_continuation(p[2]) && is_continuation(p[3]) ? 4 : 0;
	}
	return 0;
}

/*
 * Validates the string whose opening quote is at p[-1]; returns the position
 * of its closing quote, or NULL. *plain tells whether it had no escapes.
 */
static const unsigned char *
scan_string(const unsigned char *p, const unsigned char *end, bool *plain)
{
	*plain = true;
	for (;;)
	{
		while (p < end && !string_special[*p])
			p++;
		if (p >= end)
			return NULL;
		if (*p == '"')
			return p;
		if (*p < 0x20)
			return NULL;
		if (*p >= 0x80)
		{
			int			n = utf8_sequence(p, end);

			if (n == 0)
				return NULL;
			p += n;
			continue;
		}
		/* a backslash */
		*plain = false;
		if (++p >= end)
			return NULL;
		switch (*p)
		{
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p++;
				break;
			case 'u':
				{
					long		unit = hex4(p + 1, end);

					p += 5;
					if (unit <= 0 || (unit >= 0xDC00 && unit <= 0xDFFF))
						return NULL;	/* \u0000 (as jansson) or a lone low surrogate */
					if (unit >= 0xD800 && unit <= 0xDBFF)
					{
						long		low;

						if (end - p < 2 || p[0] != '\\' || p[1] != 'u')
							return NULL;
						low = hex4(p + 2, end);
						if (low < 0xDC00 || low > 0xDFFF)
							return NULL;
						p += 6;
					}
					break;
				}
			default:
				return NULL;
		}
	}
}

static void
unescaper_init(unescaper *u, const char *text, size_t len, bool plain)
{
	u->p = (const unsigned char *) text;
	u->end = u->p + len;
	u->plain = plain;
	u->pending_count = 0;
	u->pending_next = 0;
}

static int
encode_utf8(long code_point, unsigned char *out)
{
	if (code_point < 0x80)
	{
		out[0] = (unsigned char) code_point;
		return 1;
	}
	if (code_point < 0x800)
	{
		out[0] = (unsigned char) (0xC0 | (code_point >> 6));
		out[1] = (unsigned char) (0x80 | (code_point & 0x3F));
		return 2;
	}
	if (code_point < 0x10000)
	{
		out[0] = (unsigned char) (0xE0 | (code_point >> 12));
		out[1] = (unsigned char) (0x80 | ((code_point >> 6) & 0x3F));
		out[2] = (unsigned char) (0x80 | (code_point & 0x3F));
		return 3;
	}
	out[0] = (unsigned char) (0xF0 | (code_point >> 18));
	out[1] = (unsigned char) (0x80 | ((code_point >> 12) & 0x3F));
	out[2] = (unsigned char) (0x80 | ((code_point >> 6) & 0x3F));
	out[3] = (unsigned char) (0x80 | (code_point & 0x3F));
	return 4;
}

/* The next unescaped byte of a validated string, or -1 at its end. */
static int
unescaper_next(unescaper *u)
{
	unsigned char c;
	long		code_point;

	if (u->pending_next < u->pending_count)
		return u->pending[u->pending_next++];
	if (u->p >= u->end)
		return -1;
	c = *u->p++;
	if (c != '\\' || u->plain)
		return c;
	c = *u->p++;
	switch (c)
	{
		case 'b':
			return '\b';
		case 'f':
			return '\f';
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 't':
			return '\t';
		case 'u':
			break;
		default:
			return c;			/* " \ / */
	}
	code_point = hex4(u->p, u->end);
	u->p += 4;
	if (code_point >= 0xD800 && code_point <= 0xDBFF)
	{
		long		low = hex4(u->p + 2, u->end);

		u->p += 6;
		code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
	}
	u->pending_count = encode_utf8(code_point, u->pending);
	u->pending_next = 1;
	return u->pending[0];
}

static bool
unescaped_equal(const unsigned char *a, size_t a_len, bool a_plain,
				const unsigned char *b, size_t b_len, bool b_plain)
{
	unescaper ua;
	unescaper ub;
	int			ca;

	if (a_plain && b_plain)
		return a_len == b_len && memcmp(a, b, a_len) == 0;
	unescaper_init(&ua, (const char *) a, a_len, a_plain);
	unescaper_init(&ub, (const char *) b, b_len, b_plain);
	do
	{
		ca = unescaper_next(&ua);
		if (ca != unescaper_next(&ub))
			return false;
	} while (ca >= 0);
	return true;
}

static inline uint64_t
mix_fingerprint(uint64_t first, uint64_t last, size_t len)
{
	return first ^ ((last << 29) | (last >> 35)) ^ (len * FINGERPRINT_LENGTH_MIX);
}

/*
 * A cheap digest of a name's unescaped bytes (length, first and last eight
 * bytes): names with different fingerprints differ, so only equal ones are
 * compared in full. Anyone can make names share one: an object where two
 * do moves to the name set.
 */
static uint64_t
fingerprint(const unsigned char *text, size_t len, bool plain)
{
	uint64_t	first = 0;
	uint64_t	last = 0;
	unsigned char head[FINGERPRINT_WORD] = {0};
	unsigned char tail[FINGERPRINT_WORD] = {0};
	size_t		count = 0;
	unescaper	u;
	int			c;

	if (plain)
	{
		memcpy(&first, text, len < FINGERPRINT_WORD ? len : FINGERPRINT_WORD);
		if (len < FINGERPRINT_WORD)
			last = first;
		else
			memcpy(&last, text + len - FINGERPRINT_WORD, FINGERPRINT_WORD);
		return mix_fingerprint(first, last, len);
	}

	/* Same digest computed over the unescaped bytes; tail is a ring. */
	unescaper_init(&u, (const char *) text, len, false);
	while ((c = unescaper_next(&u)) >= 0)
	{
		if (count < FINGERPRINT_WORD)
			head[count] = (unsigned char) c;
		tail[count % FINGERPRINT_WORD] = (unsigned char) c;
		count++;
	}
	memcpy(&first, head, FINGERPRINT_WORD);
	if (count < FINGERPRINT_WORD)
		last = first;
	else
	{
		unsigned char ordered[FINGERPRINT_WORD];

		for (int i = 0; i < FINGERPRINT_WORD; i++)
			ordered[i] = tail[(count + i) % FINGERPRINT_WORD];
		memcpy(&last, ordered, FINGERPRINT_WORD);
	}
	return mix_fingerprint(first, last, count);
}

/* The end of the validated value at p (no leading space). */
static const unsigned char *
skip_validated_value(const unsigned char *p, const unsigned char *end)
{
	int			depth = 0;
	bool		plain;

	do
	{
		switch (*p)
		{
			case '"':
				p = scan_string(p + 1, end, &plain) + 1;
				continue;
			case '{':
			case '[':
				depth++;
				break;
			case '}':
			case ']':
				depth--;
				break;
			default:
				if (depth == 0)
				{
					while (p < end && !is_space(*p) && *p != ',' && *p != '}' && *p != ']')
						p++;
					return p;
				}
		}
		p++;
	} while (depth > 0);
	return p;
}

/* Draws the name set's key on first use; false if the kernel gives none. */
static bool
have_name_hash_key(void)
{
	if (!name_hash_key_drawn)
		name_hash_key_drawn = getrandom(name_hash_key, sizeof(name_hash_key), 0) ==
			(ssize_t) sizeof(name_hash_key);
	return name_hash_key_drawn;
}

/* The keyed hash of an object's address and a name's unescaped bytes. */
static uint64_t
name_hash(const unsigned char *object, const unsigned char *text, size_t len,
		  bool plain)
{
	jcv_siphash h;
	uintptr_t	address = (uintptr_t) object;
	unescaper	u;
	int			c;

	jcv_siphash_init(&h, name_hash_key);
	for (size_t i = 0; i < sizeof(address); i++)
		jcv_siphash_add_byte(&h, (unsigned char) (address >> (8 * i)));
	unescaper_init(&u, (const char *) text, len, plain);
	while ((c = unescaper_next(&u)) >= 0)
		jcv_siphash_add_byte(&h, (unsigned char) c);
	return jcv_siphash_final(&h);
}

/* Doubles the set's table (or makes its first); false when out of memory. */
static bool
name_set_grow(name_set *set)
{
	size_t		capacity = (set->capacity == 0) ? NAME_SET_FIRST_CAPACITY
		: 2 * set->capacity;
	name_entry *slots = calloc(capacity, sizeof(name_entry));

	if (slots == NULL)
		return false;
	for (size_t i = 0; i < set->capacity; i++)
	{
		size_t		j;

		if (set->slots[i].object == NULL)
			continue;
		for (j = set->slots[i].hash & (capacity - 1); slots[j].object != NULL;
			 j = (j + 1) & (capacity - 1))
			;
		slots[j] = set->slots[i];
	}
	free(set->slots);
	set->slots = slots;
	set->capacity = capacity;
	return true;
}

/*
 * Adds a name of the object starting at object; false if the object has it
 * already, or when there is no memory or hash key (the document is refused
 * either way).
 */
static bool
name_set_add(name_set *set, const unsigned char *object,
			 const unsigned char *text, size_t len, bool plain)
{
	uint64_t	hash;
	size_t		i;

	if (!have_name_hash_key())
		return false;
	if ((set->count + 1) * NAME_SET_LOAD_DENOMINATOR >
		set->capacity * NAME_SET_LOAD_NUMERATOR && !name_set_grow(set))
		return false;
	hash = name_hash(object, text, len, plain);
	for (i = hash & (set->capacity - 1); set->slots[i].object != NULL;
		 i = (i + 1) & (set->capacity - 1))
	{
		name_entry *e = &set->slots[i];

		if (e->hash == hash && e->object == object &&
			unescaped_equal(e->text, e->len, e->plain, text, len, plain))
			return false;
	}
	set->slots[i] = (name_entry)
	{
		object, text, len, hash, plain
	};
	set->count++;
	return true;
}

/*
 * Moves the innermost open object's names from the key stack to the name set
 * and adds this one; false if it is a duplicate (or the set cannot take it).
 */
static bool
move_to_name_set(scanner *s, const unsigned char *text, size_t len, bool plain)
{
	int			depth = s->depth;
	const unsigned char *object = s->object_start[depth];

	for (int i = s->key_base[depth]; i < s->key_count; i++)
	{
		key_entry  *k = &s->keys[i];

		if (!name_set_add(&s->names, object, k->text, k->len, k->plain))
			return false;
	}
	s->key_count = s->key_base[depth];
	s->in_name_set[depth] = true;
	return name_set_add(&s->names, object, text, len, plain);
}

/*
 * Records a name of the innermost open object; false if it is a duplicate
 * (or the name set cannot take it).
 *
 * The names an object keeps on the key stack have distinct fingerprints: a
 * name that shares one with an earlier name, yet differs from it, moves the
 * object to the name set. Names made to share a fingerprint would otherwise
 * each be compared in full with every earlier one; the set compares only
 * names of equal keyed hash.
 */
static bool
add_name(scanner *s, const unsigned char *text, size_t len, bool plain,
		 uint64_t print)
{
	int			depth = s->depth;

	if (s->in_name_set[depth])
		return name_set_add(&s->names, s->object_start[depth], text, len, plain);
	for (int i = s->key_count - 1; i >= s->key_base[depth]; i--)
	{
		key_entry  *k = &s->keys[i];

		if (k->fingerprint == print)
			return !unescaped_equal(k->text, k->len, k->plain, text, len, plain) &&
				move_to_name_set(s, text, len, plain);
	}
	if (s->key_count == KEY_STACK_CAPACITY)
		return move_to_name_set(s, text, len, plain);
	s->keys[s->key_count++] = (key_entry)
	{
		print, text, len, plain
	};
	return true;
}

/*
 * Digits as jansson reads an integer: within int64 ("too big integer"
 * otherwise).
 */
static bool
integer_fits(const unsigned char *digits, size_t count, bool negative)
{
	if (count != INT64_DIGIT_COUNT)
		return count < INT64_DIGIT_COUNT;
	return memcmp(digits, negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS,
				  INT64_DIGIT_COUNT) <= 0;
}

/*
 * strtod of a validated number of any length (see KEPT_DIGITS); errno is
 * ERANGE on overflow or underflow, as strtod sets it.
 */
static double
real_value(const unsigned char *p, size_t len)
{
	char		buf[KEPT_DIGITS + SHORT_NUMBER_LEN];
	const unsigned char *end = p + len;
	size_t		out = 0;
	size_t		kept = 0;
	bool		dropped_nonzero = false;
	long		exponent = 0;
	long		written_exponent = 0;
	bool		seen_point = false;

	if (len < SHORT_NUMBER_LEN)
	{
		memcpy(buf, p, len);
		buf[len] = '\0';
		errno = 0;
		return strtod(buf, NULL);
	}

	if (*p == '-')
		buf[out++] = *p++;
	buf[out++] = '0';
	buf[out++] = '.';
	/* value = 0.DIGITS * 10^(integer digits after leading zeros + e) */
	for (; p < end && (is_digit(*p) || *p == '.'); p++)
	{
		if (*p == '.')
		{
			seen_point = true;
			continue;
		}
		if (kept == 0 && *p == '0')
		{
			if (seen_point)
				written_exponent--;
			continue;
		}
		if (!seen_point)
			written_exponent++;
		if (kept < KEPT_DIGITS)
		{
			buf[out++] = (char) *p;
			kept++;
		}
		else if (*p != '0')
			dropped_nonzero = true;
	}
	if (kept == 0)
		buf[out++] = '0';
	if (dropped_nonzero)
		buf[out++] = '1';
	if (p < end)
	{
		bool		negative_exponent = false;

		p++;					/* e or E */
		if (*p == '+' || *p == '-')
			negative_exponent = (*p++ == '-');
		for (; p < end; p++)
			if (exponent < EXPONENT_CAP)
				exponent = exponent * 10 + (*p - '0');
		if (negative_exponent)
			exponent = -exponent;
	}
	written_exponent += exponent;
	if (written_exponent > EXPONENT_CAP)
		written_exponent = EXPONENT_CAP;
	if (written_exponent < -EXPONENT_CAP)
		written_exponent = -EXPONENT_CAP;
	snprintf(buf + out, sizeof(buf) - out, "e%ld", written_exponent);
	errno = 0;
	return strtod(buf, NULL);
}

/*
 * Validates a number at p; returns its end or NULL. Refused as jansson
 * refuses them: grammar, an integer outside int64, a real that overflows.
 */
static const unsigned char *
scan_number(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *start = p;
	const unsigned char *digits;
	bool		negative = false;
	bool		real = false;
	bool		integer_is_zero;
	size_t		integer_digits;
	long		exponent = 0;

	if (*p == '-')
	{
		negative = true;
		p++;
	}
	digits = p;
	if (p >= end || !is_digit(*p))
		return NULL;
	integer_is_zero = (*p == '0');
	if (integer_is_zero)
		p++;
	else
		while (p < end && is_digit(*p))
			p++;
	integer_digits = p - digits;
	if (p < end && *p == '.')
	{
		real = true;
		if (++p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		bool		negative_exponent = false;

		real = true;
		if (++p < end && (*p == '+' || *p == '-'))
			negative_exponent = (*p++ == '-');
		if (p >= end || !is_digit(*p))
			return NULL;
		for (; p < end && is_digit(*p); p++)
			if (exponent < EXPONENT_CAP)
				exponent = exponent * 10 + (*p - '0');
		if (negative_exponent)
			exponent = -exponent;
	}

	if (!real)
		return integer_fits(digits, integer_digits, negative) ? p : NULL;
	if ((integer_is_zero ? 0 : (long) integer_digits) + exponent > SAFE_DECIMAL_EXPONENT)
	{
		double		value = real_value(start, p - start);

		if (errno == ERANGE && isinf(value))
			return NULL;
	}
	return p;
}

static const unsigned char *
scan_literal(const unsigned char *p, const unsigned char *end, const char *word,
			 size_t len)
{
	if ((size_t) (end - p) < len || memcmp(p, word, len) != 0)
		return NULL;
	return p + len;
}

static json_scan_type
type_at(unsigned char c)
{
	switch (c)
	{
		case '"':
			return JSON_SCAN_STRING;
		case '{':
			return JSON_SCAN_OBJECT;
		case '[':
			return JSON_SCAN_ARRAY;
		case 't':
			return JSON_SCAN_TRUE;
		case 'f':
			return JSON_SCAN_FALSE;
		case 'n':
			return JSON_SCAN_NULL;
		default:
			return JSON_SCAN_NUMBER;
	}
}

/* json_scan_object, with the scanner's state in s (its name set empty) */
static bool
scan_document(scanner *s, const char *text, size_t len,
			  json_scan_member *members, size_t member_count)
{
	const unsigned char *p = (const unsigned char *) text;
	const unsigned char *end = p + len;
	uint64_t	wanted_print[MAX_WANTED_MEMBERS];
	json_scan_member *pending = NULL;	/* top-level member whose value is next */
	const unsigned char *pending_start = NULL;
	bool		last_string_plain = true;

	if (member_count > MAX_WANTED_MEMBERS)
		return false;
	for (size_t i = 0; i < member_count; i++)
	{
		members[i].value.type = JSON_SCAN_ABSENT;
		wanted_print[i] = fingerprint((const unsigned char *) members[i].name,
									  strlen(members[i].name), true);
	}
	s->depth = 0;
	s->key_count = 0;

	p = skip_space(p, end);
	if (p >= end || *p != '{')
		return false;

value:
	p = skip_space(p, end);
	if (p >= end)
		return false;
	if (pending != NULL && s->depth == 1)
		pending_start = p;
	switch (*p)
	{
		case '{':
		case '[':
			if (s->depth == JSON_SCAN_MAX_DEPTH)
				return false;
			s->depth++;
			s->kind[s->depth] = (*p == '{') ? IN_OBJECT : IN_ARRAY;
			if (*p == '{')
			{
				s->object_start[s->depth] = p;
				s->key_base[s->depth] = (uint16_t) s->key_count;
				s->in_name_set[s->depth] = false;
			}
			p = skip_space(p + 1, end);
			if (p < end && (*p == '}' || *p == ']'))
				goto close;
			if (s->kind[s->depth] == IN_OBJECT)
				goto name;
			goto value;
		case '"':
			p = scan_string(p + 1, end, &last_string_plain);
			if (p == NULL)
				return false;
			p++;
			break;
		case 't':
			p = scan_literal(p, end, "true", 4);
			break;
		case 'f':
			p = scan_literal(p, end, "false", 5);
			break;
		case 'n':
			p = scan_literal(p, end, "null", 4);
			break;
		default:
			p = scan_number(p, end);
			break;
	}
	if (p == NULL)
		return false;

after_value:
	if (pending != NULL && s->depth == 1)
	{
		json_scan_value *v = &pending->value;

		v->type = type_at(*pending_start);
		v->plain = last_string_plain;
		v->text = (const char *) pending_start;
		v->len = p - pending_start;
		if (v->type == JSON_SCAN_STRING)
		{
			v->text++;
			v->len -= 2;
		}
		pending = NULL;
	}
	if (s->depth == 0)
		return skip_space(p, end) == end;
	p = skip_space(p, end);
	if (p >= end)
		return false;
	if (*p == ',')
	{
		p = skip_space(p + 1, end);
		if (s->kind[s->depth] == IN_OBJECT)
			goto name;
		goto value;
	}

close:
	if (*p != (s->kind[s->depth] == IN_OBJECT ? '}' : ']'))
		return false;
	if (s->kind[s->depth] == IN_OBJECT)
		s->key_count = s->key_base[s->depth];
	s->depth--;
	p++;
	goto after_value;

name:
	{
		const unsigned char *key;
		const unsigned char *close_quote;
		bool		plain;
		uint64_t	print;

		if (p >= end || *p != '"')
			return false;
		key = p + 1;
		close_quote = scan_string(key, end, &plain);
		if (close_quote == NULL)
			return false;
		print = fingerprint(key, close_quote - key, plain);
		if (!add_name(s, key, close_quote - key, plain, print))
			return false;
		if (s->depth == 1)
		{
			for (size_t i = 0; i < member_count; i++)
			{
				if (wanted_print[i] == print &&
					unescaped_equal((const unsigned char *) members[i].name,
									strlen(members[i].name), true,
									key, close_quote - key, plain))
				{
					pending = &members[i];
					break;
				}
			}
		}
		p = skip_space(close_quote + 1, end);
		if (p >= end || *p != ':')
			return false;
		p++;
		goto value;
	}
}

bool
json_scan_object(const char *text, size_t len, json_scan_member *members,
				 size_t member_count)
{
	scanner		s;
	bool		valid;

	s.names = (name_set)
	{
		NULL, 0, 0
	};
	valid = scan_document(&s, text, len, members, member_count);
	free(s.names.slots);
	return valid;
}

bool
json_scan_string_equals(const json_scan_value *value, const char *plain,
						size_t plain_len)
{
	return value->type == JSON_SCAN_STRING &&
		unescaped_equal((const unsigned char *) value->text, value->len, value->plain,
						(const unsigned char *) plain, plain_len, true);
}

static int
ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

bool
json_scan_string_equals_ascii_nocase(const json_scan_value *value,
									 const char *plain, size_t plain_len)
{
	unescaper	u;
	size_t		i = 0;
	int			c;

	if (value->type != JSON_SCAN_STRING)
		return false;
	unescaper_init(&u, value->text, value->len, value->plain);
	while ((c = unescaper_next(&u)) >= 0)
	{
		if (i == plain_len || ascii_lower(c) != ascii_lower((unsigned char) plain[i]))
			return false;
		i++;
	}
	return i == plain_len;
}

bool
json_scan_string_copy(const json_scan_value *value, char *out, size_t out_size,
					  size_t *out_len)
{
	unescaper	u;
	size_t		n = 0;
	int			c;

	if (value->type != JSON_SCAN_STRING || out_size == 0)
		return false;
	if (value->plain)
	{
		if (value->len >= out_size)
			return false;
		memcpy(out, value->text, value->len);
		n = value->len;
	}
	else
	{
		unescaper_init(&u, value->text, value->len, false);
		while ((c = unescaper_next(&u)) >= 0)
		{
			if (n + 1 >= out_size)
				return false;
			out[n++] = (char) c;
		}
	}
	out[n] = '\0';
	*out_len = n;
	return true;
}

double
json_scan_number(const json_scan_value *value)
{
	const unsigned char *p = (const unsigned char *) value->text;
	const unsigned char *end = p + value->len;
	bool		negative = (*p == '-');
	uint64_t	magnitude = 0;

	if (memchr(p, '.', value->len) != NULL || memchr(p, 'e', value->len) != NULL ||
		memchr(p, 'E', value->len) != NULL)
		return real_value(p, value->len);

	/* An integer within int64 (validated), converted as jansson does. */
	for (p += negative; p < end; p++)
		magnitude = magnitude * 10 + (uint64_t) (*p - '0');
	if (negative)
		return (double) (int64_t) (0 - magnitude);
	return (double) (int64_t) magnitude;
}

bool
json_scan_array_next(const json_scan_value *array, const char **cursor,
					 json_scan_value *element)
{
	const unsigned char *end;
	const unsigned char *p;
	const unsigned char *after;

	if (array->type != JSON_SCAN_ARRAY)
		return false;
	end = (const unsigned char *) array->text + array->len - 1;	/* the ']' */
	p = (*cursor == NULL) ? (const unsigned char *) array->text + 1
		: (const unsigned char *) *cursor;
	p = skip_space(p, end);
	if (p < end && *p == ',')
		p = skip_space(p + 1, end);
	if (p >= end)
		return false;
	after = skip_validated_value(p, end);
	element->type = type_at(*p);
	element->text = (const char *) p;
	element->len = after - p;
	element->plain = true;
	if (element->type == JSON_SCAN_STRING)
	{
		element->text++;
		element->len -= 2;
		element->plain = memchr(element->text, '\\', element->len) == NULL;
	}
	*cursor = (const char *) after;
	return true;
}
