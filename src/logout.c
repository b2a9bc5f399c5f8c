/*
 * logout.c
 *	  auth_logout(token, scope): verifies the caller's access token, then ends
 *	  sessions in Supabase Auth's tables as its /logout endpoint does (the
 *	  README lists where and why the two differ).
 *
 * Lock order: every logout first locks all sessions of the user, ordered by
 * id (FOR UPDATE), and only then writes: it deletes sessions (their
 * refresh_tokens and mfa_amr_claims rows go by GoTrue's ON DELETE CASCADE,
 * each locked as it is deleted), then the user's session-less refresh
 * tokens, then inserts the audit row. Two logouts of one user therefore queue
 * on the session locks instead of deadlocking, whatever their scopes.
 * Supabase Auth's refresh locks a refresh token row, then its session, both
 * FOR UPDATE SKIP LOCKED, so it never waits on a logout; a logout waits only
 * for a refresh that locked first. Its own /logout deletes in scan order, not
 * id order: racing it on a user with several sessions can deadlock, and
 * PostgreSQL then aborts one side (here LOGOUT_ERROR, nothing deleted).
 * The isolation specs in specs/ exercise each race.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "audit.h"
#include "caller_token.h"
#include "errors.h"
#include "logout.h"
#include "payload.h"
#include "session_validity.h"
#include "settings.h"
#include "spi_statement.h"

PG_FUNCTION_INFO_V1(auth_logout);

#define LOGOUT_MESSAGE "Successfully logged out"

typedef enum logout_scope
{
	SCOPE_GLOBAL,
	SCOPE_LOCAL,
	SCOPE_OTHERS
} logout_scope;

/*
 * The token's user as Supabase Auth finds it (FindUserByID: the nil
 * instance only), with what its audit row names and when a ban ends.
 */
static saved_statement find_user = {
	.table = "users",
	.sql = "SELECT " JCV_AUDIT_ACTOR_COLUMNS ", u.banned_until FROM auth.users u"
	" WHERE u.id = $1 AND u.instance_id = '00000000-0000-0000-0000-000000000000'",
	.nargs = 1,
	.argtypes = {UUIDOID}
};
#define BANNED_UNTIL_COLUMN (JCV_AUDIT_ACTOR_COLUMN_COUNT + 1)

static saved_statement lock_user_sessions = {
	.table = "sessions",
	.sql = "SELECT " JCV_SESSION_COLUMNS " FROM auth.sessions"
	" WHERE user_id = $1 ORDER BY id FOR UPDATE",
	.nargs = 1,
	.argtypes = {UUIDOID}
};

static saved_statement delete_session = {
	.table = "sessions",
	.sql = "DELETE FROM auth.sessions WHERE id = $1",
	.nargs = 1,
	.argtypes = {UUIDOID}
};

static saved_statement delete_other_sessions = {
	.table = "sessions",
	.sql = "DELETE FROM auth.sessions WHERE user_id = $1 AND id OPERATOR(pg_catalog.<>) $2",
	.nargs = 2,
	.argtypes = {UUIDOID, UUIDOID}
};

static saved_statement delete_user_sessions = {
	.table = "sessions",
	.sql = "DELETE FROM auth.sessions WHERE user_id = $1",
	.nargs = 1,
	.argtypes = {UUIDOID}
};

/*
 * Legacy refresh tokens without a session are not reached by the cascade.
 * The only index leading to user_id is (instance_id, user_id); GoTrue writes
 * the nil instance_id, rows inserted by hand may have NULL.
 */
saved_statement delete_sessionless_refresh_tokens = {
	.table = "refresh_tokens",
	.sql = "DELETE FROM auth.refresh_tokens"
	" WHERE (instance_id = '00000000-0000-0000-0000-000000000000' OR instance_id IS NULL)"
	" AND user_id = $1::pg_catalog.text AND session_id IS NULL",
	.nargs = 1,
	.argtypes = {UUIDOID}
};

static logout_scope
parse_scope(text *scope_text)
{
	char	   *scope;

	/* GoTrue treats an absent or empty scope as global. */
	if (scope_text == NULL)
		return SCOPE_GLOBAL;
	scope = text_to_cstring(scope_text);
	if (scope[0] == '\0' || strcmp(scope, "global") == 0)
		return SCOPE_GLOBAL;
	if (strcmp(scope, "local") == 0)
		return SCOPE_LOCAL;
	if (strcmp(scope, "others") == 0)
		return SCOPE_OTHERS;
	jcv_raise(JCV_BAD_REQUEST, "unsupported logout scope",
			  "Use global, local or others.", NULL);
	pg_unreachable();
}

/*
 * The token's user, as Supabase Auth's requireAuthentication finds it: it
 * must exist in the nil instance and not be banned (403 user_banned there,
 * since v2.195.0). Fills actor for the audit row.
 */
static void
find_token_user(Datum user_id, jcv_audit_actor *actor)
{
	bool		isnull;
	Datum		banned_until;

	if (run_statement(&find_user, &user_id, false) == 0)
		jcv_raise(JCV_UNAUTHORIZED, "user from access token does not exist", NULL, NULL);
	banned_until = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
								 BANNED_UNTIL_COLUMN, &isnull);
	if (!isnull && DatumGetTimestampTz(banned_until) > GetCurrentTimestamp())
		jcv_raise(JCV_UNAUTHORIZED, "user from access token is banned", NULL, NULL);
	jcv_audit_actor_from_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, actor);
}

/*
 * Locks the user's sessions (see the lock order above) and checks that the
 * token's session is among them. A session past not_after, the timebox or
 * the idle limit still counts, as in Supabase Auth's /logout (it only asks
 * that the row exists): a user signing out everywhere from a device whose
 * session has timed out is signed out of the others too.
 */
static void
lock_and_check_session(Datum user_id, const jcv_claims *claims)
{
	Datum		args[1] = {user_id};
	uint64		count = run_statement(&lock_user_sessions, args, false);
	pg_uuid_t  *token_session;

	if (!claims->has_session_id)
		return;

	token_session = DatumGetUUIDP(uuid_datum(claims->session_id));
	for (uint64 i = 0; i < count; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		bool		isnull;
		pg_uuid_t  *id = DatumGetUUIDP(SPI_getbinval(row, SPI_tuptable->tupdesc,
													 JCV_SESSION_ID_COLUMN, &isnull));

		CHECK_FOR_INTERRUPTS();
		if (memcmp(id->data, token_session->data, UUID_LEN) == 0)
			return;
	}
	jcv_raise(JCV_UNAUTHORIZED, "session from access token does not exist", NULL, NULL);
}

Jsonb *
logout_payload(void)
{
	JsonbParseState *state = jcv_payload_begin();
	JsonbValue	message;

	message.type = jbvString;
	message.val.string.val = LOGOUT_MESSAGE;
	message.val.string.len = strlen(LOGOUT_MESSAGE);
	jcv_payload_add(&state, "message", &message);
	return jcv_payload_end(&state);
}

Datum
auth_logout(PG_FUNCTION_ARGS)
{
	jcv_claims	claims = jcv_verify_caller_token(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0));
	logout_scope scope = parse_scope(PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1));
	Datum		user_id = uuid_datum(claims.sub);
	Datum		args[2] = {user_id, (Datum) 0};
	MemoryContext caller_context = CurrentMemoryContext;
	jcv_audit_actor actor;
	Jsonb	   *payload;

	/* Without a session, GoTrue can only log the user out everywhere. */
	if (!claims.has_session_id)
		scope = SCOPE_GLOBAL;
	else
		args[1] = uuid_datum(claims.session_id);

	jcv_spi_connect();

	find_token_user(user_id, &actor);
	lock_and_check_session(user_id, &claims);

	switch (scope)
	{
		case SCOPE_LOCAL:
			run_statement(&delete_session, &args[1], false);
			break;
		case SCOPE_OTHERS:
			run_statement(&delete_other_sessions, args, false);
			run_statement(&delete_sessionless_refresh_tokens, args, false);
			break;
		case SCOPE_GLOBAL:
			run_statement(&delete_user_sessions, args, false);
			run_statement(&delete_sessionless_refresh_tokens, args, false);
			break;
	}

	if (jcv_audit)
		jcv_audit_logout(&actor);

	SPI_finish();

	MemoryContextSwitchTo(caller_context);
	payload = logout_payload();
	PG_RETURN_JSONB_P(payload);
}
