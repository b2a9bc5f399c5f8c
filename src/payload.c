/*
 * payload.c
 *	  Builds the jsonb answers of the extension's functions, all shaped
 *	  {"success": true, …} like Supabase Auth's endpoint replies.
 */
#include "postgres.h"

#include "payload.h"

void
jcv_payload_add(JsonbParseState **state, const char *key, JsonbValue *value)
{
	JsonbValue	key_value;

	key_value.type = jbvString;
	key_value.val.string.val = (char *) key;
	key_value.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &key_value);
	pushJsonbValue(state, WJB_VALUE, value);
}

JsonbParseState *
jcv_payload_begin(void)
{
	JsonbParseState *state = NULL;
	JsonbValue	success;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	success.type = jbvBool;
	success.val.boolean = true;
	jcv_payload_add(&state, "success", &success);
	return state;
}

Jsonb *
jcv_payload_end(JsonbParseState **state)
{
	return JsonbValueToJsonb(pushJsonbValue(state, WJB_END_OBJECT, NULL));
}
