/*
 * payload.h
 *	  The jsonb answers of the extension's functions: {"success": true, …}.
 */
#ifndef JCV_PAYLOAD_H
#define JCV_PAYLOAD_H

#include "utils/jsonb.h"

/* Opens an object whose first member is "success": true. */
extern JsonbParseState *jcv_payload_begin(void);
extern void jcv_payload_add(JsonbParseState **state, const char *key, JsonbValue *value);
extern Jsonb *jcv_payload_end(JsonbParseState **state);

#endif							/* JCV_PAYLOAD_H */
