/*
 * session_check.c
 *	  Refuses access tokens whose session has ended: auth_require_session()
 *	  as PostgREST's db-pre-request hook (and through jcv_logout.require_session,
 *	  src/require_session_hook.c), auth_session_active(token) for other
 *	  backends. One index lookup in auth.sessions, read-only and without row
 *	  locks, so both work in read-only transactions and on a hot standby.
 *
 *	  The lookup probes auth.sessions' primary key directly (no SPI, no
 *	  executor: their start-up was most of the cost per request); what it
 *	  needs of the table (shape, its owner's right to read it without row
 *	  level security, the change trigger) is looked up once and kept until
 *	  the table, its schema or a role changes. Sessions found alive are kept
 *	  too where that is safe (src/session_cache.c), so a request whose
 *	  session was checked before reads no index, and the claims are read
 *	  once per text (src/request_session.c). A table not shaped as
 *	  expected, with row level security or not readable goes through the
 *	  saved SPI statement instead, which reports it as before. Either way a
 *	  session found alive is looked up once more, in the list of sessions
 *	  ended while another transaction held them (src/ended_sessions.c).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "caller_token.h"
#include "ended_sessions.h"
#include "errors.h"
#include "request_session.h"
#include "session_cache.h"
#include "session_check.h"
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
	.table = "sessions",
	.sql = "SELECT " JCV_SESSION_COLUMNS " FROM auth.sessions"
	" WHERE id = $1 AND user_id = $2",
	.nargs = 2,
	.argtypes = {UUIDOID, UUIDOID}
};

/* auth.sessions columns the probe reads: id, user_id, then the times. */
#define PROBE_ID 0
#define PROBE_USER_ID 1
#define PROBE_FIRST_TIME 2
#define PROBE_COLUMN_COUNT (PROBE_FIRST_TIME + JCV_SESSION_TIME_COUNT)
static const char *const probe_column_names[PROBE_COLUMN_COUNT] = {
	"id", "user_id", "not_after", "created_at", "updated_at", "refreshed_at"
};

/*
 * What the probe needs of auth.sessions, kept while the table, its schema,
 * the roles and the functions stay as they are (relcache, pg_namespace,
 * pg_authid, pg_auth_members, pg_proc and pg_event_trigger invalidations
 * clear it, and the sessions kept).
 * index_id is InvalidOid when the probe does not fit: the table's shape,
 * or its owner may not read it without row level security.
 */
typedef struct probe_target
{
	bool		valid;
	Oid			relid;
	Oid			index_id;
	bool		change_trigger; /* sessions found alive may be kept */
	AttrNumber	attnums[PROBE_COLUMN_COUNT];
} probe_target;

static probe_target target;

static void
forget_target(void)
{
	target.valid = false;
	jcv_session_cache_forget_all();
}

static void
forget_target_relation(Datum arg pg_attribute_unused(), Oid relid)
{
	if (relid == InvalidOid || relid == target.relid)
		forget_target();
}

static void
forget_target_catalog(Datum arg pg_attribute_unused(), int cacheid pg_attribute_unused(),
					  uint32 hashvalue pg_attribute_unused())
{
	forget_target();
}

/*
 * Whether every change that can end a session fires our trigger: AFTER
 * UPDATE OR DELETE FOR EACH ROW, on every column, without a WHEN, enabled
 * ALWAYS (so session_replication_role = replica fires it too).
 */
static bool
has_change_trigger(Relation rel)
{
	TriggerDesc *triggers = rel->trigdesc;

	for (int i = 0; triggers != NULL && i < triggers->numtriggers; i++)
	{
		Trigger    *trigger = &triggers->triggers[i];
		int16		type = trigger->tgtype;

		if (trigger->tgenabled == TRIGGER_FIRES_ALWAYS &&
			TRIGGER_FOR_ROW(type) && TRIGGER_FOR_AFTER(type) &&
			TRIGGER_FOR_DELETE(type) && TRIGGER_FOR_UPDATE(type) &&
			trigger->tgnattr == 0 && trigger->tgqual == NULL &&
			!OidIsValid(trigger->tgconstraint) &&
			jcv_is_c_function(trigger->tgfoid, JCV_SESSION_CHANGE_TRIGGER))
			return true;
	}
	return false;
}

/*
 * Whether the table has the shape the probe reads: a plain table with the
 * columns the check reads and their types, whose primary key is a btree on
 * its uuid id. Fills target.
 */
static void
describe_target(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			index_id;
	Relation	index;
	bool		fits;

	target.relid = relid;
	target.index_id = InvalidOid;
	target.change_trigger = false;
	target.valid = true;
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		return;

	/*
	 * What the SPI statement, run as the table's owner, would see: the probe
	 * itself runs no code of the owner's (no policy, no trigger, no
	 * expression), so it needs no change of identity.
	 */
	if (pg_class_aclcheck(relid, rel->rd_rel->relowner, ACL_SELECT) != ACLCHECK_OK ||
		check_enable_rls(relid, rel->rd_rel->relowner, true) == RLS_ENABLED)
		return;
	for (int i = 0; i < PROBE_COLUMN_COUNT; i++)
	{
		Oid			type;

		target.attnums[i] = get_attnum(relid, probe_column_names[i]);
		if (target.attnums[i] <= 0)
			return;
		type = TupleDescAttr(desc, target.attnums[i] - 1)->atttypid;
		if (i < PROBE_FIRST_TIME ? type != UUIDOID
			: (type != TIMESTAMPTZOID && type != TIMESTAMPOID))
			return;
	}
	index_id = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(index_id))
		return;
	index = index_open(index_id, AccessShareLock);
	fits = index->rd_rel->relam == BTREE_AM_OID &&
		index->rd_index->indnkeyatts == 1 &&
		index->rd_index->indkey.values[0] == target.attnums[PROBE_ID] &&
		index->rd_opcintype[0] == UUIDOID;
	index_close(index, NoLock);
	if (fits)
	{
		target.index_id = index_id;
		target.change_trigger = has_change_trigger(rel) &&
			jcv_session_cache_watches_alter_table();
	}
}

/*
 * auth.sessions, locked, or InvalidOid when it does not exist. The lock
 * comes first: taking it reads pending invalidations, so target is current
 * when it is used.
 */
static Oid
lock_sessions_table(void)
{
	static bool callbacks_registered = false;

	if (!callbacks_registered)
	{
		CacheRegisterRelcacheCallback(forget_target_relation, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACEOID, forget_target_catalog, (Datum) 0);
		/* the owner's superuser and BYPASSRLS attributes, its memberships */
		CacheRegisterSyscacheCallback(AUTHOID, forget_target_catalog, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHMEMMEMROLE, forget_target_catalog, (Datum) 0);
		/* the triggers' functions, the event trigger */
		CacheRegisterSyscacheCallback(PROCOID, forget_target_catalog, (Datum) 0);
		CacheRegisterSyscacheCallback(EVENTTRIGGEROID, forget_target_catalog, (Datum) 0);
		callbacks_registered = true;
	}
	if (target.valid)
	{
		LockRelationOid(target.relid, AccessShareLock);
		if (target.valid)
			return target.relid;
		/* changed meanwhile: an extra lock until the end of the transaction */
	}
	return RangeVarGetRelid(makeRangeVar("auth", "sessions", -1), AccessShareLock, true);
}

/*
 * One primary key lookup through snapshot; *state as state_of_session
 * returns it, *times those of an active session. *ours: the row version
 * found was written by this transaction (which may yet roll back).
 */
static void
probe_session(Relation rel, const pg_uuid_t *session_id, const pg_uuid_t *user_id,
			  Snapshot snapshot, session_state *state, jcv_session_times *times, bool *ours)
{
	Relation	index = index_open(target.index_id, AccessShareLock);
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot = table_slot_create(rel, NULL);

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(session_id));
	scan = index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	*state = SESSION_MISSING;
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		owner = slot_getattr(slot, target.attnums[PROBE_USER_ID], &isnull);

		/* WHERE user_id = $2 of the SPI statement */
		if (!isnull && memcmp(DatumGetUUIDP(owner)->data, user_id->data, UUID_LEN) == 0)
		{
			bool		present[JCV_SESSION_TIME_COUNT];
			TimestampTz values[JCV_SESSION_TIME_COUNT];

			for (int i = 0; i < JCV_SESSION_TIME_COUNT; i++)
			{
				values[i] = DatumGetTimestampTz(
					slot_getattr(slot, target.attnums[PROBE_FIRST_TIME + i], &isnull));
				present[i] = !isnull;
			}
			jcv_session_from_times(present, values, times);
			*state = jcv_session_has_ended(times, GetCurrentTimestamp())
				? SESSION_ENDED : SESSION_ACTIVE;
			*ours = TransactionIdIsCurrentTransactionId(DatumGetTransactionId(
				slot_getsysattr(slot, MinTransactionIdAttributeNumber, &isnull)));
		}
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
}

/*
 * The session from the sessions kept (src/session_cache.c) or through the
 * primary key; an active one found with a snapshot that may be kept is kept.
 * Otherwise the request's own snapshot answers, as without the cache.
 */
static void
look_up_session(Oid relid, const jcv_request_session *session, session_state *state)
{
	const pg_uuid_t *session_id = &session->session_id;
	const pg_uuid_t *user_id = &session->user_id;
	bool		keep = target.change_trigger && jcv_session_cache_usable();
	jcv_session_times times;
	jcv_session_ticket ticket;
	bool		ours = false;
	Relation	rel;
	Snapshot	snapshot;

	if (keep && jcv_session_cache_lookup(session_id, user_id, &times) &&
		!jcv_session_has_ended(&times, GetCurrentTimestamp()))
	{
		*state = SESSION_ACTIVE;
		return;
	}
	/*
	 * An entry that has ended may be stale: a refresh moves its times on. The
	 * ticket may read invalidations that make target out of date.
	 */
	keep = keep && jcv_session_cache_ticket(relid, session_id, &ticket) && target.valid;
	snapshot = keep ? RegisterSnapshot(GetLatestSnapshot()) : GetActiveSnapshot();
	rel = table_open(relid, NoLock);
	probe_session(rel, session_id, user_id, snapshot, state, &times, &ours);
	table_close(rel, NoLock);
	if (*state == SESSION_ACTIVE && jcv_session_listed_ended(session_id, snapshot))
		*state = SESSION_ENDED;
	if (keep)
	{
		UnregisterSnapshot(snapshot);
		/* not a row this transaction wrote: no trigger tells of its rollback */
		if (*state == SESSION_ACTIVE && !ours)
			jcv_session_cache_add(session_id, user_id, &times, &ticket);
	}
}

/*
 * The session through the primary key; false when the table does not fit
 * the probe, may not be read by its owner without row level security, or
 * is missing (the SPI statement then says why). Locks are
 * kept to the end of the transaction, as a query's are; errors are mapped
 * as the SPI statement's.
 */
static bool
probe_state_of_session(const jcv_request_session *session, session_state *state)
{
	MemoryContext caller_context = CurrentMemoryContext;
	volatile bool probed = false;

	if (!ActiveSnapshotSet())
		return false;
	PG_TRY();
	{
		/* The lock first: it reads the invalidations target depends on. */
		Oid			relid = lock_sessions_table();

		if (OidIsValid(relid))
		{
			if (!target.valid || target.relid != relid)
			{
				Relation	rel = table_open(relid, NoLock);

				describe_target(rel);
				table_close(rel, NoLock);
			}
			if (OidIsValid(target.index_id))
			{
				look_up_session(relid, session, state);
				probed = true;
			}
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		FlushErrorState();
		raise_store_error(edata, true);
	}
	PG_END_TRY();
	return probed;
}

/* false when allow_spi is not set and only the SPI statement could say */
static bool
state_of_session(const jcv_request_session *session, bool allow_spi, session_state *state)
{
	Datum		args[2];

	*state = SESSION_MISSING;
	if (probe_state_of_session(session, state))
		return true;
	if (!allow_spi)
		return false;
	args[0] = UUIDPGetDatum(&session->session_id);
	args[1] = UUIDPGetDatum(&session->user_id);
	jcv_spi_connect();
	if (run_statement(&find_user_session, args, true) > 0)
	{
		jcv_session_times times;

		jcv_session_from_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, &times);
		*state = jcv_session_has_ended(&times, GetCurrentTimestamp()) ||
			jcv_session_listed_ended(&session->session_id, ActiveSnapshotSet()
									 ? GetActiveSnapshot() : GetTransactionSnapshot())
			? SESSION_ENDED : SESSION_ACTIVE;
	}
	SPI_finish();
	return true;
}

/*
 * PostgREST's request for auth_logout. Supabase Auth's /logout ends a session
 * past its limits (not_after, timebox, idle), so the check lets that request
 * reach auth_logout for such a session: auth_logout verifies the token
 * itself and can only end sessions. Deleted sessions are still refused.
 */
static bool
is_logout_request(void)
{
	const char *path = GetConfigOption("request.path", true, false);

	return path != NULL && strcmp(path, "/rpc/auth_logout") == 0;
}

bool
jcv_require_claims_session(const char *claims_json, bool allow_spi)
{
	jcv_request_session session;
	session_state state;

	if (!jcv_read_request_session(claims_json, &session))
		jcv_raise(JCV_UNAUTHORIZED, jcv_status_message(JCV_BAD_CLAIMS), NULL, NULL);
	if (!session.has_session)
		return true;
	if (!state_of_session(&session, allow_spi, &state))
		return false;
	switch (state)
	{
		case SESSION_ACTIVE:
			break;
		case SESSION_MISSING:
			jcv_raise(JCV_UNAUTHORIZED, "session from access token does not exist", NULL, NULL);
			break;
		case SESSION_ENDED:
			if (!is_logout_request())
				jcv_raise(JCV_UNAUTHORIZED, "session from access token has ended", NULL, NULL);
			break;
	}
	return true;
}

bool
jcv_claims_session_alive(const char *claims_json)
{
	jcv_request_session session;
	session_state state;

	if (!jcv_read_request_session(claims_json, &session))
		return false;
	if (!session.has_session)
		return true;
	state_of_session(&session, true, &state);
	return state == SESSION_ACTIVE;
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
	jcv_require_claims_session(GetConfigOption("request.jwt.claims", true, false), true);
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
	jcv_request_session session;
	session_state state;

	if (jcv_check_caller_token(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0), &claims) != JCV_OK)
		PG_RETURN_BOOL(false);
	if (!claims.has_session_id)
		PG_RETURN_BOOL(false);
	jcv_request_session_of_claims(&claims, &session);
	state_of_session(&session, true, &state);
	PG_RETURN_BOOL(state == SESSION_ACTIVE);
}
