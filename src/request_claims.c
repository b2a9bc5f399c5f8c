/*
 * request_claims.c
 *	  Reads the session a PostgREST request belongs to from request.jwt.claims.
 */
#include "request_claims.h"

#include <string.h>

#include <jansson.h>

static bool
role_has_no_session(json_t *role)
{
	const char *name;

	if (!json_is_string(role))
		return false;
	name = json_string_value(role);
	return strcmp(name, JCV_ANON_ROLE) == 0 || strcmp(name, JCV_SERVICE_ROLE) == 0;
}

/* A string member that holds a uuid, copied to out. */
static bool
uuid_member(json_t *object, const char *name, char out[JCV_UUID_TEXT_LEN + 1])
{
	json_t	   *value = json_object_get(object, name);

	return json_is_string(value) &&
		jcv_copy_uuid(json_string_value(value), json_string_length(value), out);
}

static bool
read_claims_object(json_t *object, jcv_claims *claims)
{
	if (!json_is_object(object))
		return false;
	if (json_object_get(object, "session_id") == NULL ||
		role_has_no_session(json_object_get(object, "role")))
		return true;
	if (!uuid_member(object, "session_id", claims->session_id))
		return false;
	/* GoTrue's way of saying "no session", as in auth_logout */
	if (strcmp(claims->session_id, JCV_NIL_UUID) == 0)
		return true;
	if (!uuid_member(object, "sub", claims->sub))
		return false;
	claims->has_session_id = true;
	return true;
}

bool
jcv_read_request_claims(const char *claims_json, jcv_claims *claims)
{
	json_error_t error;
	json_t	   *object;
	bool		usable;

	memset(claims, 0, sizeof(*claims));
	/* Outside PostgREST there are no claims; PostgREST sets {"role":"anon"}. */
	if (claims_json == NULL || claims_json[0] == '\0')
		return true;

	object = json_loads(claims_json, JSON_REJECT_DUPLICATES, &error);
	if (object == NULL)
		return false;
	usable = read_claims_object(object, claims);
	json_decref(object);
	return usable;
}
