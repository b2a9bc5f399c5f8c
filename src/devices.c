/*
 * devices.c
 *	  "Where you're signed in": auth_sessions(token) lists the caller's own
 *	  live sessions, auth_logout_device(session_id, token) ends one of them.
 *	  Supabase Auth has no endpoint for either (v2.196); both verify the
 *	  caller's token as auth_logout does and never reach another user's rows.
 *
 * Locks: the listing takes none. Ending a device locks only the session row
 * it deletes (its refresh_tokens and mfa_amr_claims rows go by GoTrue's ON
 * DELETE CASCADE), so the user's other devices refresh undisturbed; the
 * token's own session, when another is ended, is only read.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"

#include "audit.h"
#include "caller_token.h"
#include "ended_sessions.h"
#include "errors.h"
#include "logout.h"
#include "session_validity.h"
#include "settings.h"
#include "spi_statement.h"

PG_FUNCTION_INFO_V1(auth_sessions);
PG_FUNCTION_INFO_V1(auth_logout_device);

/*
 * An id that is unknown, already ended or another user's: one answer for
 * all three, from one path, so nobody learns which ids exist.
 */
#define SESSION_NOT_FOUND "session not found"
#define SESSION_NOT_FOUND_HINT "List your sessions again with auth_sessions()."

/*
 * Every session of user $1 with what a device list shows: the check's
 * columns first (session_validity.h), then these. Sign-in methods most
 * recent first, as GoTrue orders a token's amr (CalculateAALAndAMR).
 * Nothing of the refresh token (refresh_token_hmac_key, counter, rows).
 */
#define LISTED_USER_AGENT 7
#define LISTED_IP 8
#define LISTED_AAL 9
#define LISTED_SIGN_IN_METHODS 10
#define LISTED_OAUTH_CLIENT_ID 11
static saved_statement list_user_sessions = {
	.table = "sessions",
	.sql = "SELECT " JCV_SESSION_COLUMNS ", s.user_agent, s.ip, s.aal::pg_catalog.text,"
	" ARRAY(SELECT m.authentication_method FROM auth.mfa_amr_claims m"
	"  WHERE m.session_id = s.id ORDER BY m.updated_at DESC, m.authentication_method),"
	" s.oauth_client_id"
	" FROM auth.sessions s WHERE s.user_id = $1",
	.nargs = 1,
	.argtypes = {UUIDOID}
};

/* The token's own session, read without a lock while another one is ended. */
static saved_statement find_token_session = {
	.table = "sessions",
	.sql = "SELECT 1 FROM auth.sessions WHERE id = $1 AND user_id = $2",
	.nargs = 2,
	.argtypes = {UUIDOID, UUIDOID}
};

/* The one row a device logout locks: no match when it is not $2's. */
static saved_statement lock_user_session = {
	.table = "sessions",
	.sql = "SELECT id FROM auth.sessions WHERE id = $1 AND user_id = $2 FOR UPDATE",
	.nargs = 2,
	.argtypes = {UUIDOID, UUIDOID}
};

/* The output columns of auth_sessions(), in its declared order. */
typedef enum listed_column
{
	OUT_ID,
	OUT_CREATED_AT,
	OUT_LAST_ACTIVE_AT,
	OUT_USER_AGENT,
	OUT_IP,
	OUT_AAL,
	OUT_SIGN_IN_METHODS,
	OUT_OAUTH_CLIENT_ID,
	OUT_CURRENT,
	OUT_COLUMN_COUNT
} listed_column;

/* One live session of the listing, pointing into SPI_tuptable. */
typedef struct listed_session
{
	HeapTuple	row;
	pg_uuid_t  *id;
	jcv_session_times times;
	bool		current;
} listed_session;

static bool
same_uuid(const pg_uuid_t *a, const pg_uuid_t *b)
{
	return memcmp(a->data, b->data, UUID_LEN) == 0;
}

/* Newest activity first; then the newest sign-in; then by id, for a stable order. */
static int
compare_listed(const void *a, const void *b)
{
	const listed_session *x = a;
	const listed_session *y = b;

	if (x->times.has_last_active != y->times.has_last_active)
		return x->times.has_last_active ? -1 : 1;
	if (x->times.has_last_active && x->times.last_active != y->times.last_active)
		return x->times.last_active > y->times.last_active ? -1 : 1;
	if (x->times.has_created_at != y->times.has_created_at)
		return x->times.has_created_at ? -1 : 1;
	if (x->times.has_created_at && x->times.created_at != y->times.created_at)
		return x->times.created_at > y->times.created_at ? -1 : 1;
	return memcmp(x->id->data, y->id->data, UUID_LEN);
}

static void
put_listed_session(ReturnSetInfo *rsinfo, const listed_session *session)
{
	Datum		values[OUT_COLUMN_COUNT];
	bool		nulls[OUT_COLUMN_COUNT];
	TupleDesc	desc = SPI_tuptable->tupdesc;

	values[OUT_ID] = UUIDPGetDatum(session->id);
	nulls[OUT_ID] = false;
	values[OUT_CREATED_AT] = TimestampTzGetDatum(session->times.created_at);
	nulls[OUT_CREATED_AT] = !session->times.has_created_at;
	values[OUT_LAST_ACTIVE_AT] = TimestampTzGetDatum(session->times.last_active);
	nulls[OUT_LAST_ACTIVE_AT] = !session->times.has_last_active;
	values[OUT_USER_AGENT] = SPI_getbinval(session->row, desc, LISTED_USER_AGENT,
										   &nulls[OUT_USER_AGENT]);
	values[OUT_IP] = SPI_getbinval(session->row, desc, LISTED_IP, &nulls[OUT_IP]);
	values[OUT_AAL] = SPI_getbinval(session->row, desc, LISTED_AAL, &nulls[OUT_AAL]);
	values[OUT_SIGN_IN_METHODS] = SPI_getbinval(session->row, desc, LISTED_SIGN_IN_METHODS,
												&nulls[OUT_SIGN_IN_METHODS]);
	values[OUT_OAUTH_CLIENT_ID] = SPI_getbinval(session->row, desc, LISTED_OAUTH_CLIENT_ID,
												&nulls[OUT_OAUTH_CLIENT_ID]);
	values[OUT_CURRENT] = BoolGetDatum(session->current);
	nulls[OUT_CURRENT] = false;

	/* Copies the values into the result's own memory. */
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * The caller's live sessions. The token's own session must be among them
 * and not have ended, as for the session check: a token logged out lists
 * nothing. Sessions past not_after, jcv_logout.session_timebox or
 * jcv_logout.idle_timeout are left out (GoTrue refuses their refresh).
 */
Datum
auth_sessions(PG_FUNCTION_ARGS)
{
	jcv_claims	claims = jcv_verify_caller_token(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		user_id = uuid_datum(claims.sub);
	jcv_audit_actor actor;
	pg_uuid_t  *token_session = NULL;
	bool		token_session_found = false;
	TimestampTz now = GetCurrentTimestamp();
	listed_session *listed;
	uint64		count;
	uint64		live = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (claims.has_session_id)
		token_session = DatumGetUUIDP(uuid_datum(claims.session_id));

	jcv_spi_connect();
	jcv_find_token_user(user_id, &actor);
	count = run_statement(&list_user_sessions, &user_id, true);

	listed = palloc(Max(count, 1) * sizeof(listed_session));
	for (uint64 i = 0; i < count; i++)
	{
		listed_session *session = &listed[live];
		bool		isnull;
		bool		ended;

		CHECK_FOR_INTERRUPTS();
		session->row = SPI_tuptable->vals[i];
		session->id = DatumGetUUIDP(SPI_getbinval(session->row, SPI_tuptable->tupdesc,
												  JCV_SESSION_ID_COLUMN, &isnull));
		jcv_session_from_row(session->row, SPI_tuptable->tupdesc, &session->times);
		session->current = token_session != NULL && same_uuid(session->id, token_session);
		ended = jcv_session_has_ended(&session->times, now) ||
			jcv_session_listed_ended(session->id, GetActiveSnapshot());
		if (session->current)
		{
			token_session_found = true;
			if (ended)
				jcv_raise(JCV_UNAUTHORIZED, "session from access token has ended", NULL, NULL);
		}
		if (!ended)
			live++;
	}
	if (token_session != NULL && !token_session_found)
		jcv_raise(JCV_UNAUTHORIZED, "session from access token does not exist", NULL, NULL);

	qsort(listed, live, sizeof(listed_session), compare_listed);
	for (uint64 i = 0; i < live; i++)
		put_listed_session(rsinfo, &listed[i]);

	SPI_finish();
	return (Datum) 0;
}

/*
 * Ends one of the caller's sessions, the token's own included (a local
 * logout then), with auth_logout's verification, payload and audit row.
 * Another user's session, an unknown one and one ended already all answer
 * LOGOUT_ERROR "session not found" after the same statements.
 */
Datum
auth_logout_device(PG_FUNCTION_ARGS)
{
	jcv_claims	claims = jcv_verify_caller_token(PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1));
	MemoryContext caller_context = CurrentMemoryContext;
	Datum		args[2];
	Datum		user_id;
	jcv_audit_actor actor;
	bool		own_session;
	Jsonb	   *payload;

	if (PG_ARGISNULL(0))
		jcv_raise(JCV_BAD_REQUEST, "session_id must not be NULL", NULL, NULL);
	user_id = uuid_datum(claims.sub);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = user_id;
	own_session = claims.has_session_id &&
		same_uuid(DatumGetUUIDP(args[0]), DatumGetUUIDP(uuid_datum(claims.session_id)));

	jcv_spi_connect();
	jcv_find_token_user(user_id, &actor);

	/* As auth_logout: the token's session must exist and be the user's. */
	if (claims.has_session_id && !own_session)
	{
		Datum		token_args[2] = {uuid_datum(claims.session_id), user_id};

		if (run_statement(&find_token_session, token_args, true) == 0)
			jcv_raise(JCV_UNAUTHORIZED, "session from access token does not exist", NULL, NULL);
	}

	if (run_statement(&lock_user_session, args, false) == 0)
	{
		if (own_session)
			jcv_raise(JCV_UNAUTHORIZED, "session from access token does not exist", NULL, NULL);
		jcv_raise(JCV_BAD_REQUEST, SESSION_NOT_FOUND, SESSION_NOT_FOUND_HINT, NULL);
	}
	jcv_delete_one_session(args[0]);

	if (jcv_audit)
		jcv_audit_logout(&actor);

	SPI_finish();

	MemoryContextSwitchTo(caller_context);
	payload = logout_payload();
	PG_RETURN_JSONB_P(payload);
}
