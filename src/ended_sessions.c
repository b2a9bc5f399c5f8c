/*
 * ended_sessions.c
 *	  Sessions ended without being deleted. The logout trigger on auth.users
 *	  (and auth_logout_user) holds the user's row when it ends the user's
 *	  sessions, while Supabase Auth's refresh holds a session and then
 *	  updates the user's row: waiting for that session would deadlock. So it
 *	  deletes the sessions nobody holds (FOR UPDATE SKIP LOCKED) and lists
 *	  the others in jcv_logout_ended_sessions, in the same transaction.
 *
 *	  Every session check refuses a listed session: on a lookup that reads
 *	  auth.sessions (a miss of the session cache), one more primary key probe
 *	  of this table, nearly always empty; and listing a session counts as a
 *	  change of it for the session cache (src/session_cache.c), so no backend
 *	  answers from an entry kept before. A line goes only with its session:
 *	  auth_purge_sessions() deletes listed sessions, and any logout that
 *	  deletes a listed session unlists it.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "ended_sessions.h"
#include "session_cache.h"
#include "spi_statement.h"

#define EXTENSION_NAME "jcv_logout"

/* Where the list is, kept until a relation or the extension changes. */
typedef struct ended_list
{
	bool		valid;
	Oid			relid;			/* InvalidOid: not installed */
	Oid			index_id;
	Oid			owner;
} ended_list;

static ended_list list;

static saved_statement record_statement = {.nargs = 2,.argtypes = {UUIDOID, UUIDARRAYOID}};
static saved_statement forget_statement = {.nargs = 1,.argtypes = {UUIDARRAYOID}};
static saved_statement all_statement = {.nargs = 0};

static void
forget_list(Datum arg pg_attribute_unused(), Oid relid)
{
	/* not installed yet: any new relation may be it */
	if (relid == InvalidOid || relid == list.relid || !OidIsValid(list.relid))
		list.valid = false;
}

static Oid
extension_oid_and_schema(Oid *schema)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			extension = InvalidOid;

	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum(EXTENSION_NAME));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		extension = ((Form_pg_extension) GETSTRUCT(tuple))->oid;
		*schema = ((Form_pg_extension) GETSTRUCT(tuple))->extnamespace;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return extension;
}

static void
free_plan(saved_statement *stmt)
{
	if (stmt->plan != NULL)
		SPI_freeplan(stmt->plan);
	stmt->plan = NULL;
	if (stmt->sql != NULL)
		pfree((char *) stmt->sql);
	stmt->sql = NULL;
}

/* The statements, naming the table where it is now. */
static void
build_statements(Oid schema)
{
	char	   *table = quote_qualified_identifier(get_namespace_name(schema),
												   JCV_ENDED_SESSIONS_TABLE);
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	free_plan(&record_statement);
	free_plan(&forget_statement);
	free_plan(&all_statement);
	record_statement.sql = psprintf("INSERT INTO %s (session_id, user_id)"
									" SELECT DISTINCT s, $1 FROM unnest($2) s"
									" ON CONFLICT (session_id) DO NOTHING", table);
	forget_statement.sql = psprintf("DELETE FROM %s WHERE session_id = ANY ($1)", table);
	all_statement.sql = psprintf("SELECT coalesce(array_agg(session_id), '{}') FROM %s", table);
	MemoryContextSwitchTo(old);
}

/*
 * Finds the list: the extension's member of that name in its schema, with
 * a btree primary key on session_id. Locks it first when it was known, so
 * that what is kept is current.
 */
static bool
have_list(void)
{
	static bool callback_registered = false;
	Oid			schema = InvalidOid;
	Oid			extension;
	Oid			relid;
	Relation	rel;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(forget_list, (Datum) 0);
		callback_registered = true;
	}
	if (list.valid && OidIsValid(list.relid))
	{
		LockRelationOid(list.relid, AccessShareLock);
		if (list.valid)
			return true;
	}
	else if (list.valid)
		return false;

	list.relid = InvalidOid;
	list.valid = true;
	extension = extension_oid_and_schema(&schema);
	if (!OidIsValid(extension))
		return false;
	relid = get_relname_relid(JCV_ENDED_SESSIONS_TABLE, schema);
	if (!OidIsValid(relid) || getExtensionOfObject(RelationRelationId, relid) != extension)
		return false;
	rel = table_open(relid, AccessShareLock);
	list.index_id = RelationGetPrimaryKeyIndex(rel);
	list.owner = rel->rd_rel->relowner;
	table_close(rel, NoLock);
	if (!OidIsValid(list.index_id))
		return false;
	build_statements(schema);
	list.relid = relid;
	return true;
}

Oid
jcv_ended_sessions_owner(void)
{
	return have_list() ? list.owner : InvalidOid;
}

bool
jcv_session_listed_ended(const pg_uuid_t *session_id, Snapshot snapshot)
{
	Relation	rel;
	Relation	index;
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		listed;

	if (!have_list())
		return false;
	rel = table_open(list.relid, NoLock);
	index = index_open(list.index_id, AccessShareLock);
	slot = table_slot_create(rel, NULL);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(session_id));
	scan = index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	listed = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	return listed;
}

void
jcv_ended_sessions_record(Datum user_id, Datum session_ids)
{
	ArrayType  *ids = DatumGetArrayTypeP(session_ids);
	Datum		args[2] = {user_id, session_ids};
	Datum	   *elements;
	bool	   *nulls;
	int			count;

	if (ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids)) == 0 || !have_list())
		return;
	/* before the commit that lists them, as a delete's trigger does */
	deconstruct_array(ids, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &elements, &nulls, &count);
	for (int i = 0; i < count; i++)
		if (!nulls[i])
			jcv_session_cache_announce(DatumGetUUIDP(elements[i]));
	run_statement_as(&record_statement, list.owner, args, NULL, false);
}

void
jcv_ended_sessions_forget(Datum session_ids)
{
	ArrayType  *ids = DatumGetArrayTypeP(session_ids);

	if (ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids)) == 0 || !have_list())
		return;
	run_statement_as(&forget_statement, list.owner, &session_ids, NULL, false);
}

Datum
jcv_ended_sessions_all(void)
{
	bool		isnull;

	if (!have_list())
		return PointerGetDatum(construct_empty_array(UUIDOID));
	run_statement_as(&all_statement, list.owner, NULL, NULL, true);
	/* copied out of the tuple table, which the next statement frees */
	return PointerGetDatum(DatumGetArrayTypePCopy(
		SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)));
}
