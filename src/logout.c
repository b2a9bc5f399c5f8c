/*
 * logout.c
 *	  auth_logout(token, scope): verifies the caller's access token, then ends
 *	  sessions in Supabase Auth's tables as its /logout endpoint does (the
 *	  README lists where and why the two differ).
 *
 * Lock order. A logout locks only the rows it ends, and takes them in the
 * order Supabase Auth's own statements do (supabase/auth @ bc32168e):
 * - its refresh (internal/tokens/service.go RefreshTokenGrant): the refresh
 *   token row, then the session, both FOR UPDATE SKIP LOCKED (a locked row
 *   reads as "not found": it retries for 5 s, then answers 409); then, v1
 *   swap (models.GrantRefreshTokenSwap), UPDATE refresh_tokens, INSERT its
 *   child, UPDATE users (UpdateLastSignInAt), UPDATE sessions. It never
 *   waits for a session or a token row, only for the user's row.
 * - its /logout and admin logouts (internal/models/sessions.go Logout,
 *   LogoutSession, LogoutAllExceptMe): one DELETE FROM sessions WHERE
 *   user_id = ? [AND id != ?] (or WHERE id = ?), locking rows in scan order:
 *   by the index on user_id, whose equal keys come in heap (TID) order, as
 *   a bitmap or sequential scan's rows do; each deleted session's
 *   refresh_tokens and mfa_amr_claims rows are locked by the cascade after.
 * - its admin updates and user changes (internal/api/admin.go,
 *   internal/models/user.go UpdatePassword, Ban, SoftDeleteUser): UPDATE
 *   users first, then for a password change or soft delete Logout as above
 *   (a ban deletes nothing). That order deadlocks with its own refresh of
 *   one of the user's sessions, whatever we do; we never add to it.
 * - its cleanup (internal/models/cleanup.go): DELETE ... WHERE id IN (SELECT
 *   ... FOR UPDATE SKIP LOCKED): never waits for a session row.
 * Ours: `local` locks the one session it ends (lock_one_session, waiting
 * for a refresh of that session to finish) and deletes it; `others` and
 * `global` check the token's session without a lock, as GoTrue does, and
 * run GoTrue's own DELETE, so they take the user's sessions in the same
 * scan order as its logout and as each other: two logouts of one user queue
 * on the first row they share. An ORDER BY id lock (1.3) took them in
 * another order than GoTrue's DELETE, and locked every session of the user
 * for a local logout. Then the user's session-less refresh tokens, then the
 * audit row. No logout locks the user's row, so none waits for a refresh
 * that waits for it. The logout trigger on auth.users, which holds that row,
 * takes the sessions with SKIP LOCKED instead (src/admin.c). Sessions the
 * logout deletes leave the list of ended sessions too (src/ended_sessions.c).
 * The isolation specs in specs/ replay each pair.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "audit.h"
#include "caller_token.h"
#include "ended_sessions.h"
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
 * instance only), with what its audit row names and when a ban ends. The
 * instance is tested in the select list, not the WHERE: the lookup stays
 * one by primary key whatever the planner would make of GoTrue's
 * (instance_id, email) index on a table not yet analyzed.
 */
static saved_statement find_user = {
	.table = "users",
	.sql = "SELECT " JCV_AUDIT_ACTOR_COLUMNS ", u.banned_until,"
	" u.instance_id IS NOT DISTINCT FROM '00000000-0000-0000-0000-000000000000'"
	" FROM auth.users u WHERE u.id = $1",
	.nargs = 1,
	.argtypes = {UUIDOID}
};
#define BANNED_UNTIL_COLUMN (JCV_AUDIT_ACTOR_COLUMN_COUNT + 1)
#define IN_NIL_INSTANCE_COLUMN (JCV_AUDIT_ACTOR_COLUMN_COUNT + 2)

/*
 * The one session row a logout of one session locks, waiting for a refresh
 * or another logout of it; none when it is gone. Its JCV_SESSION_COLUMNS.
 */
saved_statement lock_one_session = {
	.table = "sessions",
	.sql = "SELECT " JCV_SESSION_COLUMNS " FROM auth.sessions WHERE id = $1 FOR UPDATE",
	.nargs = 1,
	.argtypes = {UUIDOID}
};

/* The same without a lock, as GoTrue's FindSessionByID before its DELETE. */
static saved_statement find_session = {
	.table = "sessions",
	.sql = "SELECT " JCV_SESSION_COLUMNS " FROM auth.sessions WHERE id = $1",
	.nargs = 1,
	.argtypes = {UUIDOID}
};

/* GoTrue's DELETEs (see the lock order above), returning the ids gone. */
#define DELETE_SESSIONS_SQL(filter) \
	"WITH gone AS (DELETE FROM auth.sessions WHERE " filter " RETURNING id)" \
	" SELECT coalesce(array_agg(id), '{}') FROM gone"

static saved_statement delete_session = {
	.table = "sessions",
	.sql = DELETE_SESSIONS_SQL("id = $1"),
	.nargs = 1,
	.argtypes = {UUIDOID}
};

static saved_statement delete_other_sessions = {
	.table = "sessions",
	.sql = DELETE_SESSIONS_SQL("id OPERATOR(pg_catalog.<>) $2 AND user_id = $1"),
	.nargs = 2,
	.argtypes = {UUIDOID, UUIDOID}
};

static saved_statement delete_user_sessions = {
	.table = "sessions",
	.sql = DELETE_SESSIONS_SQL("user_id = $1"),
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
void
jcv_find_token_user(Datum user_id, jcv_audit_actor *actor)
{
	bool		isnull;
	Datum		banned_until;

	if (run_statement(&find_user, &user_id, false) == 0 ||
		!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									IN_NIL_INSTANCE_COLUMN, &isnull)))
		jcv_raise(JCV_UNAUTHORIZED, "user from access token does not exist", NULL, NULL);
	banned_until = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
								 BANNED_UNTIL_COLUMN, &isnull);
	if (!isnull && DatumGetTimestampTz(banned_until) > GetCurrentTimestamp())
		jcv_raise(JCV_UNAUTHORIZED, "user from access token is banned", NULL, NULL);
	jcv_audit_actor_from_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, actor);
}

/*
 * Checks that the token's session exists and belongs to the token's user;
 * locks it when lock (see the lock order above). A session past not_after,
 * the timebox or the idle limit still counts, as in Supabase Auth's /logout
 * (it only asks that the row exists): a user signing out everywhere from a
 * device whose session has timed out is signed out of the others too.
 */
static void
check_session(Datum user_id, Datum session_id, bool lock)
{
	uint64		count = run_statement(lock ? &lock_one_session : &find_session, &session_id, false);
	HeapTuple	row;
	bool		isnull;
	Datum		owner;

	if (count == 0)
		jcv_raise(JCV_UNAUTHORIZED, "session from access token does not exist", NULL, NULL);
	row = SPI_tuptable->vals[0];
	owner = SPI_getbinval(row, SPI_tuptable->tupdesc, JCV_SESSION_USER_ID_COLUMN, &isnull);
	if (isnull || memcmp(DatumGetUUIDP(owner)->data, DatumGetUUIDP(user_id)->data, UUID_LEN) != 0)
		jcv_raise(JCV_UNAUTHORIZED, "session from access token does not exist", NULL, NULL);
}

/* Runs a DELETE_SESSIONS_SQL statement; unlists the sessions it deleted. */
static void
delete_sessions(saved_statement *stmt, Datum *args)
{
	bool		isnull;

	run_statement(stmt, args, false);
	jcv_ended_sessions_forget(PointerGetDatum(DatumGetArrayTypePCopy(
		SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))));
}

void
jcv_delete_one_session(Datum session_id)
{
	delete_sessions(&delete_session, &session_id);
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

	jcv_find_token_user(user_id, &actor);
	if (claims.has_session_id)
		check_session(user_id, args[1], scope == SCOPE_LOCAL);

	switch (scope)
	{
		case SCOPE_LOCAL:
			jcv_delete_one_session(args[1]);
			break;
		case SCOPE_OTHERS:
			delete_sessions(&delete_other_sessions, args);
			run_statement(&delete_sessionless_refresh_tokens, args, false);
			break;
		case SCOPE_GLOBAL:
			delete_sessions(&delete_user_sessions, args);
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
