/*
 * session_check.c
 *	  Refuses access tokens whose session has ended: auth_require_session()
 *	  as PostgREST's db-pre-request hook, auth_session_active(token) for other
 *	  backends. One index lookup in auth.sessions, read-only and without row
 *	  locks, so both work in read-only transactions and on a hot standby.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "caller_token.h"
#include "errors.h"
#include "request_claims.h"
#include "session_validity.h"
#include "spi_statement.h"

PG_FUNCTION_INFO_V1(auth_require_session);
PG_FUNCTION_INFO_V1(auth_session_active);

typedef enum session_state
{
	SESSION_ACTIVE,
	SESSION_MISSING,			/* deleted (logged out), or not the user's */
	SESSION_ENDED				/* past not_after, timebox or idle timeout */
} session_state;

/* The primary key finds the row; a session of another user is no match. */
static saved_statement find_user_session = {
	.sql = "SELECT " JCV_SESSION_COLUMNS " FROM auth.sessions"
	" WHERE id = $1 AND user_id = $2",
	.nargs = 2,
	.argtypes = {UUIDOID, UUIDOID}
};

static session_state
state_of_session(const jcv_claims *claims)
{
	Datum		args[2] = {uuid_datum(claims->session_id), uuid_datum(claims->sub)};
	session_state state = SESSION_MISSING;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (run_statement(&find_user_session, args, true) > 0)
	{
		jcv_session_times times;

		jcv_session_from_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, &times);
		state = jcv_session_has_ended(&times, GetCurrentTimestamp())
			? SESSION_ENDED : SESSION_ACTIVE;
	}
	SPI_finish();
	return state;
}

/*
 * db-pre-request hook: raises UNAUTHORIZED (HTTP 401 through PostgREST)
 * when the request's token belongs to a session that no longer exists or
 * has ended. Requests without a session (anonymous, service_role, tokens
 * without session_id) pass.
 *
 * Unlike auth_logout, this reads request.jwt.claims. That is sound here:
 * PostgREST sets it from a JWT it has just verified, and the hook can only
 * refuse a request, never grant or delete anything, so a SQL session that
 * forges the setting gains nothing it could not do by not calling the hook.
 */
Datum
auth_require_session(PG_FUNCTION_ARGS)
{
	jcv_claims	claims;

	if (!jcv_read_request_claims(GetConfigOption("request.jwt.claims", true, false),
								 &claims))
		jcv_raise(JCV_UNAUTHORIZED, jcv_status_message(JCV_BAD_CLAIMS), NULL, NULL);
	if (!claims.has_session_id)
		PG_RETURN_VOID();

	switch (state_of_session(&claims))
	{
		case SESSION_ACTIVE:
			break;
		case SESSION_MISSING:
			jcv_raise(JCV_UNAUTHORIZED, "session from access token does not exist", NULL, NULL);
			break;
		case SESSION_ENDED:
			jcv_raise(JCV_UNAUTHORIZED, "session from access token has ended", NULL, NULL);
			break;
	}
	PG_RETURN_VOID();
}

/*
 * True only if the token verifies and its session still exists, belongs to
 * the token's user and has not ended. A token that does not verify, or has
 * no session to check, is simply not active: false. A configuration fault
 * (no key, no auth schema) still raises SUPABASE_ERROR, so that it never
 * reads as "logged out".
 */
Datum
auth_session_active(PG_FUNCTION_ARGS)
{
	jcv_claims	claims;

	if (jcv_check_caller_token(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0), &claims) != JCV_OK)
		PG_RETURN_BOOL(false);
	if (!claims.has_session_id)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(state_of_session(&claims) == SESSION_ACTIVE);
}
