/*
 * settings.c
 *	  Module entry: defines the jcv_logout.* GUCs and turns them into the
 *	  keyring and claim policy the token verifier uses.
 *
 * Keys are built once per change of a setting and kept for the backend's
 * life: the JWKS is parsed by its check hook (so a bad set is refused when it
 * is set) into a small cache keyed by the setting's text, and the HMAC key
 * is rebuilt only when the secret changes.
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
#include "require_session_hook.h"
#include "settings.h"

PG_MODULE_MAGIC;

#define DEFAULT_AUDIENCE "authenticated"
#define DEFAULT_AUTH_ADMIN_ROLE "supabase_auth_admin"
#define DEFAULT_MAX_TOKEN_BYTES 8192
#define MIN_MAX_TOKEN_BYTES 64
#define MAX_MAX_TOKEN_BYTES (1024 * 1024)
#define SUPABASE_SECRET_SETTING "app.settings.jwt_secret"
#define JWKS_ERROR_SIZE 512

/*
 * Parsed sets kept: the current value plus a few that SET LOCAL, RESET or
 * a rollback may bring back. Older ones are freed, so any number of SETs
 * costs bounded memory; a set evicted and later restored is parsed again.
 */
#define JWKS_CACHE_SIZE 4

typedef struct jwks_cache_entry
{
	char	   *text;			/* malloc'ed copy of the setting */
	jcv_jwks   *set;
} jwks_cache_entry;

/* Most recently used first; unused slots have text == NULL. */
static jwks_cache_entry jwks_cache[JWKS_CACHE_SIZE];

/* The set for the current value, valid while current_jwks_valid. */
static jcv_jwks *current_jwks = NULL;
static bool current_jwks_valid = false;

/* jwt_secret (or app.settings.jwt_secret) as an HMAC key, rebuilt on change. */
static jcv_key *secret_key = NULL;
#define SECRET_SETTING "jcv_logout.jwt_secret"

/* GUC variables */
static char *jwt_secret = NULL;
static char *jwks_text = NULL;
static char *audience = NULL;
static char *issuer = NULL;
static int	leeway_seconds = 0;
static int	max_token_bytes = DEFAULT_MAX_TOKEN_BYTES;
bool		jcv_audit = true;
int			jcv_session_timebox = 0;
int			jcv_idle_timeout = 0;
char	   *jcv_auth_admin_role = NULL;
int			jcv_error_format_setting = JCV_ERROR_FORMAT_AUTO;
bool		jcv_require_session = false;

static const struct config_enum_entry error_format_options[] = {
	{"auto", JCV_ERROR_FORMAT_AUTO, false},
	{"postgrest", JCV_ERROR_FORMAT_POSTGREST, false},
	{"plain", JCV_ERROR_FORMAT_PLAIN, false},
	{NULL, 0, false}
};

void		_PG_init(void);

static bool check_jwks(char **newval, void **extra, GucSource source);
static void assign_jwks(const char *newval, void *extra);
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
	DefineCustomStringVariable("jcv_logout.jwks",
							   "JSON Web Key Set whose keys verify access tokens (RS*, PS*, ES256, ES384, EdDSA, HS*).",
							   "As Supabase Auth publishes it at /auth/v1/.well-known/jwks.json. Checked when set.",
							   &jwks_text, "", PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   check_jwks, assign_jwks, NULL);
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
	DefineCustomIntVariable("jcv_logout.idle_timeout",
							"Longest a session may stay unrefreshed (from refreshed_at); 0 disables the limit.",
							NULL, &jcv_idle_timeout, 0, 0, INT_MAX, PGC_SUSET,
							GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomStringVariable("jcv_logout.auth_admin_role",
							   "Role Supabase Auth connects as; its password changes keep the current session.",
							   "The logout trigger leaves password changes made with this session_user to Supabase Auth, which ends the other sessions itself. Empty: every password change ends all sessions.",
							   &jcv_auth_admin_role, DEFAULT_AUTH_ADMIN_ROLE, PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("jcv_logout.require_session",
							 "Refuse each PostgREST request whose session has ended, without db-pre-request.",
							 "Runs auth_require_session() at the first statement of each request. Needs the library preloaded.",
							 &jcv_require_session, false, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomEnumVariable("jcv_logout.error_format",
							 "How errors are raised: auto (PostgREST form inside a PostgREST request), postgrest or plain.",
							 NULL, &jcv_error_format_setting, JCV_ERROR_FORMAT_AUTO,
							 error_format_options, PGC_USERSET, 0,
							 NULL, NULL, NULL);

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("jcv_logout");
#else
	EmitWarningsOnPlaceholders("jcv_logout");
#endif

	jcv_install_require_session_hook();
}

/* The GUC record of a string variable or placeholder, for its source. */
static struct config_string *
find_string_placeholder(const char *name)
{
#if PG_VERSION_NUM >= 160000
	struct config_generic *variable = find_option(name, false, true, DEBUG1);

	if (variable != NULL && variable->vartype == PGC_STRING)
		return (struct config_string *) variable;
#else
	struct config_generic **variables = get_guc_variables();
	int			count = GetNumConfigOptions();

	for (int i = 0; i < count; i++)
	{
		if (variables[i]->vartype == PGC_STRING &&
			pg_strcasecmp(variables[i]->name, name) == 0)
			return (struct config_string *) variables[i];
	}
#endif
	return NULL;
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
	/* Placeholders are never freed, so the pointer stays valid once found. */
	static struct config_string *placeholder = NULL;

	if (placeholder == NULL)
		placeholder = find_string_placeholder(SUPABASE_SECRET_SETTING);
	if (placeholder == NULL)
		return NULL;

	if (placeholder->gen.source <= PGC_S_DATABASE)
		return *placeholder->variable;
	if (placeholder->gen.reset_source <= PGC_S_DATABASE)
		return placeholder->reset_val;
	return NULL;
}

static jwks_cache_entry *
jwks_cache_lookup(const char *text)
{
	for (int i = 0; i < JWKS_CACHE_SIZE && jwks_cache[i].text != NULL; i++)
	{
		if (strcmp(jwks_cache[i].text, text) == 0)
		{
			jwks_cache_entry found = jwks_cache[i];

			/* Move to the front: the least recently used is evicted first. */
			memmove(&jwks_cache[1], &jwks_cache[0], i * sizeof(jwks_cache_entry));
			jwks_cache[0] = found;
			return &jwks_cache[0];
		}
	}
	return NULL;
}

/* Takes ownership of text and set; frees the least recently used entry. */
static void
jwks_cache_insert(char *text, jcv_jwks *set)
{
	jwks_cache_entry *last = &jwks_cache[JWKS_CACHE_SIZE - 1];

	if (last->text != NULL)
	{
		if (last->set == current_jwks)
			current_jwks_valid = false;
		jcv_jwks_free(last->set);
		free(last->text);
	}
	memmove(&jwks_cache[1], &jwks_cache[0], (JWKS_CACHE_SIZE - 1) * sizeof(jwks_cache_entry));
	jwks_cache[0].text = text;
	jwks_cache[0].set = set;
}

/*
 * The parsed set for text, parsing it when not cached. Returns false with
 * error filled when the set is invalid (nothing is cached then).
 */
static bool
jwks_for_text(const char *text, jcv_jwks **set, char *error, size_t error_size)
{
	jwks_cache_entry *entry = jwks_cache_lookup(text);
	char	   *copy;

	if (entry != NULL)
	{
		*set = entry->set;
		return true;
	}
	*set = jcv_jwks_parse(text, error, error_size);
	if (*set == NULL)
		return false;
	copy = strdup(text);
	if (copy == NULL)
	{
		jcv_jwks_free(*set);
		snprintf(error, error_size, "out of memory");
		return false;
	}
	jwks_cache_insert(copy, *set);
	return true;
}

/*
 * Refuses an unusable set when it is set (SET, ALTER DATABASE/ROLE/SYSTEM,
 * a configuration reload), naming the bad key. The message never repeats
 * the value: an oct key in it is a secret.
 */
static bool
check_jwks(char **newval, void **extra pg_attribute_unused(),
		   GucSource source pg_attribute_unused())
{
	char		error[JWKS_ERROR_SIZE];
	jcv_jwks   *set;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (jwks_for_text(*newval, &set, error, sizeof(error)))
		return true;
	GUC_check_errmsg("jcv_logout.jwks is not a usable JSON Web Key Set");
	GUC_check_errdetail("%s.", error);
	GUC_check_errhint("Use the public keys as Supabase Auth publishes them at /auth/v1/.well-known/jwks.json.");
	return false;
}

/* Also runs when a stacked value comes back; the set is found on next use. */
static void
assign_jwks(const char *newval pg_attribute_unused(), void *extra pg_attribute_unused())
{
	current_jwks_valid = false;
}

static const jcv_jwks *
configured_jwks(void)
{
	char		error[JWKS_ERROR_SIZE];

	if (jwks_text == NULL || jwks_text[0] == '\0')
		return NULL;
	if (!current_jwks_valid)
	{
		/* Every value passed check_jwks; failing here means it stopped parsing. */
		if (!jwks_for_text(jwks_text, &current_jwks, error, sizeof(error)))
			jcv_raise(JCV_AUTH_STORE_FAILED, "jcv_logout.jwks is not a usable JSON Web Key Set",
					  NULL, error);
		current_jwks_valid = true;
	}
	return current_jwks;
}

/* The HMAC key for the secret in force, rebuilt only when the secret changes. */
static jcv_key *
configured_secret(void)
{
	const char *secret = jwt_secret;
	size_t		secret_len;

	if (secret == NULL || secret[0] == '\0')
		secret = trusted_supabase_secret();
	secret_len = secret ? strlen(secret) : 0;

	if (secret_key != NULL &&
		(secret_len == 0 ||
		 !jcv_hmac_key_matches(secret_key, (const unsigned char *) secret, secret_len)))
	{
		jcv_key_free(secret_key);
		secret_key = NULL;
	}
	if (secret_key == NULL && secret_len > 0)
	{
		secret_key = jcv_hmac_key_new((const unsigned char *) secret, secret_len);
		if (secret_key == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	return secret_key;
}

void
jcv_load_keyring(jcv_keyring *keys)
{
	keys->secret = configured_secret();
	keys->jwks = configured_jwks();

	if (jcv_keyring_is_empty(keys))
		jcv_raise(JCV_AUTH_STORE_FAILED, "no JWT key is configured",
				  "Set jcv_logout.jwks or jcv_logout.jwt_secret (or app.settings.jwt_secret with ALTER DATABASE).",
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
