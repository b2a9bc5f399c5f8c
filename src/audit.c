/*
 * audit.c
 *	  Writes GoTrue-style "logout" rows to auth.audit_log_entries, for a
 *	  user's own logout and, with a traits member naming it, an admin action.
 *	  Callers check jcv_logout.audit and hold an SPI connection.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "audit.h"
#include "spi_statement.h"

static saved_statement insert_logout_entry = {
	.table = "audit_log_entries",
	.sql = JCV_AUDIT_INSERT_SQL(JCV_AUDIT_PAYLOAD_SQL(""), "u.id = $1"),
	.nargs = 1,
	.argtypes = {UUIDOID}
};

static saved_statement insert_admin_logout_entry = {
	.table = "audit_log_entries",
	.sql = JCV_AUDIT_INSERT_SQL(JCV_AUDIT_PAYLOAD_SQL(JCV_AUDIT_TRAITS_SQL("$2", "$3")),
								"u.id = $1"),
	.nargs = 3,
	.argtypes = {UUIDOID, TEXTOID, TEXTOID}
};

void
jcv_audit_logout(Datum user_id)
{
	Datum		args[1] = {user_id};

	run_statement(&insert_logout_entry, args, false);
}

void
jcv_audit_admin_logout(Datum user_id, const char *admin_action)
{
	Datum		args[3] = {user_id, CStringGetTextDatum(admin_action),
	CStringGetTextDatum(jcv_calling_role())};

	run_statement(&insert_admin_logout_entry, args, false);
}

/*
 * SECURITY DEFINER makes current_user the extension's owner; the outer user
 * is the role that called (after SET ROLE, e.g. PostgREST's service_role).
 */
char *
jcv_calling_role(void)
{
	return GetUserNameFromId(GetOuterUserId(), false);
}
