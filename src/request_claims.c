/*
 * request_claims.c
 *	  Reads the session a PostgREST request belongs to from request.jwt.claims.
 */
#include "request_claims.h"

#include <string.h>

#include "json_scan.h"

/* Claims we read, in the order of the members in jcv_read_request_claims. */
enum
{
	REQUEST_SESSION_ID, REQUEST_ROLE, REQUEST_SUB, REQUEST_MEMBER_COUNT
};

static bool
role_has_no_session(const json_scan_value *role)
{
	return json_scan_string_equals(role, JCV_ANON_ROLE, strlen(JCV_ANON_ROLE)) ||
		json_scan_string_equals(role, JCV_SERVICE_ROLE, strlen(JCV_SERVICE_ROLE));
}

static bool
read_claims_object(const json_scan_member *object, jcv_claims *claims)
{
	if (object[REQUEST_SESSION_ID].value.type == JSON_SCAN_ABSENT ||
		role_has_no_session(&object[REQUEST_ROLE].value))
		return true;
	/* null and "": no session, as in auth_logout (src/jwt_verify.c) */
	if (object[REQUEST_SESSION_ID].value.type == JSON_SCAN_NULL ||
		json_scan_string_equals(&object[REQUEST_SESSION_ID].value, "", 0))
		return true;
	if (!jcv_copy_uuid_value(&object[REQUEST_SESSION_ID].value, claims->session_id))
		return false;
	/* GoTrue's way of saying "no session", as in auth_logout */
	if (strcmp(claims->session_id, JCV_NIL_UUID) == 0)
		return true;
	if (!jcv_copy_uuid_value(&object[REQUEST_SUB].value, claims->sub))
		return false;
	claims->has_session_id = true;
	return true;
}

bool
jcv_read_request_claims(const char *claims_json, jcv_claims *claims)
{
	json_scan_member object[REQUEST_MEMBER_COUNT] = {
		[REQUEST_SESSION_ID] = {.name = "session_id"},
		[REQUEST_ROLE] = {.name = "role"},
		[REQUEST_SUB] = {.name = "sub"},
	};
	size_t		len;

	memset(claims, 0, sizeof(*claims));
	/* Outside PostgREST there are no claims; PostgREST sets {"role":"anon"}. */
	if (claims_json == NULL || claims_json[0] == '\0')
		return true;

	len = strnlen(claims_json, JCV_MAX_REQUEST_JSON_BYTES + 1);
	return len <= JCV_MAX_REQUEST_JSON_BYTES &&
		json_scan_object(claims_json, len, object, REQUEST_MEMBER_COUNT) &&
		read_claims_object(object, claims);
}
