/*
 * spi_statement.c
 *	  Runs the extension's saved SPI statements against Supabase Auth's
 *	  tables and turns their errors into the contract's three codes.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "compat.h"
#include "errors.h"
#include "spi_statement.h"

#define AUTH_SCHEMA "auth"
#define AUTH_SCHEMA_MISSING "the auth schema is missing or is not Supabase Auth's"
#define AUTH_SCHEMA_HINT "Install Supabase Auth (GoTrue) and run its migrations in this database."

/* The identity a statement runs under, and what to go back to. */
typedef struct owner_scope
{
	Oid			saved_user;
	int			saved_security;
	int			guc_level;
} owner_scope;

/*
 * Errors that mean GoTrue's schema is absent or not the shape we expect are
 * the auth store's fault (SUPABASE_ERROR); anything else is a logout failure
 * when the statement writes, and the store's when it only reads (a
 * statement_timeout too). A lost lock conflict (serialization failure,
 * deadlock, lock_timeout) is LOGOUT_RETRY: the statement has changed
 * nothing and the transaction may succeed when run again. The original
 * message goes to the server log only.
 */
void
raise_store_error(ErrorData *edata, bool read_only)
{
	switch (edata->sqlerrcode)
	{
		case ERRCODE_INVALID_SCHEMA_NAME:
		case ERRCODE_UNDEFINED_TABLE:
		case ERRCODE_UNDEFINED_COLUMN:
		case ERRCODE_UNDEFINED_FUNCTION:
		case ERRCODE_UNDEFINED_OBJECT:
		case ERRCODE_DATATYPE_MISMATCH:
		case ERRCODE_WRONG_OBJECT_TYPE:
		case ERRCODE_INSUFFICIENT_PRIVILEGE:
			jcv_raise(JCV_AUTH_STORE_FAILED, AUTH_SCHEMA_MISSING, AUTH_SCHEMA_HINT,
					  edata->message);
			break;
		case ERRCODE_T_R_SERIALIZATION_FAILURE:
		case ERRCODE_T_R_DEADLOCK_DETECTED:
		case ERRCODE_LOCK_NOT_AVAILABLE:
			jcv_raise_retry(edata->sqlerrcode, edata->message);
			break;
		default:
			if (read_only)
				jcv_raise(JCV_AUTH_STORE_FAILED, "reading the auth schema failed",
						  NULL, edata->message);
			jcv_raise(JCV_LOGOUT_FAILED, "logout failed", NULL, edata->message);
	}
}

uint64
run_statement(saved_statement *stmt, Datum *values, bool read_only)
{
	return run_statement_with_nulls(stmt, values, NULL, read_only);
}

Oid
jcv_auth_table_owner(const char *table)
{
	Oid			relid = RangeVarGetRelid(makeRangeVar(AUTH_SCHEMA, (char *) table, -1),
										 NoLock, true);
	HeapTuple	tuple;
	Oid			owner;

	if (!OidIsValid(relid))
		jcv_raise(JCV_AUTH_STORE_FAILED, AUTH_SCHEMA_MISSING, AUTH_SCHEMA_HINT,
				  psprintf("%s.%s does not exist", AUTH_SCHEMA, table));
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * Becomes owner for one statement, as VACUUM does: a security-restricted
 * operation (no SET ROLE, no temporary objects, nothing left behind), with
 * the GUC changes made inside undone at the end and a fixed search_path.
 */
static void
become_owner(Oid owner, owner_scope *scope)
{
	GetUserIdAndSecContext(&scope->saved_user, &scope->saved_security);
	SetUserIdAndSecContext(owner, scope->saved_security | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	scope->guc_level = NewGUCNestLevel();
	jcv_restrict_search_path();
}

static void
end_owner_scope(const owner_scope *scope)
{
	AtEOXact_GUC(false, scope->guc_level);
	SetUserIdAndSecContext(scope->saved_user, scope->saved_security);
}

uint64
run_statement_with_nulls(saved_statement *stmt, Datum *values, const char *nulls,
						 bool read_only)
{
	return run_statement_as(stmt, stmt->table != NULL ? jcv_auth_table_owner(stmt->table)
							: InvalidOid, values, nulls, read_only);
}

uint64
run_statement_as(saved_statement *stmt, Oid owner, Datum *values, const char *nulls,
				 bool read_only)
{
	MemoryContext caller_context = CurrentMemoryContext;
	uint64		processed = 0;
	owner_scope scope;

	if (OidIsValid(owner))
		become_owner(owner, &scope);
	PG_TRY();
	{
		int			rc;

		if (stmt->plan == NULL)
		{
			SPIPlanPtr	plan = SPI_prepare(stmt->sql, stmt->nargs, stmt->argtypes);

			if (plan == NULL)
				elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
			SPI_keepplan(plan);
			stmt->plan = plan;
		}
		rc = SPI_execute_plan(stmt->plan, values, nulls, read_only, 0);
		if (rc < 0)
			elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
		processed = SPI_processed;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		FlushErrorState();
		if (OidIsValid(owner))
			end_owner_scope(&scope);
		raise_store_error(edata, read_only);
	}
	PG_END_TRY();
	if (OidIsValid(owner))
		end_owner_scope(&scope);

	return processed;
}

void
jcv_spi_connect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		ereport(ERROR, (errmsg_internal("SPI_connect failed"), errhidestmt(true)));
}

Datum
uuid_datum(const char *text_form)
{
	return DirectFunctionCall1(uuid_in, CStringGetDatum(text_form));
}
