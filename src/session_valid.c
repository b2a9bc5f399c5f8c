/*
 * session_valid.c
 *	  auth_session_valid(): whether the session in request.jwt.claims may
 *	  still be used, for row level security policies, so that a logout ends
 *	  access through every service that sets the claims (PostgREST, Realtime,
 *	  Storage), not only PostgREST's requests.
 *
 * A policy calls it once per row, so it is neither SECURITY DEFINER nor has
 * a SET clause (fmgr would pay for them on every row): it looks a session up
 * as the function's owner itself, and only when the answer is not known
 * yet. The answer is kept for one value of the claims within one snapshot
 * of one statement and (sub)transaction: Realtime changes the claims per
 * subscriber inside a single statement, Storage switches to the service
 * role's claims and back inside a transaction, and a logout that commits is
 * seen by the next snapshot. A statement may take many snapshots (a DO
 * block, a function looping over Realtime's subscribers), and the active
 * snapshot is a copy, which carries no completion count: so the snapshot
 * is known by what decides what it sees (xmin, xmax, the transactions in
 * progress, the command id), compared in full.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "storage/shmem.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "session_check.h"

PG_FUNCTION_INFO_V1(auth_session_valid);

#define CLAIMS_SETTING "request.jwt.claims"

/* The last answer, and what it was computed for. */
typedef struct known_answer
{
	bool		known;
	uint64		transaction;	/* ended_transactions when computed */
	SubTransactionId subtransaction;
	TimestampTz statement_start;
	/* the snapshot */
	TransactionId xmin;
	TransactionId xmax;
	uint32		xcnt;
	int32		subxcnt;
	bool		suboverflowed;
	bool		taken_during_recovery;
	CommandId	command;
	TransactionId *xids;		/* xip, then subxip; in TopMemoryContext */
	Size		xids_space;		/* in TransactionIds */
	bool		has_claims;
	char	   *claims;			/* in TopMemoryContext */
	Size		claims_space;
	bool		valid;
} known_answer;

static known_answer last;

/* Transactions this backend has ended, so a new one never reuses an answer. */
static uint64 ended_transactions = 0;

static void
count_ended_transaction(XactEvent event, void *arg pg_attribute_unused())
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE)
		ended_transactions++;
}

/*
 * request.jwt.claims, NULL when never set. Looked up by name each time: a
 * pointer to its placeholder would dangle once a library defined the
 * setting (PostgreSQL then frees the placeholder).
 */
static const char *
current_claims(void)
{
	return GetConfigOption(CLAIMS_SETTING, true, false);
}

static bool
same_claims(const char *claims)
{
	if (claims == NULL || !last.has_claims)
		return claims == NULL && !last.has_claims;
	return strcmp(claims, last.claims) == 0;
}

static void
remember_claims(const char *claims)
{
	Size		needed;

	last.has_claims = claims != NULL;
	if (claims == NULL)
		return;
	needed = strlen(claims) + 1;
	if (needed > last.claims_space)
	{
		char	   *space = MemoryContextAlloc(TopMemoryContext, needed);

		if (last.claims != NULL)
			pfree(last.claims);
		last.claims = space;
		last.claims_space = needed;
	}
	memcpy(last.claims, claims, needed);
}

/*
 * Whether the snapshot sees what the one of the last answer saw: the same
 * transactions finished and in progress, the same command of this one.
 * (Own changes rolled back to a savepoint: the subtransaction differs.)
 */
static bool
same_snapshot(Snapshot snapshot)
{
	return snapshot->xmin == last.xmin && snapshot->xmax == last.xmax &&
		snapshot->xcnt == last.xcnt && snapshot->subxcnt == last.subxcnt &&
		snapshot->suboverflowed == last.suboverflowed &&
		snapshot->takenDuringRecovery == last.taken_during_recovery &&
		snapshot->curcid == last.command &&
		(snapshot->xcnt == 0 ||
		 memcmp(snapshot->xip, last.xids, snapshot->xcnt * sizeof(TransactionId)) == 0) &&
		(snapshot->subxcnt <= 0 ||
		 memcmp(snapshot->subxip, last.xids + snapshot->xcnt,
				snapshot->subxcnt * sizeof(TransactionId)) == 0);
}

/* false when there is no memory for it: the answer is then not kept */
static bool
remember_snapshot(Snapshot snapshot)
{
	Size		needed = (Size) snapshot->xcnt + (Size) snapshot->subxcnt;

	if (needed > last.xids_space)
	{
		TransactionId *space = MemoryContextAllocExtended(TopMemoryContext,
														  mul_size(needed, sizeof(TransactionId)),
														  MCXT_ALLOC_NO_OOM);

		if (space == NULL)
			return false;
		if (last.xids != NULL)
			pfree(last.xids);
		last.xids = space;
		last.xids_space = needed;
	}
	last.xmin = snapshot->xmin;
	last.xmax = snapshot->xmax;
	last.xcnt = snapshot->xcnt;
	last.subxcnt = snapshot->subxcnt;
	last.suboverflowed = snapshot->suboverflowed;
	last.taken_during_recovery = snapshot->takenDuringRecovery;
	last.command = snapshot->curcid;
	if (snapshot->xcnt > 0)
		memcpy(last.xids, snapshot->xip, snapshot->xcnt * sizeof(TransactionId));
	if (snapshot->subxcnt > 0)
		memcpy(last.xids + snapshot->xcnt, snapshot->subxip, snapshot->subxcnt * sizeof(TransactionId));
	return true;
}

/* The function's owner, looked up once per call site (fn_extra). */
static Oid
function_owner(FunctionCallInfo fcinfo)
{
	Oid		   *owner = (Oid *) fcinfo->flinfo->fn_extra;

	if (owner == NULL)
	{
		HeapTuple	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));

		if (!HeapTupleIsValid(proc))
			elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
		owner = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));
		*owner = ((Form_pg_proc) GETSTRUCT(proc))->proowner;
		ReleaseSysCache(proc);
		fcinfo->flinfo->fn_extra = owner;
	}
	return *owner;
}

/* The check itself, as the function's owner (as SECURITY DEFINER would). */
static bool
compute_answer(FunctionCallInfo fcinfo, const char *claims)
{
	Oid			saved_user;
	int			saved_security;
	bool		valid;

	GetUserIdAndSecContext(&saved_user, &saved_security);
	SetUserIdAndSecContext(function_owner(fcinfo),
						   saved_security | SECURITY_LOCAL_USERID_CHANGE);
	/* an error is raised with the owner's id set: the abort restores it */
	valid = jcv_claims_session_alive(claims);
	SetUserIdAndSecContext(saved_user, saved_security);
	return valid;
}

/*
 * True when there is no session to check (no claims, anon, service_role,
 * no session_id, "", null, GoTrue's nil session) or the claims' session exists,
 * belongs to their sub and has not ended; false otherwise, bad claims
 * included. Never raises for the claims.
 */
Datum
auth_session_valid(PG_FUNCTION_ARGS)
{
	static bool callback_registered = false;
	const char *claims = current_claims();
	Snapshot	snapshot;

	if (!callback_registered)
	{
		RegisterXactCallback(count_ended_transaction, NULL);
		callback_registered = true;
	}
	if (!ActiveSnapshotSet())
		PG_RETURN_BOOL(compute_answer(fcinfo, claims));

	snapshot = GetActiveSnapshot();
	if (last.known && last.transaction == ended_transactions &&
		last.subtransaction == GetCurrentSubTransactionId() &&
		last.statement_start == GetCurrentStatementStartTimestamp() &&
		same_snapshot(snapshot) && same_claims(claims))
		PG_RETURN_BOOL(last.valid);

	last.known = false;
	last.valid = compute_answer(fcinfo, claims);
	/* computing it may have pushed and popped snapshots: the caller's is the key */
	if (!remember_snapshot(snapshot))
		PG_RETURN_BOOL(last.valid);
	last.transaction = ended_transactions;
	last.subtransaction = GetCurrentSubTransactionId();
	last.statement_start = GetCurrentStatementStartTimestamp();
	remember_claims(claims);
	last.known = true;
	PG_RETURN_BOOL(last.valid);
}
