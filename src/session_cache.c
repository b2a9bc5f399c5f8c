/*
 * session_cache.c
 *	  Sessions a backend has found alive, so that a request whose session was
 *	  checked before costs no index lookup, and never a missed logout.
 *
 *	  Every change that can end a session (a delete, by anyone: our logouts,
 *	  Supabase Auth's own, a purge, a cascade from auth.users; an update that
 *	  sets not_after or moves a session's times back) passes through the
 *	  trigger jcv_logout_session_changed on auth.sessions (ENABLE ALWAYS, so
 *	  replication roles fire it too). In shared memory, each of 65,536 slots
 *	  (a session id's hash picks one) counts the transactions that began such
 *	  a change (started: from the trigger, before the change can commit) and
 *	  those that ended (finished: at commit or abort, after the commit became
 *	  visible). finished never exceeds started.
 *
 *	  A backend keeps a session only when it read started == finished for its
 *	  slot, then looked the session up with a snapshot taken after that read:
 *	  no change of the slot was in flight, and every one that had finished is
 *	  in that snapshot. It keeps the value of started with the session and
 *	  trusts the entry while started still holds it: a change committed before
 *	  a request's snapshot was taken bumped started before it committed, so
 *	  such a request never answers from a stale entry.
 *
 *	  What the trigger does not see changes the relation (TRUNCATE, DDL, a
 *	  disabled or dropped trigger): its invalidation, which the check reads
 *	  when it locks the table, drops all entries and tells the check whether
 *	  the trigger is still in place. A backend that holds its lock from
 *	  earlier in the transaction reads no invalidation, though, and only
 *	  statements that lock the check out (TRUNCATE, DROP) cannot commit
 *	  meanwhile. So one more slot, for the whole table, counts transactions
 *	  whose DDL locked auth.sessions (the event trigger
 *	  jcv_logout_table_altered on ddl_command_end, enabled ALWAYS); such a
 *	  transaction finishes there only after its invalidation was sent, and a
 *	  backend about to keep a session reads the invalidations first whenever
 *	  the whole table's finished count moved since it last did. The count
 *	  only moves forward: an entry kept before it moved is not trusted.
 *
 *	  Only a primary in READ COMMITTED outside parallel mode uses the cache (a
 *	  standby replays deletes without triggers; a transaction snapshot may
 *	  predate a session's insert; a lookup that keeps its answer takes a
 *	  snapshot of its own), only with the library in shared_preload_libraries
 *	  (the counters), and PREPARE TRANSACTION of a change is refused (its
 *	  commit could come from another backend, or after a restart, with no
 *	  trigger). A transaction prepared before the server started (perhaps
 *	  without the library, its trigger then doing nothing) and still holding
 *	  a lock that a change of auth.sessions takes counts as in flight.
 *
 *	  docs/design.md gives the whole argument, case by case.
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_event_trigger.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "session_cache.h"
#include "settings.h"

PG_FUNCTION_INFO_V1(jcv_logout_session_changed);
PG_FUNCTION_INFO_V1(jcv_logout_table_altered);

#define CHANGE_SLOT_BITS 16
#define CHANGE_SLOT_COUNT (1 << CHANGE_SLOT_BITS)
/* After the sessions' slots: the whole table's */
#define TABLE_SLOT CHANGE_SLOT_COUNT
#define ALL_SLOTS (CHANGE_SLOT_COUNT + 1)

typedef struct change_slot
{
	pg_atomic_uint64 started;
	pg_atomic_uint64 finished;
} change_slot;

/* NULL unless preloaded: then nothing is cached and the trigger does nothing. */
static change_slot *change_slots = NULL;

static shmem_request_hook_type prev_shmem_request = NULL;
static shmem_startup_hook_type prev_shmem_startup = NULL;

/* Slots this transaction has begun a change in (TopTransactionContext). */
static bits8 *pending_set = NULL;
static uint32 *pending_slots = NULL;
static int	pending_count = 0;
static int	pending_capacity = 0;
/* The whole table's change ended: finished once its invalidation is sent. */
static bool table_finish_due = false;

/* The whole table's finished count when this backend last read invalidations. */
static uint64 table_changes_read = 0;
/* auth.sessions as of the last check that no transaction prepared before start-up holds it */
static Oid	no_recovered_prepared_change = InvalidOid;

typedef struct cached_session
{
	pg_uuid_t	session_id;
	pg_uuid_t	user_id;
	uint64		started;		/* the slot's started count when looked up */
	uint64		table_started;	/* the table slot's */
	TimestampTz not_after;
	TimestampTz created_at;
	TimestampTz last_active;
	uint32		epoch;			/* live while equal to cache_epoch */
	uint32		last_use;		/* the least recently used of a set goes */
	uint8		present;		/* which of the three times are known */
} cached_session;

#define HAS_NOT_AFTER 1
#define HAS_CREATED_AT 2
#define HAS_LAST_ACTIVE 4

/*
 * Four entries per set; a session may sit in either of two sets that its
 * id's hash picks. Two choices let the table fill to about nine tenths
 * before sessions still in use push each other out (with one set each, 6 %
 * of the checks missed at 61 % full).
 */
#define SET_SIZE 4
#define SET_CHOICES 2

static cached_session *entries = NULL;
static int	set_count = 0;
static uint32 cache_epoch = 1;
static uint32 use_clock = 0;

static uint32
session_hash(const pg_uuid_t *session_id)
{
	return hash_bytes(session_id->data, UUID_LEN);
}

static change_slot *
slot_of(uint32 hash)
{
	return &change_slots[hash >> (32 - CHANGE_SLOT_BITS)];
}

static void
request_change_slots(void)
{
	if (prev_shmem_request)
		prev_shmem_request();
	RequestAddinShmemSpace(mul_size(ALL_SLOTS, sizeof(change_slot)));
}

static void
attach_change_slots(void)
{
	bool		found;

	if (prev_shmem_startup)
		prev_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	change_slots = ShmemInitStruct("jcv_logout session changes",
								   mul_size(ALL_SLOTS, sizeof(change_slot)), &found);
	if (!found)
	{
		for (int i = 0; i < ALL_SLOTS; i++)
		{
			pg_atomic_init_u64(&change_slots[i].started, 0);
			pg_atomic_init_u64(&change_slots[i].finished, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Ends this transaction's changes of sessions: committed (now visible) or
 * aborted. The whole table's waits for finish_table_change.
 */
static void
finish_changes(XactEvent event, void *arg pg_attribute_unused())
{
	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:
			if (pending_count > 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that deleted or shortened Supabase Auth sessions or altered auth.sessions"),
						 errdetail("Other backends' cached session checks learn of such a change only from the backend that commits it."),
						 errhidestmt(true)));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
			for (int i = 0; i < pending_count; i++)
			{
				if (pending_slots[i] == TABLE_SLOT)
					table_finish_due = true;
				else
					pg_atomic_fetch_add_u64(&change_slots[pending_slots[i]].finished, 1);
			}
			pending_set = NULL;
			pending_slots = NULL;
			pending_count = 0;
			pending_capacity = 0;
			break;
		default:
			break;
	}
}

/*
 * The whole table's change ends after the transaction's invalidations were
 * sent (AtEOXact_Inval runs before the locks are released), so a backend
 * that reads the finished count, then the invalidations, sees the change.
 */
static void
finish_table_change(ResourceReleasePhase phase, bool isCommit pg_attribute_unused(),
					bool isTopLevel, void *arg pg_attribute_unused())
{
	if (phase == RESOURCE_RELEASE_AFTER_LOCKS && isTopLevel && table_finish_due)
	{
		pg_atomic_fetch_add_u64(&change_slots[TABLE_SLOT].finished, 1);
		table_finish_due = false;
	}
}

void
jcv_session_cache_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request = shmem_request_hook;
	shmem_request_hook = request_change_slots;
	prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = attach_change_slots;
	RegisterXactCallback(finish_changes, NULL);
	RegisterResourceReleaseCallback(finish_table_change, NULL);
}

/* Marks a slot as changing until this transaction ends. */
static void
begin_change(uint32 slot)
{
	if (pending_set == NULL)
	{
		pending_set = MemoryContextAllocZero(TopTransactionContext, (ALL_SLOTS + BITS_PER_BYTE - 1) / BITS_PER_BYTE);
		pending_capacity = 16;
		pending_slots = MemoryContextAlloc(TopTransactionContext, pending_capacity * sizeof(uint32));
	}
	if (pending_set[slot / BITS_PER_BYTE] & (1 << (slot % BITS_PER_BYTE)))
		return;
	if (pending_count == pending_capacity)
	{
		pending_capacity *= 2;
		pending_slots = repalloc(pending_slots, pending_capacity * sizeof(uint32));
	}
	/* Nothing between the bump and the record can fail. */
	pg_atomic_fetch_add_u64(&change_slots[slot].started, 1);
	pending_set[slot / BITS_PER_BYTE] |= 1 << (slot % BITS_PER_BYTE);
	pending_slots[pending_count++] = slot;
}

/* Column of the row by name, when it is of one of the two types given. */
static bool
read_column(HeapTuple row, TupleDesc desc, const char *name, Oid type1, Oid type2,
			Datum *value, bool *present)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attribute = TupleDescAttr(desc, i);
		bool		isnull;

		if (attribute->attisdropped || strcmp(NameStr(attribute->attname), name) != 0)
			continue;
		if (attribute->atttypid != type1 && attribute->atttypid != type2)
			return false;
		*value = heap_getattr(row, i + 1, desc, &isnull);
		*present = !isnull;
		return true;
	}
	return false;
}

static const char *const time_columns[JCV_SESSION_TIME_COUNT] = {
	[JCV_SESSION_NOT_AFTER] = "not_after",
	[JCV_SESSION_CREATED_AT] = "created_at",
	[JCV_SESSION_UPDATED_AT] = "updated_at",
	[JCV_SESSION_REFRESHED_AT] = "refreshed_at",
};

/* false when a time column is missing or not a timestamp */
static bool
read_times(HeapTuple row, TupleDesc desc, jcv_session_times *times)
{
	bool		present[JCV_SESSION_TIME_COUNT];
	TimestampTz values[JCV_SESSION_TIME_COUNT];

	for (int i = 0; i < JCV_SESSION_TIME_COUNT; i++)
	{
		Datum		value;

		if (!read_column(row, desc, time_columns[i], TIMESTAMPTZOID, TIMESTAMPOID,
						 &value, &present[i]))
			return false;
		values[i] = present[i] ? DatumGetTimestampTz(value) : 0;
	}
	jcv_session_from_times(present, values, times);
	return true;
}

static bool
same_uuid(HeapTuple old_row, HeapTuple new_row, TupleDesc desc, const char *column)
{
	Datum		old_value,
				new_value;
	bool		old_present,
				new_present;

	if (!read_column(old_row, desc, column, UUIDOID, UUIDOID, &old_value, &old_present) ||
		!read_column(new_row, desc, column, UUIDOID, UUIDOID, &new_value, &new_present))
		return false;
	if (!old_present || !new_present)
		return old_present == new_present;
	return memcmp(DatumGetUUIDP(old_value), DatumGetUUIDP(new_value), UUID_LEN) == 0;
}

/*
 * Whether an update may end the session sooner than before, by any rule and
 * setting: another id or user, another not_after or created_at, a last
 * activity moved back. Supabase Auth's refreshes only move it forward.
 */
static bool
update_may_end_session(HeapTuple old_row, HeapTuple new_row, TupleDesc desc)
{
	jcv_session_times before,
				after;

	if (!same_uuid(old_row, new_row, desc, "id") ||
		!same_uuid(old_row, new_row, desc, "user_id") ||
		!read_times(old_row, desc, &before) || !read_times(new_row, desc, &after))
		return true;
	if (before.has_not_after != after.has_not_after ||
		(after.has_not_after && after.not_after != before.not_after))
		return true;
	if (before.has_created_at != after.has_created_at ||
		(after.has_created_at && after.created_at != before.created_at))
		return true;
	return after.has_last_active &&
		(!before.has_last_active || after.last_active < before.last_active);
}

static void
begin_change_of_row(HeapTuple row, TupleDesc desc)
{
	Datum		id;
	bool		present;

	if (read_column(row, desc, "id", UUIDOID, UUIDOID, &id, &present) && present)
		begin_change(session_hash(DatumGetUUIDP(id)) >> (32 - CHANGE_SLOT_BITS));
}

/*
 * AFTER UPDATE OR DELETE FOR EACH ROW on auth.sessions: announces a change
 * that can end the row's session. It runs no SQL and reads only the rows.
 */
Datum
jcv_logout_session_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigger = (TriggerData *) fcinfo->context;
	TupleDesc	desc;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigger->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigger->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must run as an AFTER ROW trigger", JCV_SESSION_CHANGE_TRIGGER)));
	if (change_slots == NULL)
		return PointerGetDatum(NULL);

	desc = RelationGetDescr(trigger->tg_relation);
	if (TRIGGER_FIRED_BY_DELETE(trigger->tg_event))
		begin_change_of_row(trigger->tg_trigtuple, desc);
	else if (TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) &&
			 update_may_end_session(trigger->tg_trigtuple, trigger->tg_newtuple, desc))
	{
		begin_change_of_row(trigger->tg_trigtuple, desc);
		begin_change_of_row(trigger->tg_newtuple, desc);
	}
	return PointerGetDatum(NULL);
}

void
jcv_session_cache_announce(const pg_uuid_t *session_id)
{
	if (change_slots != NULL)
		begin_change(session_hash(session_id) >> (32 - CHANGE_SLOT_BITS));
}

/*
 * Whether this transaction holds a lock on auth.sessions that DDL changing
 * it takes: ShareUpdateExclusiveLock or stronger (ALTER TABLE … DISABLE
 * TRIGGER and CREATE TRIGGER take ShareRowExclusiveLock). The lock, not the
 * statement's text, says what the DDL resolved to: a name through
 * search_path, ALL IN TABLESPACE, a parent recursing to its children.
 */
static bool
sessions_table_locked_for_ddl(void)
{
	Oid			schema = get_namespace_oid("auth", true);
	Oid			relid = OidIsValid(schema) ? get_relname_relid("sessions", schema) : InvalidOid;
	LOCKTAG		tag;

	if (!OidIsValid(relid))
		return false;
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	for (LOCKMODE mode = ShareUpdateExclusiveLock; mode <= AccessExclusiveLock; mode++)
	{
		if (jcv_lock_held_by_me(&tag, mode))
			return true;
	}
	return false;
}

/*
 * Event trigger ON ddl_command_end WHEN TAG IN ('ALTER TABLE', 'CREATE
 * TRIGGER'): if it locked auth.sessions, the statement may have disabled
 * the trigger above (DISABLE TRIGGER, CREATE OR REPLACE TRIGGER) without
 * locking the check out. Runs before any later statement of the
 * transaction, and before it commits. DDL on other tables counts for
 * nothing, whoever runs it. (Other DDL that takes no lock waiting for the
 * check cannot change which changes fire the trigger.)
 */
Datum
jcv_logout_table_altered(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must run as an event trigger", JCV_TABLE_ALTERED_TRIGGER)));
	if (change_slots != NULL && sessions_table_locked_for_ddl())
		begin_change(TABLE_SLOT);
	PG_RETURN_VOID();
}

/* Whether a function is the C function of that symbol (only a superuser makes one). */
bool
jcv_is_c_function(Oid function, const char *symbol)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(function));
	bool		isnull;
	bool		ours = false;

	if (!HeapTupleIsValid(tuple))
		return false;
	if (((Form_pg_proc) GETSTRUCT(tuple))->prolang == ClanguageId)
	{
		Datum		prosrc = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);

		ours = !isnull && strcmp(TextDatumGetCString(prosrc), symbol) == 0;
	}
	ReleaseSysCache(tuple);
	return ours;
}

/*
 * Our event trigger: on ddl_command_end, our C function, enabled ALWAYS,
 * for ALTER TABLE and CREATE TRIGGER (or no tag filter at all): the DDL
 * that can disable or replace the change trigger without locking the check
 * out. The filter spares other DDL loading the library.
 */
bool
jcv_session_cache_watches_alter_table(void)
{
	HeapTuple	tuple = SearchSysCache1(EVENTTRIGGERNAME, CStringGetDatum(JCV_TABLE_ALTERED_TRIGGER));
	Form_pg_event_trigger trigger;
	bool		watches = false;

	if (!HeapTupleIsValid(tuple))
		return false;
	trigger = (Form_pg_event_trigger) GETSTRUCT(tuple);
	if (trigger->evtenabled == TRIGGER_FIRES_ALWAYS &&
		strcmp(NameStr(trigger->evtevent), "ddl_command_end") == 0 &&
		jcv_is_c_function(trigger->evtfoid, JCV_TABLE_ALTERED_TRIGGER))
	{
		bool		isnull;
		Datum		tags = SysCacheGetAttr(EVENTTRIGGERNAME, tuple, Anum_pg_event_trigger_evttags, &isnull);

		watches = isnull;
		if (!isnull)
		{
			Datum	   *values;
			int			count;
			bool		alter_table = false;
			bool		create_trigger = false;

			deconstruct_array(DatumGetArrayTypeP(tags), TEXTOID, -1, false, TYPALIGN_INT,
							  &values, NULL, &count);
			for (int i = 0; i < count; i++)
			{
				alter_table |= pg_strcasecmp(TextDatumGetCString(values[i]), "ALTER TABLE") == 0;
				create_trigger |= pg_strcasecmp(TextDatumGetCString(values[i]), "CREATE TRIGGER") == 0;
			}
			watches = alter_table && create_trigger;
		}
	}
	ReleaseSysCache(tuple);
	return watches;
}

bool
jcv_session_cache_usable(void)
{
	return change_slots != NULL && jcv_session_cache_size > 0 &&
		!RecoveryInProgress() && !IsolationUsesXactSnapshot() && !IsInParallelMode();
}

/* The entries, sized as the setting says now; false if there are none. */
static bool
have_entries(void)
{
	int			wanted = Max(jcv_session_cache_size / SET_SIZE, 1);

	if (entries != NULL && set_count == wanted)
		return true;
	if (entries != NULL)
		pfree(entries);
	set_count = 0;
	entries = MemoryContextAllocExtended(TopMemoryContext,
										 mul_size(wanted, SET_SIZE * sizeof(cached_session)),
										 MCXT_ALLOC_ZERO | MCXT_ALLOC_NO_OOM);
	if (entries == NULL)
		return false;
	set_count = wanted;
	return true;
}

static cached_session *
set_of(uint32 hash, int choice)
{
	return &entries[((choice == 0 ? hash : murmurhash32(hash)) % set_count) * SET_SIZE];
}

static bool
is_live(const cached_session *entry)
{
	return entry->epoch == cache_epoch;
}

bool
jcv_session_cache_lookup(const pg_uuid_t *session_id, const pg_uuid_t *user_id,
						 jcv_session_times *times)
{
	uint32		hash = session_hash(session_id);
	cached_session *entry = NULL;

	if (!have_entries())
		return false;
	for (int choice = 0; choice < SET_CHOICES && entry == NULL; choice++)
	{
		cached_session *set = set_of(hash, choice);

		for (cached_session *e = set; e < set + SET_SIZE; e++)
		{
			if (is_live(e) &&
				memcmp(e->session_id.data, session_id->data, UUID_LEN) == 0 &&
				memcmp(e->user_id.data, user_id->data, UUID_LEN) == 0)
			{
				entry = e;
				break;
			}
		}
	}
	if (entry == NULL)
		return false;

	/*
	 * The request's snapshot, taken before this, synchronized with the
	 * commit of every change it sees, which bumped started first.
	 */
	pg_read_barrier();
	if (pg_atomic_read_u64(&slot_of(hash)->started) != entry->started ||
		pg_atomic_read_u64(&change_slots[TABLE_SLOT].started) != entry->table_started)
	{
		entry->epoch = 0;
		return false;
	}
	entry->last_use = ++use_clock;
	times->has_not_after = (entry->present & HAS_NOT_AFTER) != 0;
	times->not_after = entry->not_after;
	times->has_created_at = (entry->present & HAS_CREATED_AT) != 0;
	times->created_at = entry->created_at;
	times->has_last_active = (entry->present & HAS_LAST_ACTIVE) != 0;
	times->last_active = entry->last_active;
	return true;
}

/*
 * Whether a transaction prepared before this server started may still
 * commit a change of the table: it holds a lock that conflicts with
 * ShareLock (RowExclusiveLock and up: UPDATE, DELETE, TRUNCATE; recovered
 * with the transaction). Transactions prepared since cannot hold such a
 * change (finish_changes), and none is recovered once the server runs: the
 * first check that finds none settles it for this backend.
 */
static bool
recovered_prepared_change(Oid relid)
{
	LOCKTAG		tag;
	VirtualTransactionId *holders;
	int			count;
	bool		found = false;

	if (relid == no_recovered_prepared_change)
		return false;
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	holders = GetLockConflicts(&tag, ShareLock, &count);
	for (int i = 0; i < count; i++)
		found |= VirtualTransactionIdIsRecoveredPreparedXact(holders[i]);
	pfree(holders);
	if (!found)
		no_recovered_prepared_change = relid;
	return found;
}

bool
jcv_session_cache_ticket(Oid relid, const pg_uuid_t *session_id, jcv_session_ticket *ticket)
{
	change_slot *slot = slot_of(session_hash(session_id));
	change_slot *table = &change_slots[TABLE_SLOT];
	uint64		finished = pg_atomic_read_u64(&slot->finished);
	uint64		table_finished = pg_atomic_read_u64(&table->finished);

	/* finished first: equal then means no change was in flight in between */
	pg_read_barrier();
	ticket->started = pg_atomic_read_u64(&slot->started);
	ticket->table_started = pg_atomic_read_u64(&table->started);
	/* the caller's snapshot must come after these reads */
	pg_memory_barrier();
	if (ticket->started != finished || ticket->table_started != table_finished)
		return false;

	/*
	 * A change of the table ended since this backend last read invalidations
	 * (its lock on the table may date from before): read them, so that the
	 * caller's description of the table is current, or forgotten.
	 */
	if (table_finished != table_changes_read)
	{
		AcceptInvalidationMessages();
		table_changes_read = table_finished;
	}
	return !recovered_prepared_change(relid);
}

void
jcv_session_cache_add(const pg_uuid_t *session_id, const pg_uuid_t *user_id,
					  const jcv_session_times *times, const jcv_session_ticket *ticket)
{
	uint32		hash = session_hash(session_id);
	cached_session *entry = NULL;
	cached_session *victim = NULL;

	if (!have_entries())
		return;
	/*
	 * The same session's entry, else a free one (the first set's first),
	 * else the least recently used of both sets.
	 */
	for (int choice = 0; choice < SET_CHOICES && entry == NULL; choice++)
	{
		cached_session *set = set_of(hash, choice);

		for (cached_session *e = set; e < set + SET_SIZE; e++)
		{
			if (is_live(e) && memcmp(e->session_id.data, session_id->data, UUID_LEN) == 0)
			{
				entry = e;
				break;
			}
			if (victim == NULL ||
				(is_live(victim) && (!is_live(e) || (int32) (e->last_use - victim->last_use) < 0)))
				victim = e;
		}
	}
	if (entry == NULL)
		entry = victim;
	entry->session_id = *session_id;
	entry->user_id = *user_id;
	entry->started = ticket->started;
	entry->table_started = ticket->table_started;
	entry->not_after = times->not_after;
	entry->created_at = times->created_at;
	entry->last_active = times->last_active;
	entry->present = (times->has_not_after ? HAS_NOT_AFTER : 0) |
		(times->has_created_at ? HAS_CREATED_AT : 0) |
		(times->has_last_active ? HAS_LAST_ACTIVE : 0);
	entry->last_use = ++use_clock;
	entry->epoch = cache_epoch;
}

void
jcv_session_cache_forget_all(void)
{
	if (++cache_epoch == 0)
	{
		if (entries != NULL)
			memset(entries, 0, mul_size(set_count, SET_SIZE * sizeof(cached_session)));
		cache_epoch = 1;
	}
}
