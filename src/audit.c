/*
 * audit.c
 *	  Writes GoTrue-style "logout" rows to auth.audit_log_entries, for a
 *	  user's own logout and, with a traits member naming it, an admin action.
 *	  Callers check jcv_logout.audit and hold an SPI connection.
 *
 *	  The payload is built here as GoTrue's NewAuditLogEntry builds its map
 *	  (internal/models/audit_log_entry.go) and written as json.Marshal
 *	  writes it (src/go_json.c); the column is json, which keeps the text as
 *	  it is given, so the rows read byte for byte as Supabase Auth's.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/uuid.h"

#include "audit.h"
#include "go_json.h"
#include "spi_statement.h"

#define LOGOUT_ACTION "logout"
#define LOGOUT_LOG_TYPE "account"	/* ActionLogTypeMap[LogoutAction] */
#define FULL_NAME_KEY "full_name"

#define INSERT_ENTRY_COLUMNS \
	"INSERT INTO auth.audit_log_entries (instance_id, id, payload, created_at, ip_address)"
/* GoTrue's instance_id, a v4 id, the payload, pop's now, logout's "" */
#define ENTRY_VALUES(payload_sql) \
	"'00000000-0000-0000-0000-000000000000', pg_catalog.gen_random_uuid(), " \
	payload_sql ", pg_catalog.now(), ''"

static saved_statement insert_entry = {
	.table = "audit_log_entries",
	.sql = INSERT_ENTRY_COLUMNS " VALUES (" ENTRY_VALUES("$1") ")",
	.nargs = 1,
	.argtypes = {JSONOID}
};

static saved_statement insert_entries = {
	.table = "audit_log_entries",
	.sql = INSERT_ENTRY_COLUMNS " SELECT " ENTRY_VALUES("p")
	" FROM pg_catalog.unnest($1) AS p",
	.nargs = 1,
	.argtypes = {JSONARRAYOID}
};

static saved_statement select_actor = {
	.table = "users",
	.sql = "SELECT " JCV_AUDIT_ACTOR_COLUMNS " FROM auth.users u WHERE u.id = $1",
	.nargs = 1,
	.argtypes = {UUIDOID}
};

static saved_statement select_actors = {
	.table = "users",
	.sql = "SELECT " JCV_AUDIT_ACTOR_COLUMNS " FROM auth.users u"
	" WHERE u.id OPERATOR(pg_catalog.=) ANY ($1)",
	.nargs = 1,
	.argtypes = {UUIDARRAYOID}
};

void
jcv_audit_actor_from_row(HeapTuple row, TupleDesc desc, int first_column,
						 jcv_audit_actor *actor)
{
	bool		isnull;
	Datum		value;

	value = SPI_getbinval(row, desc, first_column, &isnull);
	actor->id = datumCopy(value, false, UUID_LEN);
	value = SPI_getbinval(row, desc, first_column + 1, &isnull);
	actor->username = isnull ? pstrdup("") : TextDatumGetCString(value);
	value = SPI_getbinval(row, desc, first_column + 2, &isnull);
	actor->via_sso = !isnull && DatumGetBool(value);
	value = SPI_getbinval(row, desc, first_column + 3, &isnull);
	actor->user_metadata = isnull ? NULL : DatumGetJsonbPCopy(value);
}

static void
append_key(StringInfo out, const char *key)
{
	jcv_go_json_string(out, key, strlen(key));
	appendStringInfoChar(out, ':');
}

static void
append_string_member(StringInfo out, const char *key, const char *value)
{
	append_key(out, key);
	jcv_go_json_string(out, value, strlen(value));
}

/*
 * GoTrue's payload map, members in json.Marshal's (sorted) order; actor_name
 * whenever user_metadata has full_name, whatever its value (GoTrue copies
 * it as it is); traits only for admin actions. Returns it as json text.
 */
static Datum
payload_text(const jcv_audit_actor *actor, const char *admin_action, const char *role)
{
	StringInfoData out;
	JsonbValue	full_name;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	append_string_member(&out, "action", LOGOUT_ACTION);
	appendStringInfoChar(&out, ',');
	append_string_member(&out, "actor_id",
						 DatumGetCString(DirectFunctionCall1(uuid_out, actor->id)));
	/* a user_metadata that is no object makes GoTrue fail to read the user */
	if (actor->user_metadata != NULL && JB_ROOT_IS_OBJECT(actor->user_metadata) &&
		getKeyJsonValueFromContainer(&actor->user_metadata->root, FULL_NAME_KEY,
									 strlen(FULL_NAME_KEY), &full_name) != NULL)
	{
		appendStringInfoChar(&out, ',');
		append_key(&out, "actor_name");
		jcv_go_json_value(&out, &full_name);
	}
	appendStringInfoChar(&out, ',');
	append_string_member(&out, "actor_username", actor->username);
	appendStringInfoChar(&out, ',');
	append_key(&out, "actor_via_sso");
	appendStringInfoString(&out, actor->via_sso ? "true" : "false");
	appendStringInfoChar(&out, ',');
	append_string_member(&out, "log_type", LOGOUT_LOG_TYPE);
	if (admin_action != NULL)
	{
		appendStringInfoChar(&out, ',');
		append_key(&out, "traits");
		appendStringInfoChar(&out, '{');
		append_string_member(&out, "by", role);
		appendStringInfoChar(&out, ',');
		append_string_member(&out, "jcv_logout_action", admin_action);
		appendStringInfoChar(&out, '}');
	}
	appendStringInfoChar(&out, '}');
	/* json's binary form is its text: given as a parameter, kept as it is */
	return PointerGetDatum(cstring_to_text_with_len(out.data, out.len));
}

void
jcv_audit_logout(const jcv_audit_actor *actor)
{
	Datum		payload = payload_text(actor, NULL, NULL);

	run_statement(&insert_entry, &payload, false);
}

void
jcv_audit_admin_logout(Datum user_id, const char *admin_action)
{
	jcv_audit_actor actor;
	Datum		payload;

	if (run_statement(&select_actor, &user_id, false) == 0)
		return;
	jcv_audit_actor_from_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &actor);
	payload = payload_text(&actor, admin_action, jcv_calling_role());
	run_statement(&insert_entry, &payload, false);
}

void
jcv_audit_admin_logout_users(Datum user_ids, const char *admin_action, const char *role)
{
	uint64		count = run_statement(&select_actors, &user_ids, false);
	Datum	   *payloads;
	Datum		array;

	if (count == 0)
		return;
	payloads = palloc(count * sizeof(Datum));
	for (uint64 i = 0; i < count; i++)
	{
		jcv_audit_actor actor;

		CHECK_FOR_INTERRUPTS();
		jcv_audit_actor_from_row(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &actor);
		payloads[i] = payload_text(&actor, admin_action, role);
	}
	array = PointerGetDatum(construct_array(payloads, (int) count, JSONOID, -1, false,
											TYPALIGN_INT));
	run_statement(&insert_entries, &array, false);
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
