/*
 * go_json.h
 *	  JSON text exactly as Go's encoding/json writes it (Supabase Auth's
 *	  audit payloads): compact, map keys sorted, HTML characters escaped.
 */
#ifndef JCV_GO_JSON_H
#define JCV_GO_JSON_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* Appends s (len bytes) as a Go JSON string. */
extern void jcv_go_json_string(StringInfo out, const char *s, int len);

/*
 * Appends a jsonb value (scalar, or a container as jbvBinary) as GoTrue
 * writes one it has read from jsonb (json.Unmarshal into interface{}, then
 * json.Marshal).
 */
extern void jcv_go_json_value(StringInfo out, JsonbValue *value);

#endif							/* JCV_GO_JSON_H */
