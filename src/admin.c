/*
 * admin.c
 *	  Ending sessions without the user's token, for admins and for the
 *	  lifecycle rules: auth_logout_user, auth_logout_session, the idle and
 *	  expired session purge, and the opt-in trigger on auth.users that ends
 *	  every session of a user whose password changes, who is banned or who is
 *	  soft-deleted; and the trigger on auth.sessions the session cache needs.
 *
 * Lock order (beside Supabase Auth's, listed in src/logout.c): ending every
 * session of a user (auth_logout_user, and the trigger, which runs holding
 * the user's row) never waits for a session row. Supabase Auth's refresh
 * holds a session and then updates the user's row: waiting for that session
 * while holding the row deadlocks (1.3 did, 10 times in 10). So it deletes
 * the sessions nobody holds (FOR UPDATE SKIP LOCKED, in scan order) and
 * lists the others as ended (src/ended_sessions.c): every session check
 * refuses them at once, and auth_purge_sessions() deletes them later. Only
 * the cascade to refresh tokens may wait, for a refresh that has locked its
 * token but not yet its session: that refresh finds the session locked,
 * gives up and lets go. auth_logout_session locks its one session as a
 * local logout does (lock_one_session). The purge never waits for a row
 * lock on a session: it takes them with SKIP LOCKED, so it cannot deadlock
 * with a logout, and leaves a session that a logout or a refresh holds to
 * that transaction (or to the next purge).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "audit.h"
#include "ended_sessions.h"
#include "errors.h"
#include "payload.h"
#include "logout.h"
#include "session_cache.h"
#include "session_validity.h"
#include "settings.h"
#include "spi_statement.h"

PG_FUNCTION_INFO_V1(auth_logout_user);
PG_FUNCTION_INFO_V1(auth_logout_session);
PG_FUNCTION_INFO_V1(auth_purge_sessions);
PG_FUNCTION_INFO_V1(auth_purge_sessions_batched);
PG_FUNCTION_INFO_V1(auth_enable_logout_triggers);
PG_FUNCTION_INFO_V1(auth_disable_logout_triggers);
PG_FUNCTION_INFO_V1(jcv_logout_user_changed);
PG_FUNCTION_INFO_V1(auth_enable_session_cache);
PG_FUNCTION_INFO_V1(auth_disable_session_cache);

#define EXTENSION_NAME "jcv_logout"
#define LOGOUT_TRIGGER_NAME "jcv_logout_on_user_change"
#define LOGOUT_TRIGGER_FUNCTION "jcv_logout_user_changed"

/* Sessions one purge statement deletes: short statements, few locks each. */
#define PURGE_BATCH_SIZE 5000
#define MIN_PURGE_BATCH_SIZE 1
#define MAX_PURGE_BATCH_SIZE 100000

/* Admin actions as the audit row's traits name them. */
#define ACTION_LOGOUT_USER "auth_logout_user"
#define ACTION_LOGOUT_SESSION "auth_logout_session"
#define ACTION_PASSWORD_CHANGED "password_changed"
#define ACTION_USER_BANNED "user_banned"
#define ACTION_USER_DELETED "user_deleted"
#define ACTION_PURGE_SESSIONS "auth_purge_sessions"

/* What one admin logout removed. */
typedef struct revoked_counts
{
	int64		sessions;
	int64		refresh_tokens;
} revoked_counts;

static saved_statement find_session_user = {
	.table = "sessions",
	.sql = "SELECT user_id FROM auth.sessions WHERE id = $1",
	.nargs = 1,
	.argtypes = {UUIDOID}
};

/*
 * The user's sessions nobody else holds, deleted; the count of them and of
 * the refresh tokens the cascade removes (the sibling SELECTs see the rows
 * as they were before the DELETE, and the sessions are locked, so no
 * refresh adds a token in between); the ids deleted; and the ids of the
 * user's other sessions, held by another transaction.
 */
static saved_statement delete_user_sessions_unheld = {
	.table = "sessions",
	.sql = "WITH mine AS (SELECT id FROM auth.sessions WHERE user_id = $1),"
	" free AS (SELECT id FROM auth.sessions WHERE user_id = $1 FOR UPDATE SKIP LOCKED),"
	" gone AS (DELETE FROM auth.sessions s USING free f WHERE s.id = f.id RETURNING s.id)"
	" SELECT (SELECT count(*) FROM gone),"
	" (SELECT count(*) FROM auth.refresh_tokens r WHERE r.session_id IN (SELECT g.id FROM gone g)),"
	" (SELECT coalesce(array_agg(g.id), '{}') FROM gone g),"
	" (SELECT coalesce(array_agg(m.id), '{}') FROM mine m WHERE m.id NOT IN (SELECT f.id FROM free f))",
	.nargs = 1,
	.argtypes = {UUIDOID}
};

/* One session, locked first (lock_one_session); counted as above. */
static saved_statement delete_session_counted = {
	.table = "sessions",
	.sql = "WITH gone AS (DELETE FROM auth.sessions WHERE id = $1 RETURNING id)"
	" SELECT (SELECT count(*) FROM gone),"
	" (SELECT count(*) FROM auth.refresh_tokens r WHERE r.session_id IN (SELECT g.id FROM gone g))",
	.nargs = 1,
	.argtypes = {UUIDOID}
};

/*
 * The listed sessions ($1) nobody else holds, deleted; their count, and the
 * listed ids whose session is gone now (deleted here or before).
 */
static saved_statement purge_listed = {
	.table = "sessions",
	.sql = "WITH free AS (SELECT id FROM auth.sessions WHERE id = ANY ($1) FOR UPDATE SKIP LOCKED),"
	" gone AS (DELETE FROM auth.sessions s USING free f WHERE s.id = f.id RETURNING s.id)"
	" SELECT (SELECT count(*) FROM gone),"
	" (SELECT coalesce(array_agg(x), '{}') FROM unnest($1) x"
	"   WHERE x IN (SELECT g.id FROM gone g)"
	"   OR NOT EXISTS (SELECT 1 FROM auth.sessions s WHERE s.id = x))",
	.nargs = 1,
	.argtypes = {UUIDARRAYOID}
};

/*
 * One purge batch: the next sessions in id order after $4 that have ended
 * by GoTrue's rules at $1 (timebox $2, idle limit $3), at most $5, those
 * another transaction holds skipped. Returns the count, the last id (where
 * the next batch starts) and the users whose sessions it ended, to audit.
 */
static saved_statement purge_batch = {
	.table = "sessions",
	.sql = "WITH doomed AS ("
	" SELECT s.id FROM auth.sessions s"
	"  WHERE s.id > $4 AND " JCV_SESSION_ENDED_SQL("$1", "$2", "$3")
	"  ORDER BY s.id LIMIT $5 FOR UPDATE SKIP LOCKED),"
	" purged AS (DELETE FROM auth.sessions s USING doomed d WHERE s.id = d.id"
	"  RETURNING s.id, s.user_id)"
	" SELECT (SELECT count(*) FROM purged),"
	" (SELECT p.id FROM purged p ORDER BY p.id DESC LIMIT 1),"
	" (SELECT pg_catalog.array_agg(DISTINCT p.user_id) FROM purged p)",
	.nargs = 5,
	.argtypes = {TIMESTAMPTZOID, INTERVALOID, INTERVALOID, UUIDOID, INT4OID}
};

static Jsonb *
revoked_payload(const revoked_counts *counts)
{
	JsonbParseState *state = jcv_payload_begin();
	JsonbValue	count;

	count.type = jbvNumeric;
	count.val.numeric = int64_to_numeric(counts->sessions);
	jcv_payload_add(&state, "sessions_revoked", &count);
	count.val.numeric = int64_to_numeric(counts->refresh_tokens);
	jcv_payload_add(&state, "refresh_tokens_revoked", &count);
	return jcv_payload_end(&state);
}

/* Column column of the first result row, an int8 that is never NULL. */
static int64
result_int8(int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									  column, &isnull);

	return isnull ? 0 : DatumGetInt64(value);
}

/* Column column of the first result row, a uuid[] copied out of it. */
static Datum
result_array(int column)
{
	bool		isnull;

	return PointerGetDatum(DatumGetArrayTypePCopy(
		SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, &isnull)));
}

static int64
array_length_of(Datum array)
{
	ArrayType  *a = DatumGetArrayTypeP(array);

	return ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
}

/*
 * Ends every session of a user, with the legacy refresh tokens no cascade
 * reaches, and audits it as admin_action when anything was revoked: deletes
 * the sessions nobody else holds and lists the others as ended (see the
 * lock order above); they count as revoked. Runs inside the caller's SPI
 * connection.
 */
static revoked_counts
end_user_sessions(Datum user_id, const char *admin_action)
{
	Datum		args[1] = {user_id};
	revoked_counts counts = {0, 0};
	Datum		gone;
	Datum		held;

	run_statement(&delete_user_sessions_unheld, args, false);
	counts.sessions = result_int8(1);
	counts.refresh_tokens = result_int8(2);
	gone = result_array(3);
	held = result_array(4);
	counts.sessions += array_length_of(held);
	jcv_ended_sessions_forget(gone);
	jcv_ended_sessions_record(user_id, held);
	counts.refresh_tokens += run_statement(&delete_sessionless_refresh_tokens, args, false);

	if (jcv_audit && (counts.sessions > 0 || counts.refresh_tokens > 0))
		jcv_audit_admin_logout(user_id, admin_action);
	return counts;
}

static void
require_id_argument(FunctionCallInfo fcinfo, const char *what)
{
	if (PG_ARGISNULL(0))
		jcv_raise(JCV_BAD_REQUEST, psprintf("%s must not be NULL", what), NULL, NULL);
}

Datum
auth_logout_user(PG_FUNCTION_ARGS)
{
	MemoryContext caller_context = CurrentMemoryContext;
	Datum		user_id;
	revoked_counts counts;

	require_id_argument(fcinfo, "user_id");
	user_id = PG_GETARG_DATUM(0);

	jcv_spi_connect();
	counts = end_user_sessions(user_id, ACTION_LOGOUT_USER);
	SPI_finish();

	MemoryContextSwitchTo(caller_context);
	PG_RETURN_JSONB_P(revoked_payload(&counts));
}

Datum
auth_logout_session(PG_FUNCTION_ARGS)
{
	MemoryContext caller_context = CurrentMemoryContext;
	revoked_counts counts = {0, 0};
	Datum		session_id;
	Datum		user_id;
	bool		isnull;

	require_id_argument(fcinfo, "session_id");
	session_id = PG_GETARG_DATUM(0);

	jcv_spi_connect();

	if (run_statement(&find_session_user, &session_id, false) > 0)
	{
		pg_uuid_t  *owner = palloc(sizeof(pg_uuid_t));

		/* Copied out of the tuple table, which the next statement frees. */
		memcpy(owner, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1, &isnull)),
			   sizeof(pg_uuid_t));
		user_id = UUIDPGetDatum(owner);

		/* Gone while we waited for the lock: nothing left to revoke. */
		if (run_statement(&lock_one_session, &session_id, false) > 0)
		{
			Datum		ids;

			run_statement(&delete_session_counted, &session_id, false);
			counts.sessions = result_int8(1);
			counts.refresh_tokens = result_int8(2);
			ids = PointerGetDatum(construct_array(&session_id, 1, UUIDOID, UUID_LEN,
												  false, TYPALIGN_CHAR));
			jcv_ended_sessions_forget(ids);
		}
		if (jcv_audit && counts.sessions > 0)
			jcv_audit_admin_logout(user_id, ACTION_LOGOUT_SESSION);
	}
	SPI_finish();

	MemoryContextSwitchTo(caller_context);
	PG_RETURN_JSONB_P(revoked_payload(&counts));
}

/* An interval of whole seconds (a GUC in seconds), NULL when 0 (no limit). */
static Datum
seconds_interval(int seconds, bool *isnull)
{
	Interval   *interval = palloc0(sizeof(Interval));

	*isnull = seconds <= 0;
	interval->time = (TimeOffset) seconds * USECS_PER_SEC;
	return IntervalPGetDatum(interval);
}

/* The purge's rules: fixed once per call, so every batch applies the same. */
typedef struct purge_rules
{
	TimestampTz now;
	Interval	idle;
	bool		has_idle;
	Interval	timebox;
	bool		has_timebox;
	char		role[NAMEDATALEN];	/* the caller, for the audit rows */
} purge_rules;

/* idle: the argument, else jcv_logout.idle_timeout; a non-positive one is refused. */
static purge_rules
purge_rules_from(FunctionCallInfo fcinfo)
{
	purge_rules rules;
	bool		isnull;

	memset(&rules, 0, sizeof(rules));
	rules.now = GetCurrentTimestamp();
	strlcpy(rules.role, jcv_calling_role(), sizeof(rules.role));

	if (!PG_ARGISNULL(0))
	{
		Interval	zero = {0};
		Interval   *idle = PG_GETARG_INTERVAL_P(0);

		if (DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(idle),
											  IntervalPGetDatum(&zero))) <= 0)
			jcv_raise(JCV_BAD_REQUEST, "idle must be a positive interval",
					  "Pass NULL to use jcv_logout.idle_timeout.", NULL);
		rules.idle = *idle;
		rules.has_idle = true;
	}
	else
	{
		rules.idle = *DatumGetIntervalP(seconds_interval(jcv_idle_timeout, &isnull));
		rules.has_idle = !isnull;
	}
	rules.timebox = *DatumGetIntervalP(seconds_interval(jcv_session_timebox, &isnull));
	rules.has_timebox = !isnull;
	return rules;
}

/*
 * Runs one purge batch after *after_id (the nil uuid before the first;
 * GoTrue's session ids are random v4 uuids, never nil) and moves *after_id
 * to its last session. Returns the sessions it ended.
 */
static int64
purge_one_batch(const purge_rules *rules, int batch_size, pg_uuid_t *after_id)
{
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int64		purged;
	bool		isnull;
	Datum		last_id;
	Datum		user_ids;

	args[0] = TimestampTzGetDatum(rules->now);
	args[1] = IntervalPGetDatum(&rules->timebox);
	if (!rules->has_timebox)
		nulls[1] = 'n';
	args[2] = IntervalPGetDatum(&rules->idle);
	if (!rules->has_idle)
		nulls[2] = 'n';
	args[3] = UUIDPGetDatum(after_id);
	args[4] = Int32GetDatum(batch_size);

	run_statement_with_nulls(&purge_batch, args, nulls, false);
	purged = result_int8(1);
	last_id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (!isnull)
		memcpy(after_id->data, DatumGetUUIDP(last_id)->data, UUID_LEN);
	user_ids = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
	/* one audit row per user whose sessions the batch ended */
	if (jcv_audit && !isnull)
		jcv_audit_admin_logout_users(datumCopy(user_ids, false, -1), ACTION_PURGE_SESSIONS,
									 rules->role);
	return purged;
}

/*
 * Deletes the listed sessions (src/ended_sessions.c) nobody else holds and
 * unlists those gone. Returns the sessions it ended.
 */
static int64
purge_listed_sessions(void)
{
	Datum		listed = jcv_ended_sessions_all();
	int64		purged;

	if (array_length_of(listed) == 0)
		return 0;
	run_statement(&purge_listed, &listed, false);
	purged = result_int8(1);
	jcv_ended_sessions_forget(result_array(2));
	return purged;
}

/*
 * auth_purge_sessions(idle): ends every session that has ended by GoTrue's
 * rules, in batches of PURGE_BATCH_SIZE. One call is one transaction: the
 * locks of all batches are held until it commits (see
 * auth_purge_sessions_batched for a purge that commits between batches).
 */
Datum
auth_purge_sessions(PG_FUNCTION_ARGS)
{
	purge_rules rules = purge_rules_from(fcinfo);
	pg_uuid_t	after_id = {{0}};
	int64		total = 0;
	int64		purged;

	jcv_spi_connect();
	total = purge_listed_sessions();
	do
	{
		CHECK_FOR_INTERRUPTS();
		purged = purge_one_batch(&rules, PURGE_BATCH_SIZE, &after_id);
		total += purged;
		/* SKIP LOCKED fills the batch past locked rows: a short one is the last. */
	} while (purged == PURGE_BATCH_SIZE);
	SPI_finish();

	PG_RETURN_INT64(total);
}

/*
 * CALL auth_purge_sessions_batched(idle, batch_size): the same purge,
 * committing after each batch, so a logout never waits for more than one
 * batch. Transaction control is not allowed in a SECURITY DEFINER
 * procedure, so this one is not; it needs no rights of its own, since each
 * batch runs as the owner of auth.sessions like every statement of the
 * extension (src/spi_statement.c), with a fixed search_path. Inside a
 * transaction block (or any atomic context) it cannot commit and runs as
 * one transaction, like auth_purge_sessions.
 */
Datum
auth_purge_sessions_batched(PG_FUNCTION_ARGS)
{
	purge_rules rules = purge_rules_from(fcinfo);
	int			batch_size = PG_ARGISNULL(1) ? PURGE_BATCH_SIZE : PG_GETARG_INT32(1);
	bool		nonatomic = fcinfo->context != NULL && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;
	pg_uuid_t	after_id = {{0}};
	int64		purged;

	if (batch_size < MIN_PURGE_BATCH_SIZE || batch_size > MAX_PURGE_BATCH_SIZE)
		jcv_raise(JCV_BAD_REQUEST, "batch_size is out of range",
				  psprintf("Use %d to %d.", MIN_PURGE_BATCH_SIZE, MAX_PURGE_BATCH_SIZE), NULL);

	if (SPI_connect_ext(nonatomic ? SPI_OPT_NONATOMIC : 0) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	purge_listed_sessions();
	if (nonatomic)
		SPI_commit();
	do
	{
		CHECK_FOR_INTERRUPTS();
		purged = purge_one_batch(&rules, batch_size, &after_id);
		if (nonatomic)
			SPI_commit();
	} while (purged == batch_size);
	SPI_finish();

	PG_RETURN_VOID();
}

/* auth.<table>, or SUPABASE_ERROR when Supabase Auth's schema is missing. */
static Oid
auth_relation(const char *table)
{
	Oid			relid = RangeVarGetRelid(makeRangeVar("auth", (char *) table, -1), NoLock, true);

	if (!OidIsValid(relid))
		jcv_raise(JCV_AUTH_STORE_FAILED,
				  "the auth schema is missing or is not Supabase Auth's",
				  "Install Supabase Auth (GoTrue) and run its migrations in this database.",
				  psprintf("auth.%s does not exist", table));
	/* CREATE/DROP TRIGGER's own lock, taken first so the check below holds. */
	LockRelationOid(relid, ShareRowExclusiveLock);
	return relid;
}

/* Runs one DDL statement built from identifiers (no values to bind). */
static void
run_ddl(const char *sql)
{
	saved_statement ddl = {.sql = sql,.nargs = 0};

	run_statement(&ddl, NULL, false);
	SPI_freeplan(ddl.plan);
}

/*
 * Creates a trigger of ours on auth.<table> and makes it depend on the
 * extension, so DROP EXTENSION removes it (a trigger cannot be an extension
 * member). The function lives in the extension's schema, as the caller.
 */
static void
create_trigger(Oid relid, const char *name, const char *definition, const char *function,
			   Oid caller)
{
	ObjectAddress trigger;
	ObjectAddress extension;

	jcv_spi_connect();
	run_ddl(psprintf("CREATE TRIGGER %s %s EXECUTE FUNCTION %s()", name, definition,
					 quote_qualified_identifier(get_namespace_name(get_func_namespace(caller)),
												function)));
	SPI_finish();

	ObjectAddressSet(trigger, TriggerRelationId, get_trigger_oid(relid, name, false));
	ObjectAddressSet(extension, ExtensionRelationId, get_extension_oid(EXTENSION_NAME, false));
	recordDependencyOn(&trigger, &extension, DEPENDENCY_AUTO);
}

static void
drop_trigger(const char *name, const char *table)
{
	jcv_spi_connect();
	run_ddl(psprintf("DROP TRIGGER %s ON auth.%s", name, table));
	SPI_finish();
}

/*
 * auth_enable_logout_triggers(): creates the trigger on auth.users that
 * ends a user's sessions (jcv_logout_user_changed). Returns false when it
 * is already there.
 */
Datum
auth_enable_logout_triggers(PG_FUNCTION_ARGS)
{
	Oid			users = auth_relation("users");

	if (OidIsValid(get_trigger_oid(users, LOGOUT_TRIGGER_NAME, true)))
		PG_RETURN_BOOL(false);
	create_trigger(users, LOGOUT_TRIGGER_NAME,
				   "AFTER UPDATE OF encrypted_password, banned_until, deleted_at"
				   " ON auth.users FOR EACH ROW", LOGOUT_TRIGGER_FUNCTION,
				   fcinfo->flinfo->fn_oid);
	PG_RETURN_BOOL(true);
}

/* auth_disable_logout_triggers(): drops the trigger; false when there was none. */
Datum
auth_disable_logout_triggers(PG_FUNCTION_ARGS)
{
	Oid			users = auth_relation("users");

	if (!OidIsValid(get_trigger_oid(users, LOGOUT_TRIGGER_NAME, true)))
		PG_RETURN_BOOL(false);
	drop_trigger(LOGOUT_TRIGGER_NAME, "users");
	PG_RETURN_BOOL(true);
}

/*
 * auth_enable_session_cache(): creates the trigger through which every
 * change that can end a session reaches the session cache
 * (src/session_cache.c), enabled ALWAYS so that replication roles fire it
 * too. Returns false when it is already there as created.
 */
Datum
auth_enable_session_cache(PG_FUNCTION_ARGS)
{
	Oid			sessions = auth_relation("sessions");
	Oid			existing = get_trigger_oid(sessions, JCV_SESSION_CHANGE_TRIGGER, true);

	if (OidIsValid(existing))
	{
		Relation	rel = table_open(sessions, NoLock);
		bool		always = false;

		for (int i = 0; rel->trigdesc != NULL && i < rel->trigdesc->numtriggers; i++)
			if (rel->trigdesc->triggers[i].tgoid == existing)
				always = rel->trigdesc->triggers[i].tgenabled == TRIGGER_FIRES_ALWAYS;
		table_close(rel, NoLock);
		if (always)
			PG_RETURN_BOOL(false);
		/* disabled, or another trigger of that name: made again as ours */
		drop_trigger(JCV_SESSION_CHANGE_TRIGGER, "sessions");
	}
	create_trigger(sessions, JCV_SESSION_CHANGE_TRIGGER,
				   "AFTER UPDATE OR DELETE ON auth.sessions FOR EACH ROW",
				   JCV_SESSION_CHANGE_TRIGGER, fcinfo->flinfo->fn_oid);
	jcv_spi_connect();
	run_ddl("ALTER TABLE auth.sessions ENABLE ALWAYS TRIGGER " JCV_SESSION_CHANGE_TRIGGER);
	SPI_finish();
	PG_RETURN_BOOL(true);
}

/* auth_disable_session_cache(): drops the trigger; false when there was none. */
Datum
auth_disable_session_cache(PG_FUNCTION_ARGS)
{
	Oid			sessions = auth_relation("sessions");

	if (!OidIsValid(get_trigger_oid(sessions, JCV_SESSION_CHANGE_TRIGGER, true)))
		PG_RETURN_BOOL(false);
	drop_trigger(JCV_SESSION_CHANGE_TRIGGER, "sessions");
	PG_RETURN_BOOL(true);
}

/* Value of a column of a row, by name; false when it is NULL. */
static bool
column_value(HeapTuple row, TupleDesc desc, const char *column, Datum *value)
{
	int			number = SPI_fnumber(desc, column);
	bool		isnull;

	if (number <= 0)
		jcv_raise(JCV_AUTH_STORE_FAILED,
				  "the auth schema is missing or is not Supabase Auth's",
				  "Install Supabase Auth (GoTrue) and run its migrations in this database.",
				  psprintf("auth.users has no column %s", column));
	*value = SPI_getbinval(row, desc, number, &isnull);
	return !isnull;
}

static bool
password_changed(HeapTuple old_row, HeapTuple new_row, TupleDesc desc)
{
	Datum		old_password;
	Datum		new_password;
	bool		had = column_value(old_row, desc, "encrypted_password", &old_password);
	bool		has = column_value(new_row, desc, "encrypted_password", &new_password);

	if (had != has)
		return true;
	return had && !DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID,
													  old_password, new_password));
}

/* banned_until changed to a moment still to come. */
static bool
banned_now(HeapTuple old_row, HeapTuple new_row, TupleDesc desc)
{
	Datum		old_until;
	Datum		new_until;
	bool		had = column_value(old_row, desc, "banned_until", &old_until);

	if (!column_value(new_row, desc, "banned_until", &new_until) ||
		DatumGetTimestampTz(new_until) <= GetCurrentTimestamp())
		return false;
	return !had || DatumGetTimestampTz(old_until) != DatumGetTimestampTz(new_until);
}

static bool
deleted_now(HeapTuple old_row, HeapTuple new_row, TupleDesc desc)
{
	Datum		unused;

	return !column_value(old_row, desc, "deleted_at", &unused) &&
		column_value(new_row, desc, "deleted_at", &unused);
}

/*
 * Supabase Auth changes a password and then ends the user's OTHER sessions
 * itself, keeping the one that asked (GoTrue's LogoutAllExceptMe): its own
 * password changes are left to it.
 */
static bool
is_auth_service(void)
{
	const char *session_role = GetUserNameFromId(GetSessionUserId(), true);

	return jcv_auth_admin_role != NULL && jcv_auth_admin_role[0] != '\0' &&
		session_role != NULL && strcmp(session_role, jcv_auth_admin_role) == 0;
}

/*
 * Trigger on auth.users (AFTER UPDATE, per row): ends every session of a
 * user who has just been soft-deleted, banned, or given a new password
 * (unless by Supabase Auth itself, above).
 */
Datum
jcv_logout_user_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigger = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	old_row;
	HeapTuple	new_row;
	const char *action;
	Datum		user_id;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigger->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigger->tg_event))
		jcv_raise(JCV_BAD_REQUEST, LOGOUT_TRIGGER_FUNCTION "() must run as an AFTER UPDATE row trigger",
				  "Use auth_enable_logout_triggers().", NULL);

	desc = trigger->tg_relation->rd_att;
	old_row = trigger->tg_trigtuple;
	new_row = trigger->tg_newtuple;

	if (deleted_now(old_row, new_row, desc))
		action = ACTION_USER_DELETED;
	else if (banned_now(old_row, new_row, desc))
		action = ACTION_USER_BANNED;
	else if (password_changed(old_row, new_row, desc) && !is_auth_service())
		action = ACTION_PASSWORD_CHANGED;
	else
		return PointerGetDatum(NULL);

	if (!column_value(new_row, desc, "id", &user_id))
		return PointerGetDatum(NULL);

	jcv_spi_connect();
	end_user_sessions(user_id, action);
	SPI_finish();
	return PointerGetDatum(NULL);
}
