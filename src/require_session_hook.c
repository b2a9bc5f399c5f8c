/*
 * require_session_hook.c
 *	  jcv_logout.require_session = on: auth_require_session() runs inside each
 *	  PostgREST request's own statements, so PostgREST needs no db-pre-request,
 *	  which costs it one more statement (a round trip) per request.
 *
 *	  Planner and ExecutorStart hooks. When a top-level statement is planned
 *	  or starts and request.jwt.claims is set, they run this database's
 *	  auth_require_session(), once per transaction and value of the claims,
 *	  as that SECURITY DEFINER function runs for db-pre-request: as its
 *	  owner, refusing the statement with the same UNAUTHORIZED error.
 *	  PostgREST sets the claims in one statement and runs the request in the
 *	  next, so the check comes before any of the request's own work. While
 *	  the function is ours as installed, its body is run directly under the
 *	  owner's id (what its SET search_path protects, name lookups through
 *	  SPI, is then not used); otherwise, or when the table needs SPI, the
 *	  function itself is called.
 *
 *	  Statements run by a function (inside ExecutorRun or ExecutorFinish) are
 *	  not checked: a function that sets request.jwt.claims for its own use, as
 *	  Supabase Realtime does to apply row level security for each subscriber,
 *	  is not serving a request. Without jcv_logout in the database (no
 *	  function) there is nothing to check.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "optimizer/planner.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "require_session_hook.h"
#include "session_check.h"
#include "settings.h"

#define CHECK_FUNCTION_NAME "auth_require_session"

static planner_hook_type prev_planner = NULL;
static ExecutorStart_hook_type prev_executor_start = NULL;
static ExecutorRun_hook_type prev_executor_run = NULL;
static ExecutorFinish_hook_type prev_executor_finish = NULL;

/* > 0 while a statement runs statements of its own, or we run the check. */
static int	nesting_depth = 0;

/* Claims this transaction has passed the check with (TopTransactionContext). */
static char *passed_claims = NULL;

typedef enum check_function_state
{
	CHECK_FUNCTION_UNKNOWN,		/* not looked up since pg_proc last changed */
	CHECK_FUNCTION_FOUND,
	CHECK_FUNCTION_ABSENT		/* jcv_logout is not installed here */
} check_function_state;

static check_function_state function_state = CHECK_FUNCTION_UNKNOWN;
static FmgrInfo check_function;
static Oid	check_function_owner;
static bool check_function_is_ours;	/* C body as installed, may run inline */

/* Holds check_function's cache (fmgr's SECURITY DEFINER state). */
static MemoryContext check_function_context = NULL;

/* Any change to pg_proc: look the function up again before the next check. */
static void
forget_check_function(Datum arg pg_attribute_unused(), int cacheid pg_attribute_unused(),
					  uint32 hashvalue pg_attribute_unused())
{
	function_state = CHECK_FUNCTION_UNKNOWN;
}

static void
forget_passed_claims(XactEvent event, void *arg pg_attribute_unused())
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE)
		passed_claims = NULL;
}

/*
 * Whether a pg_proc row is auth_require_session() as the extension script
 * creates it: our C symbol, SECURITY DEFINER, no setting but search_path.
 */
static bool
is_installed_check_function(HeapTuple tuple)
{
	Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tuple);
	bool		isnull;
	Datum		value;
	char	   *symbol;
	Datum	   *settings;
	int			count;

	if (proc->prolang != ClanguageId || !proc->prosecdef)
		return false;
	value = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);
	symbol = isnull ? NULL : TextDatumGetCString(value);
	if (symbol == NULL || strcmp(symbol, CHECK_FUNCTION_NAME) != 0)
		return false;
	value = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_proconfig, &isnull);
	if (isnull)
		return true;
	deconstruct_array(DatumGetArrayTypeP(value), TEXTOID, -1, false, TYPALIGN_INT,
					  &settings, NULL, &count);
	for (int i = 0; i < count; i++)
		if (strncmp(TextDatumGetCString(settings[i]), "search_path=", strlen("search_path=")) != 0)
			return false;
	return true;
}

/* auth_require_session() of the jcv_logout installed in this database. */
static Oid
find_check_function(void)
{
	Oid			extension = get_extension_oid("jcv_logout", true);
	Oid			found = InvalidOid;
	CatCList   *candidates;

	if (!OidIsValid(extension))
		return InvalidOid;
	candidates = SearchSysCacheList1(PROCNAMEARGSNSP,
									 CStringGetDatum(CHECK_FUNCTION_NAME));
	for (int i = 0; i < candidates->n_members; i++)
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(&candidates->members[i]->tuple);

		if (proc->pronargs == 0 &&
			getExtensionOfObject(ProcedureRelationId, proc->oid) == extension)
			found = proc->oid;
	}
	ReleaseSysCacheList(candidates);
	return found;
}

static void
load_check_function(void)
{
	Oid			function = find_check_function();
	HeapTuple	tuple;

	MemoryContextReset(check_function_context);
	function_state = CHECK_FUNCTION_ABSENT;
	if (!OidIsValid(function))
		return;
	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(function));
	if (!HeapTupleIsValid(tuple))
		return;
	check_function_owner = ((Form_pg_proc) GETSTRUCT(tuple))->proowner;
	check_function_is_ours = is_installed_check_function(tuple);
	ReleaseSysCache(tuple);
	fmgr_info_cxt(function, &check_function, check_function_context);
	function_state = CHECK_FUNCTION_FOUND;
}

/* The function's body, here, as its owner; false if it needs SPI. */
static bool
check_inline(const char *claims)
{
	Oid			saved_user;
	int			saved_security;
	bool		checked;

	GetUserIdAndSecContext(&saved_user, &saved_security);
	SetUserIdAndSecContext(check_function_owner,
						   saved_security | SECURITY_LOCAL_USERID_CHANGE);
	/* an error is raised with the owner's id set: the abort restores it */
	checked = jcv_require_claims_session(claims, false);
	SetUserIdAndSecContext(saved_user, saved_security);
	return checked;
}

static void
check_request_session(const char *claims)
{
	if (function_state == CHECK_FUNCTION_UNKNOWN)
		load_check_function();
	if (function_state == CHECK_FUNCTION_ABSENT)
		return;

	if (!check_function_is_ours || !check_inline(claims))
	{
		/* The check's own statements (through SPI) are not requests. */
		nesting_depth++;
		PG_TRY();
		{
			FunctionCall0Coll(&check_function, InvalidOid);
		}
		PG_FINALLY();
		{
			nesting_depth--;
		}
		PG_END_TRY();
	}
	passed_claims = MemoryContextStrdup(TopTransactionContext, claims);
}

/* At the start of a top-level statement's planning and execution. */
static void
check_if_request(void)
{
	if (jcv_require_session && nesting_depth == 0 && !IsParallelWorker() &&
		ActiveSnapshotSet())
	{
		const char *claims = GetConfigOption("request.jwt.claims", true, false);

		if (claims != NULL && claims[0] != '\0' &&
			(passed_claims == NULL || strcmp(passed_claims, claims) != 0))
			check_request_session(claims);
	}
}

/* Planning may run stable functions already: check before it. */
static PlannedStmt *
require_session_planner(Query *parse, const char *query_string, int cursor_options,
						ParamListInfo bound_params)
{
	check_if_request();
	if (prev_planner)
		return prev_planner(parse, query_string, cursor_options, bound_params);
	return standard_planner(parse, query_string, cursor_options, bound_params);
}

/* A cached plan is not planned again: check here too (once per transaction). */
static void
require_session_executor_start(QueryDesc *query, int eflags)
{
	check_if_request();
	if (prev_executor_start)
		prev_executor_start(query, eflags);
	else
		standard_ExecutorStart(query, eflags);
}

static void
nesting_executor_run(QueryDesc *query, ScanDirection direction, uint64 count,
					 bool execute_once)
{
	nesting_depth++;
	PG_TRY();
	{
		if (prev_executor_run)
			prev_executor_run(query, direction, count, execute_once);
		else
			standard_ExecutorRun(query, direction, count, execute_once);
	}
	PG_FINALLY();
	{
		nesting_depth--;
	}
	PG_END_TRY();
}

static void
nesting_executor_finish(QueryDesc *query)
{
	nesting_depth++;
	PG_TRY();
	{
		if (prev_executor_finish)
			prev_executor_finish(query);
		else
			standard_ExecutorFinish(query);
	}
	PG_FINALLY();
	{
		nesting_depth--;
	}
	PG_END_TRY();
}

void
jcv_install_require_session_hook(void)
{
	check_function_context = AllocSetContextCreate(TopMemoryContext,
												   "jcv_logout require_session",
												   ALLOCSET_SMALL_SIZES);
	CacheRegisterSyscacheCallback(PROCOID, forget_check_function, (Datum) 0);
	RegisterXactCallback(forget_passed_claims, NULL);

	prev_planner = planner_hook;
	planner_hook = require_session_planner;
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = require_session_executor_start;
	prev_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = nesting_executor_run;
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = nesting_executor_finish;
}
