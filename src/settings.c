/*
 * settings.c
 *	  Module entry: defines the jcv_logout.* GUCs and turns them into the
 *	  keyring and claim policy the token verifier uses.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/timestamp.h"

#include "errors.h"
#include "settings.h"

PG_MODULE_MAGIC;

#define DEFAULT_AUDIENCE "authenticated"
#define DEFAULT_MAX_TOKEN_BYTES 8192
#define MIN_MAX_TOKEN_BYTES 64
#define MAX_MAX_TOKEN_BYTES (1024 * 1024)
#define SUPABASE_SECRET_SETTING "app.settings.jwt_secret"
#define SECRET_SETTING "jcv_logout.jwt_secret"

/* GUC variables */
static char *jwt_secret = NULL;
static char *audience = NULL;
static char *issuer = NULL;
static int	leeway_seconds = 0;
static int	max_token_bytes = DEFAULT_MAX_TOKEN_BYTES;
bool		jcv_audit = true;
int			jcv_session_timebox = 0;
int			jcv_error_format_setting = JCV_ERROR_FORMAT_AUTO;

static const struct config_enum_entry error_format_options[] = {
	{"auto", JCV_ERROR_FORMAT_AUTO, false},
	{"postgrest", JCV_ERROR_FORMAT_POSTGREST, false},
	{"plain", JCV_ERROR_FORMAT_PLAIN, false},
	{NULL, 0, false}
};

void		_PG_init(void);

/*
 * ALTER DATABASE, ALTER ROLE and a function's SET clause store a value in
 * pg_db_role_setting or pg_proc.proconfig, which every role may read; they
 * validate it with source PGC_S_TEST. Warn then: a secret belongs in
 * postgresql.conf or ALTER SYSTEM. Check hook for secret settings.
 */
static bool
warn_if_stored_in_readable_catalog(char **newval, void **extra pg_attribute_unused(),
								   GucSource source)
{
	if (source == PGC_S_TEST && *newval != NULL && (*newval)[0] != '\0')
		ereport(WARNING,
				(errmsg("this secret is being stored where every role can read it"),
				 errdetail("Settings made with ALTER DATABASE, ALTER ROLE or a function's SET clause are kept in catalogs readable by PUBLIC."),
				 errhint("Set it in postgresql.conf or with ALTER SYSTEM instead.")));
	return true;
}

/*
 * Loaded by a query rather than preloaded: until now the secret was a
 * placeholder, which PostgreSQL lets every role read with SHOW. Say so in
 * the server log (never to the client, never the value).
 */
static void
log_if_secret_was_exposed(void)
{
	const char *placeholder;

	if (process_shared_preload_libraries_in_progress || debug_query_string == NULL)
		return;
	placeholder = GetConfigOption(SECRET_SETTING, true, false);
	if (placeholder != NULL && placeholder[0] != '\0')
		ereport(LOG,
				(errmsg("jcv_logout was loaded after %s was set, which every role could read until now",
						SECRET_SETTING),
				 errhint("Add jcv_logout to shared_preload_libraries or session_preload_libraries.")));
}

void
_PG_init(void)
{
	log_if_secret_was_exposed();

	DefineCustomStringVariable(SECRET_SETTING,
							   "Secret that signs HS256/HS384/HS512 access tokens.",
							   "When empty, app.settings.jwt_secret is used if a privileged source set it.",
							   &jwt_secret, "", PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   warn_if_stored_in_readable_catalog, NULL, NULL);
	DefineCustomStringVariable("jcv_logout.audience",
							   "Audience an access token's aud claim must contain; empty disables the check.",
							   NULL, &audience, DEFAULT_AUDIENCE, PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("jcv_logout.issuer",
							   "Value an access token's iss claim must equal; empty disables the check.",
							   NULL, &issuer, "", PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("jcv_logout.leeway",
							"Clock skew allowed on exp, nbf and iat.",
							NULL, &leeway_seconds, 0, 0, INT_MAX, PGC_SUSET,
							GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("jcv_logout.max_token_bytes",
							"Largest access token accepted, checked before any parsing.",
							NULL, &max_token_bytes, DEFAULT_MAX_TOKEN_BYTES,
							MIN_MAX_TOKEN_BYTES, MAX_MAX_TOKEN_BYTES, PGC_SUSET,
							GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomBoolVariable("jcv_logout.audit",
							 "Write a Supabase Auth style row to auth.audit_log_entries for each logout.",
							 NULL, &jcv_audit, true, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("jcv_logout.session_timebox",
							"Longest a session may live from its created_at; 0 disables the limit.",
							NULL, &jcv_session_timebox, 0, 0, INT_MAX, PGC_SUSET,
							GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomEnumVariable("jcv_logout.error_format",
							 "How errors are raised: auto (PostgREST form inside a PostgREST request), postgrest or plain.",
							 NULL, &jcv_error_format_setting, JCV_ERROR_FORMAT_AUTO,
							 error_format_options, PGC_USERSET, 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("jcv_logout");
}

/*
 * app.settings.* are placeholders that any role may SET, so their value is a
 * key only when it came from a source a plain role cannot write: the server
 * configuration, ALTER SYSTEM or ALTER DATABASE (as self-hosted Supabase
 * sets it). A session-level SET falls back to that trusted default.
 */
static const char *
trusted_supabase_secret(void)
{
	static struct config_string *placeholder = NULL;

	if (placeholder == NULL)
	{
		struct config_generic **variables = get_guc_variables();
		int			count = GetNumConfigOptions();

		for (int i = 0; i < count; i++)
		{
			if (variables[i]->vartype == PGC_STRING &&
				pg_strcasecmp(variables[i]->name, SUPABASE_SECRET_SETTING) == 0)
			{
				placeholder = (struct config_string *) variables[i];
				break;
			}
		}
		if (placeholder == NULL)
			return NULL;
	}

	if (placeholder->gen.source <= PGC_S_DATABASE)
		return *placeholder->variable;
	if (placeholder->gen.reset_source <= PGC_S_DATABASE)
		return placeholder->reset_val;
	return NULL;
}

void
jcv_load_keyring(jcv_keyring *keys)
{
	const char *secret = jwt_secret;

	if (secret == NULL || secret[0] == '\0')
		secret = trusted_supabase_secret();

	keys->hmac_secret = (const unsigned char *) secret;
	keys->hmac_secret_len = secret ? strlen(secret) : 0;

	if (jcv_keyring_is_empty(keys))
		jcv_raise(JCV_AUTH_STORE_FAILED, "no JWT key is configured",
				  "Set jcv_logout.jwt_secret (or app.settings.jwt_secret with ALTER DATABASE).",
				  NULL);
}

void
jcv_load_policy(jcv_policy *policy)
{
	TimestampTz now = GetCurrentTimestamp();

	policy->audience = audience;
	policy->issuer = issuer;
	policy->now = (double) (now - SetEpochTimestamp()) / USECS_PER_SEC;
	policy->leeway = leeway_seconds;
	policy->max_token_bytes = (size_t) max_token_bytes;
}
