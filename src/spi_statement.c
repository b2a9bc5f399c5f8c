/*
 * spi_statement.c
 *	  Runs the extension's saved SPI statements against Supabase Auth's
 *	  tables and turns their errors into the contract's three codes.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/fmgrprotos.h"

#include "errors.h"
#include "spi_statement.h"

/*
 * Errors that mean GoTrue's schema is absent or not the shape we expect are
 * the auth store's fault (SUPABASE_ERROR); anything else is a logout failure
 * when the statement writes, and the store's when it only reads. That holds
 * for lock_timeout and statement_timeout too: the caller sees one of the
 * three codes and the aborted statement has deleted nothing. The original
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
			jcv_raise(JCV_AUTH_STORE_FAILED,
					  "the auth schema is missing or is not Supabase Auth's",
					  "Install Supabase Auth (GoTrue) and run its migrations in this database.",
					  edata->message);
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

uint64
run_statement_with_nulls(saved_statement *stmt, Datum *values, const char *nulls,
						 bool read_only)
{
	MemoryContext caller_context = CurrentMemoryContext;
	uint64		processed = 0;

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
		raise_store_error(edata, read_only);
	}
	PG_END_TRY();

	return processed;
}

Datum
uuid_datum(const char *text_form)
{
	return DirectFunctionCall1(uuid_in, CStringGetDatum(text_form));
}
