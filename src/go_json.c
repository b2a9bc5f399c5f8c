/*
 * go_json.c
 *	  Writes JSON text byte for byte as Go's encoding/json (json.Marshal)
 *	  writes it, for the audit rows Supabase Auth writes that way
 *	  (internal/models/audit_log_entry.go, JSONMap.Value). jsonb values are
 *	  written as GoTrue writes what it read from jsonb: json.Unmarshal into
 *	  interface{} (objects become maps, numbers float64), then json.Marshal.
 *
 *	  Go's rules (encoding/json encode.go, Go 1.22 and later: Supabase Auth
 *	  v2.196 builds with Go 1.26): no spaces; map keys sorted by their
 *	  bytes; in strings '"' and '\\' escaped, \b \f \n \r \t by name, other
 *	  bytes below 0x20 and '<' '>' '&' as \u00xx, U+2028 and U+2029 as
 *	  \u2028 and \u2029, each byte of invalid UTF-8 as \ufffd; a float64 in
 *	  its shortest form that reads back, plain below 1e21 and from 1e-6 on,
 *	  else with an exponent of at least one digit (1e+21, 1e-7).
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "go_json.h"

static const char hex_digits[] = "0123456789abcdef";

/* Go's float64 format switches to an exponent outside [1e-6, 1e21). */
#define GO_PLAIN_FLOAT_MIN 1e-6
#define GO_PLAIN_FLOAT_LIMIT 1e21

/* UTF-8 of U+2028 and U+2029: E2 80 A8, E2 80 A9 */
#define LINE_SEPARATOR_LEAD "\xe2\x80"
#define LINE_SEPARATOR_LAST 0xa8
#define PARAGRAPH_SEPARATOR_LAST 0xa9

static void append_container(StringInfo out, JsonbContainer *container);

void
jcv_go_json_string(StringInfo out, const char *s, int len)
{
	int			start = 0;
	int			i = 0;

	appendStringInfoChar(out, '"');
	while (i < len)
	{
		unsigned char c = (unsigned char) s[i];
		int			rune_len;

		if (c < 0x80)
		{
			const char *escape = NULL;

			if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&')
			{
				i++;
				continue;
			}
			appendBinaryStringInfo(out, s + start, i - start);
			switch (c)
			{
				case '"':
					escape = "\\\"";
					break;
				case '\\':
					escape = "\\\\";
					break;
				case '\b':
					escape = "\\b";
					break;
				case '\f':
					escape = "\\f";
					break;
				case '\n':
					escape = "\\n";
					break;
				case '\r':
					escape = "\\r";
					break;
				case '\t':
					escape = "\\t";
					break;
			}
			if (escape != NULL)
				appendStringInfoString(out, escape);
			else
			{
				appendStringInfoString(out, "\\u00");
				appendStringInfoChar(out, hex_digits[c >> 4]);
				appendStringInfoChar(out, hex_digits[c & 0xf]);
			}
			start = ++i;
			continue;
		}
		rune_len = pg_utf_mblen((const unsigned char *) s + i);
		if (rune_len > len - i || !pg_utf8_islegal((const unsigned char *) s + i, rune_len))
		{
			/* Go's utf8.DecodeRune: one byte at a time, each a U+FFFD */
			appendBinaryStringInfo(out, s + start, i - start);
			appendStringInfoString(out, "\\ufffd");
			start = ++i;
			continue;
		}
		if (rune_len == 3 && memcmp(s + i, LINE_SEPARATOR_LEAD, 2) == 0 &&
			((unsigned char) s[i + 2] == LINE_SEPARATOR_LAST ||
			 (unsigned char) s[i + 2] == PARAGRAPH_SEPARATOR_LAST))
		{
			appendBinaryStringInfo(out, s + start, i - start);
			appendStringInfoString(out, (unsigned char) s[i + 2] == LINE_SEPARATOR_LAST
								   ? "\\u2028" : "\\u2029");
			i += rune_len;
			start = i;
			continue;
		}
		i += rune_len;
	}
	appendBinaryStringInfo(out, s + start, i - start);
	appendStringInfoChar(out, '"');
}

/*
 * A number as GoTrue writes it: PostgreSQL's text of it read as a float64
 * (strtod and Go's ParseFloat both round correctly), written in Go's form.
 * A number beyond float64 makes GoTrue fail to read the user at all; it is
 * written here as PostgreSQL stores it.
 */
static void
append_number(StringInfo out, Numeric number)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(number)));
	double		value = strtod(text, NULL);
	char		shortest[DOUBLE_SHORTEST_DECIMAL_LEN];
	char		digits[DOUBLE_SHORTEST_DECIMAL_LEN];
	int			ndigits = 0;
	int			point = -1;		/* digits before the decimal point */
	int			exponent = 0;
	bool		scientific;

	if (isinf(value) || isnan(value))
	{
		appendStringInfoString(out, text);
		return;
	}
	if (value == 0)
	{
		appendStringInfoChar(out, '0');
		return;
	}

	/*
	 * PostgreSQL's shortest digits (Ryu, as Go's strconv finds them), in
	 * whatever notation it prints, read back into digits and an exponent:
	 * the value is 0.<digits> * 10^point.
	 */
	double_to_shortest_decimal_buf(value, shortest);
	for (const char *p = shortest; *p != '\0'; p++)
	{
		if (*p >= '0' && *p <= '9')
		{
			if (ndigits == 0 && *p == '0')
			{
				if (point >= 0)
					exponent--; /* a zero after the point, before any digit */
				continue;
			}
			digits[ndigits++] = *p;
		}
		else if (*p == '.')
			point = ndigits;
		else if (*p == 'e' || *p == 'E')
		{
			exponent += atoi(p + 1);
			break;
		}
	}
	if (point < 0)
	{
		/* no point: every digit (trailing zeros too) is before it */
		point = ndigits;
	}
	point += exponent;
	while (ndigits > 1 && digits[ndigits - 1] == '0')
		ndigits--;

	if (value < 0)
		appendStringInfoChar(out, '-');
	scientific = fabs(value) < GO_PLAIN_FLOAT_MIN || fabs(value) >= GO_PLAIN_FLOAT_LIMIT;
	if (scientific)
	{
		int			e = point - 1;

		/* strconv's %e, and encoding/json's e-07 → e-7 */
		appendStringInfoChar(out, digits[0]);
		if (ndigits > 1)
		{
			appendStringInfoChar(out, '.');
			appendBinaryStringInfo(out, digits + 1, ndigits - 1);
		}
		appendStringInfo(out, "e%c%s%d", e < 0 ? '-' : '+',
						 (e >= 0 && e < 10) ? "0" : "", abs(e));
		return;
	}
	/* strconv's %f with the shortest digits */
	if (point <= 0)
		appendStringInfoChar(out, '0');
	else
		for (int i = 0; i < point; i++)
			appendStringInfoChar(out, i < ndigits ? digits[i] : '0');
	if (ndigits > point)
	{
		appendStringInfoChar(out, '.');
		for (int i = point; i < ndigits; i++)
			appendStringInfoChar(out, i < 0 ? '0' : digits[i]);
	}
}

void
jcv_go_json_value(StringInfo out, JsonbValue *value)
{
	switch (value->type)
	{
		case jbvNull:
			appendStringInfoString(out, "null");
			break;
		case jbvBool:
			appendStringInfoString(out, value->val.boolean ? "true" : "false");
			break;
		case jbvString:
			jcv_go_json_string(out, value->val.string.val, value->val.string.len);
			break;
		case jbvNumeric:
			append_number(out, value->val.numeric);
			break;
		case jbvBinary:
			append_container(out, value->val.binary.data);
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) value->type);
	}
}

/* Go sorts map keys as strings: by their bytes, a prefix first. */
static int
compare_members(const void *a, const void *b)
{
	const JsonbValue *key_a = &((const JsonbPair *) a)->key;
	const JsonbValue *key_b = &((const JsonbPair *) b)->key;
	int			shorter = Min(key_a->val.string.len, key_b->val.string.len);
	int			cmp = memcmp(key_a->val.string.val, key_b->val.string.val, shorter);

	return cmp != 0 ? cmp : key_a->val.string.len - key_b->val.string.len;
}

static void
append_container(StringInfo out, JsonbContainer *container)
{
	JsonbIterator *it = JsonbIteratorInit(container);
	JsonbValue	value;
	JsonbIteratorToken token;
	JsonbPair  *members = NULL;
	int			count = 0;
	int			allocated = 0;
	bool		object = false;
	bool		scalar = false;

	check_stack_depth();
	/* skipNested: inner containers come back whole, as jbvBinary */
	while ((token = JsonbIteratorNext(&it, &value, true)) != WJB_DONE)
	{
		switch (token)
		{
			case WJB_BEGIN_ARRAY:
				scalar = value.val.array.rawScalar;
				if (!scalar)
					appendStringInfoChar(out, '[');
				break;
			case WJB_END_ARRAY:
				if (!scalar)
					appendStringInfoChar(out, ']');
				break;
			case WJB_ELEM:
				if (count++ > 0)
					appendStringInfoChar(out, ',');
				jcv_go_json_value(out, &value);
				break;
			case WJB_BEGIN_OBJECT:
				object = true;
				allocated = Max(value.val.object.nPairs, 1);
				members = palloc(allocated * sizeof(JsonbPair));
				break;
			case WJB_KEY:
				members[count].key = value;
				break;
			case WJB_VALUE:
				members[count++].value = value;
				break;
			case WJB_END_OBJECT:
			case WJB_DONE:
				break;
		}
	}
	if (!object)
		return;
	qsort(members, count, sizeof(JsonbPair), compare_members);
	appendStringInfoChar(out, '{');
	for (int i = 0; i < count; i++)
	{
		if (i > 0)
			appendStringInfoChar(out, ',');
		jcv_go_json_string(out, members[i].key.val.string.val, members[i].key.val.string.len);
		appendStringInfoChar(out, ':');
		jcv_go_json_value(out, &members[i].value);
	}
	appendStringInfoChar(out, '}');
	pfree(members);
}
