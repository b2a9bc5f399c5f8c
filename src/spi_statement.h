/*
 * spi_statement.h
 *	  Saved SPI statements: planned once per backend, run with typed
 *	  arguments, their errors raised in the contract's codes.
 */
#ifndef JCV_SPI_STATEMENT_H
#define JCV_SPI_STATEMENT_H

#include "postgres.h"

#include "executor/spi.h"

#define SAVED_STATEMENT_MAX_ARGS 7

/*
 * One prepared, saved statement, planned on first use in a backend. It runs
 * as the owner of auth.<table> (Supabase Auth's tables belong to
 * supabase_auth_admin, not a superuser) in a security-restricted operation,
 * as PostgreSQL's VACUUM and REFRESH MATERIALIZED VIEW do: the triggers,
 * defaults, rules, policies and index expressions that owner controls never
 * run with more rights than it has.
 */
typedef struct saved_statement
{
	const char *table;			/* in schema auth; NULL: run as the caller (DDL) */
	const char *sql;
	int			nargs;
	Oid			argtypes[SAVED_STATEMENT_MAX_ARGS];
	SPIPlanPtr	plan;
} saved_statement;

/*
 * Runs a saved statement inside the caller's SPI connection; returns
 * SPI_processed, the rows in SPI_tuptable. A schema that is not Supabase
 * Auth's raises SUPABASE_ERROR; any other failure LOGOUT_ERROR when writing
 * and SUPABASE_ERROR when only reading (read_only), lock and statement
 * timeouts and cancels included: the statement has changed nothing then.
 */
extern uint64 run_statement(saved_statement *stmt, Datum *values, bool read_only);

/* As run_statement, with SPI's nulls array ('n' marks a NULL argument). */
extern uint64 run_statement_with_nulls(saved_statement *stmt, Datum *values,
									   const char *nulls, bool read_only);

/*
 * As run_statement_with_nulls, as owner (InvalidOid: as the caller), for
 * the statements on the extension's own table.
 */
extern uint64 run_statement_as(saved_statement *stmt, Oid owner, Datum *values,
							   const char *nulls, bool read_only);

/*
 * Raises a caught error of reading or writing the auth schema as
 * run_statement does (for other readers of the auth tables).
 */
extern void raise_store_error(ErrorData *edata, bool read_only) pg_attribute_noreturn();

/* SPI_connect, raising an error without the statement (it may hold a token). */
extern void jcv_spi_connect(void);

/*
 * The owner of auth.<table>; raises SUPABASE_ERROR when there is no such
 * relation.
 */
extern Oid	jcv_auth_table_owner(const char *table);

/* A uuid argument from its (already validated) text form. */
extern Datum uuid_datum(const char *text_form);

#endif							/* JCV_SPI_STATEMENT_H */
