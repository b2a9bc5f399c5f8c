/*
 * errors.c
 *	  Raises UNAUTHORIZED / LOGOUT_ERROR / SUPABASE_ERROR in the form the
 *	  caller can read: PostgREST's custom-error protocol (SQLSTATE PGRST, JSON
 *	  message and detail) inside a request, "CODE: message" elsewhere.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/guc.h"
#include "utils/json.h"

#include "errors.h"
#include "settings.h"

#define POSTGREST_SQLSTATE MAKE_SQLSTATE('P','G','R','S','T')
#define INVALID_TOKEN_CHALLENGE "Bearer error=\"invalid_token\""

typedef struct error_kind_info
{
	const char *code;			/* the contract's error code */
	int			http_status;
	int			plain_sqlstate;
} error_kind_info;

static const error_kind_info error_kinds[] = {
	[JCV_UNAUTHORIZED] = {"UNAUTHORIZED", 401, MAKE_SQLSTATE('P', 'T', '4', '0', '1')},
	[JCV_BAD_REQUEST] = {"LOGOUT_ERROR", 400, MAKE_SQLSTATE('P', 'T', '4', '0', '0')},
	[JCV_LOGOUT_FAILED] = {"LOGOUT_ERROR", 500, MAKE_SQLSTATE('P', 'T', '5', '0', '0')},
	[JCV_AUTH_STORE_FAILED] = {"SUPABASE_ERROR", 500, MAKE_SQLSTATE('P', 'T', '5', '0', '3')},
	/* plain: the SQLSTATE of the conflict itself (jcv_raise_retry) */
	[JCV_RETRY] = {"LOGOUT_RETRY", 503, ERRCODE_T_R_SERIALIZATION_FAILURE},
};

/* What a LOGOUT_RETRY answer tells an HTTP client to wait, in seconds. */
#define RETRY_AFTER_SECONDS "1"

/* PostgREST sets request.method for every request it serves. */
static bool
in_postgrest_request(void)
{
	const char *method;

	switch ((jcv_error_format) jcv_error_format_setting)
	{
		case JCV_ERROR_FORMAT_POSTGREST:
			return true;
		case JCV_ERROR_FORMAT_PLAIN:
			return false;
		case JCV_ERROR_FORMAT_AUTO:
			break;
	}
	method = GetConfigOption("request.method", true, false);
	return method != NULL && method[0] != '\0';
}

static void
append_json_string_or_null(StringInfo buf, const char *value)
{
	if (value == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, value);
}

/*
 * The statement is never logged with the error (errhidestmt): it may hold
 * the token as a literal, as in SELECT auth_logout('eyJ...').
 */
static void
raise_error(jcv_error_kind kind, int plain_sqlstate, const char *message, const char *hint,
			const char *log_detail)
{
	const error_kind_info *info = &error_kinds[kind];
	StringInfoData body;
	StringInfoData response;

	if (!in_postgrest_request())
		ereport(ERROR,
				(errcode(plain_sqlstate),
				 errmsg("%s: %s", info->code, message),
				 hint ? errhint("%s", hint) : 0,
				 log_detail ? errdetail_log("%s", log_detail) : 0,
				 errhidestmt(true)));

	initStringInfo(&body);
	appendStringInfoString(&body, "{\"code\":");
	escape_json(&body, info->code);
	appendStringInfoString(&body, ",\"message\":");
	escape_json(&body, message);
	appendStringInfoString(&body, ",\"details\":null,\"hint\":");
	append_json_string_or_null(&body, hint);
	appendStringInfoChar(&body, '}');

	initStringInfo(&response);
	appendStringInfo(&response, "{\"status\":%d,\"headers\":{", info->http_status);
	if (kind == JCV_UNAUTHORIZED)
	{
		escape_json(&response, "WWW-Authenticate");
		appendStringInfoChar(&response, ':');
		escape_json(&response, INVALID_TOKEN_CHALLENGE);
	}
	else if (kind == JCV_RETRY)
	{
		escape_json(&response, "Retry-After");
		appendStringInfoChar(&response, ':');
		escape_json(&response, RETRY_AFTER_SECONDS);
	}
	appendStringInfoString(&response, "}}");

	ereport(ERROR,
			(errcode(POSTGREST_SQLSTATE),
			 errmsg("%s", body.data),
			 errdetail("%s", response.data),
			 log_detail ? errdetail_log("%s", log_detail) : 0,
			 errhidestmt(true)));
}

void
jcv_raise(jcv_error_kind kind, const char *message, const char *hint,
		  const char *log_detail)
{
	raise_error(kind, error_kinds[kind].plain_sqlstate, message, hint, log_detail);
	pg_unreachable();
}

void
jcv_raise_retry(int sqlstate, const char *log_detail)
{
	raise_error(JCV_RETRY, sqlstate,
				"logout lost a lock conflict with a concurrent transaction, nothing was changed",
				"Run the transaction again.", log_detail);
	pg_unreachable();
}
