/*
 * settings.c
 *	  The jcv_logout.* settings, and the keyring and claim policy the token
 *	  verifier takes from them.
 *
 * Keys are built once per change and kept for the backend's life: the JWKS
 * is parsed by its check hook (a bad set is refused when it is set) into a
 * small cache keyed by the setting's text; the HMAC key is rebuilt only when
 * the secret, or the file that holds it, changes.
 *
 * Key custody: secrets live in files only (jcv_logout.jwt_secret_file,
 * jcv_logout.jwks_file, as ssl_key_file). A secret in a setting's value
 * leaks: a placeholder (library not loaded yet) is readable by every role,
 * members of pg_read_all_settings read GUC_SUPERUSER_ONLY values, ALTER
 * DATABASE / ALTER ROLE / a function's SET clause store it in catalogs every
 * role reads, and a reload logs it. So the retired jcv_logout.jwt_secret,
 * and a jcv_logout.jwks holding a symmetric key, are refused by their check
 * hooks where the library is loaded; a value that arrives without a
 * statement to refuse (the server configuration, a catalog, a placeholder
 * taken over when the library loads late) is replaced by a marker, so the
 * secret is dropped from memory and every use raises SUPABASE_ERROR naming
 * the file setting.
 */
#include "postgres.h"

#include <limits.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "miscadmin.h"
#include "tcop/pquery.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "errors.h"
#include "settings.h"

#define DEFAULT_AUDIENCE "authenticated"
#define DEFAULT_AUTH_ADMIN_ROLE "supabase_auth_admin"
#define DEFAULT_MAX_TOKEN_BYTES 8192
/* jcv_logout.session_cache, in entries of 80 bytes per backend */
#define DEFAULT_SESSION_CACHE_SIZE 8192
#define MAX_SESSION_CACHE_SIZE 1048576
#define MIN_MAX_TOKEN_BYTES 64
#define MAX_MAX_TOKEN_BYTES (1024 * 1024)
#define SUPABASE_SECRET_SETTING "app.settings.jwt_secret"
#define SECRET_SETTING "jcv_logout.jwt_secret"
#define SECRET_FILE_SETTING "jcv_logout.jwt_secret_file"
#define JWKS_SETTING "jcv_logout.jwks"
#define JWKS_FILE_SETTING "jcv_logout.jwks_file"
#define JWKS_ERROR_SIZE 512

/* A JWKS larger than this is refused unparsed (Supabase's holds a few keys, < 10 kB). */
#define MAX_JWKS_BYTES (256 * 1024)

/*
 * What a retired secret setting holds instead of the value it was given
 * (and what SHOW gives for it): never a usable key, never the secret.
 */
#define RETIRED_VALUE "********"

/* A secret file larger than this is refused unread (an HS key is 32-64 bytes). */
#define MAX_SECRET_FILE_BYTES 4096

#define SECRET_FILE_HINT "Write the secret to a file owned by the server's OS user (chmod 600), set jcv_logout.jwt_secret_file to its path and reset jcv_logout.jwt_secret."
#define RETIRED_SECRET_REFUSAL SECRET_SETTING " is retired: the secret belongs in " SECRET_FILE_SETTING
#define SYMMETRIC_JWKS_REFUSAL JWKS_SETTING " may not hold a symmetric key: it belongs in " JWKS_FILE_SETTING
#define JWKS_FILE_HINT "Keep public keys in jcv_logout.jwks; put a set with a symmetric key in a file owned by the server's OS user (chmod 600) and set jcv_logout.jwks_file to its path."

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

/* app.settings.jwt_secret as an HMAC key, rebuilt on change. */
static jcv_key *secret_key = NULL;

/*
 * A file holding keys (jcv_logout.jwt_secret_file, jcv_logout.jwks_file),
 * with the identity of the version last read: it is read again when the
 * setting or any of these changes.
 */
typedef struct key_file
{
	const char *setting;		/* for messages */
	char	  **path;			/* the setting's variable */
	const char *what;			/* what it holds, for messages to other roles */
	const char *hint;
	bool		read;			/* identity below is the version in use */
	dev_t		device;
	ino_t		inode;
	off_t		size;
	struct timespec modified;
	struct timespec changed;	/* ctime: a chmod or chown counts */
	mode_t		mode;
} key_file;

static char *jwt_secret_file = NULL;
static char *jwks_file_path = NULL;

static key_file secret_file = {
	.setting = SECRET_FILE_SETTING,
	.path = &jwt_secret_file,
	.what = "the JWT secret file",
	.hint = "It must be a regular file owned by the server's OS user, with no access for group or others (chmod 600)."
};
static key_file jwks_file = {
	.setting = JWKS_FILE_SETTING,
	.path = &jwks_file_path,
	.what = "the JSON Web Key Set file",
	.hint = "It must be a regular file owned by the server's OS user and writable by no one else; with a symmetric key, readable by no one else (chmod 600)."
};

/* What the files hold, while their key_file says read. */
static jcv_key *file_secret_key = NULL;
static jcv_jwks *file_jwks = NULL;

/*
 * While _PG_init defines the settings: a value their check hooks meet then
 * was given before the library loaded, not by the statement running now.
 */
static bool defining_settings = false;

/* Whether this process has logged that a retired value was dropped. */
static bool retired_secret_logged = false;
static bool retired_jwks_logged = false;

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
int			jcv_session_cache_size = DEFAULT_SESSION_CACHE_SIZE;

static const struct config_enum_entry error_format_options[] = {
	{"auto", JCV_ERROR_FORMAT_AUTO, false},
	{"postgrest", JCV_ERROR_FORMAT_POSTGREST, false},
	{"plain", JCV_ERROR_FORMAT_PLAIN, false},
	{NULL, 0, false}
};

/*
 * Settings only a superuser (or a role granted SET on them) may set: the
 * ones a login role must not be able to weaken from its connection options.
 */
static const char *const protected_settings[] = {
	SECRET_SETTING, SECRET_FILE_SETTING, JWKS_SETTING, JWKS_FILE_SETTING,
	"jcv_logout.audience", "jcv_logout.issuer", "jcv_logout.leeway",
	"jcv_logout.max_token_bytes", "jcv_logout.audit", "jcv_logout.session_timebox",
	"jcv_logout.idle_timeout", "jcv_logout.auth_admin_role", "jcv_logout.require_session"
};

#define PROTECTED_SETTING_COUNT lengthof(protected_settings)

static bool jwks_for_text(const char *text, jcv_jwks **set, char *error, size_t error_size,
						  bool *symmetric);
static bool check_jwks(char **newval, void **extra, GucSource source);
static const jcv_jwks *jwks_from_file(void);
static void assign_jwks(const char *newval, void *extra);

/*
 * Whether the statement running now gives the value (SET, set_config(),
 * ALTER SYSTEM, or ALTER DATABASE / ALTER ROLE / CREATE FUNCTION ... SET,
 * validated as PGC_S_TEST): only then may a check hook raise an ERROR of its
 * own, one that keeps the statement holding the secret out of the log. A
 * value applied without one (the postmaster or a backend reading the
 * configuration files, a connection applying catalog settings, _PG_init
 * taking over placeholders) must not: an ERROR there would end the process
 * or leave the library half loaded.
 */
static bool
given_by_running_statement(GucSource source)
{
	return source == PGC_S_TEST || (ActivePortal != NULL && !defining_settings);
}

/*
 * Refuses a secret in a setting's value. A statement giving one gets an
 * ERROR. A value given otherwise is wiped and replaced by RETIRED_VALUE, so
 * the secret leaves memory and each use raises SUPABASE_ERROR naming the
 * file setting; the log says so once per process, without the value (the
 * postmaster's when the library is preloaded, else each backend's that
 * loads it).
 */
static bool
retire_secret_value(char **newval, GucSource source, const char *refusal, const char *hint,
					bool *logged)
{
	char	   *marker;

	if (given_by_running_statement(source))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", refusal),
				 errdetail("Secrets live in files only: a setting's value can be read by other roles, and a reload writes it to the server log."),
				 errhint("%s", hint),
				 errhidestmt(true)));
	marker = jcv_guc_strdup(RETIRED_VALUE);
	if (marker == NULL)
	{
		GUC_check_errmsg("%s", refusal);
		return false;
	}
	explicit_bzero(*newval, strlen(*newval));
	jcv_guc_free(*newval);
	*newval = marker;
	if (!*logged && (!IsUnderPostmaster || defining_settings))
	{
		ereport(LOG,
				(errmsg("%s; its value is not used", refusal),
				 errhint("%s", hint),
				 errhidestmt(true)));
		*logged = true;
	}
	return true;
}

static bool
check_retired_secret(char **newval, void **extra pg_attribute_unused(), GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0' || strcmp(*newval, RETIRED_VALUE) == 0)
		return true;
	return retire_secret_value(newval, source, RETIRED_SECRET_REFUSAL, SECRET_FILE_HINT,
							   &retired_secret_logged);
}

/* A new path: the file is read at the next use. */
static void
assign_secret_file_path(const char *newval pg_attribute_unused(), void *extra pg_attribute_unused())
{
	secret_file.read = false;
}

static void
assign_jwks_file_path(const char *newval pg_attribute_unused(), void *extra pg_attribute_unused())
{
	jwks_file.read = false;
}

/*
 * A value the connection's options (PGOPTIONS, options=-c) gave a setting
 * before the library was loaded: PostgreSQL applies it only if the role may
 * set it, and otherwise falls back to the default, not to the value the
 * administrator chose with ALTER ROLE or ALTER DATABASE.
 */
static bool
set_by_connection_options(const char *name)
{
	struct config_generic *record = jcv_find_setting(name);

	return record != NULL && record->reset_source == PGC_S_CLIENT;
}

/*
 * Ends a connection whose options tried to change a protected setting that
 * its role may not set: carrying on would run with the default instead of
 * the administrator's value (the session check off, no issuer check...).
 */
static void
refuse_connection_option(const char *name)
{
	ereport(FATAL,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("connection options may not set %s", name),
			 errdetail("Only a superuser, or a role granted SET on it, may change it; "
					   "jcv_logout would otherwise run with its default instead of the value the administrator set."),
			 errhint("Remove it from the connection's options (PGOPTIONS, options=-c)."),
			 errhidestmt(true)));
}

static void
define_each_setting(void)
{
	DefineCustomStringVariable(SECRET_FILE_SETTING,
							   "File holding the secret that signs HS256/HS384/HS512 access tokens.",
							   "Owned by the server's OS user and readable by it alone; read when first needed and again whenever it changes.",
							   &jwt_secret_file, "", PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE,
							   NULL, assign_secret_file_path, NULL);
	DefineCustomStringVariable(SECRET_SETTING,
							   "Retired: secrets live in files only (jcv_logout.jwt_secret_file).",
							   "Any other value than empty is refused; one from the configuration files or a catalog is dropped, and logouts fail until it is reset.",
							   &jwt_secret, "", PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   check_retired_secret, NULL, NULL);
	DefineCustomStringVariable(JWKS_SETTING,
							   "Public JSON Web Key Set whose keys verify access tokens (RS*, PS*, ES256, ES384, EdDSA).",
							   "As Supabase Auth publishes it at /auth/v1/.well-known/jwks.json. Checked when set; a set with a symmetric key belongs in jcv_logout.jwks_file.",
							   &jwks_text, "", PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   check_jwks, assign_jwks, NULL);
	DefineCustomStringVariable(JWKS_FILE_SETTING,
							   "File holding the JSON Web Key Set whose keys verify access tokens.",
							   "Supabase Auth's /auth/v1/.well-known/jwks.json, deployed as a file owned by the server's OS user; read when first needed and again whenever it changes.",
							   &jwks_file_path, "", PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE,
							   NULL, assign_jwks_file_path, NULL);
	DefineCustomStringVariable("jcv_logout.audience",
							   "Audience an access token's aud claim must contain; empty disables the check.",
							   NULL, &audience, DEFAULT_AUDIENCE, PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("jcv_logout.issuer",
							   "Value an access token's iss claim must equal; empty disables the check.",
							   NULL, &issuer, "", PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("jcv_logout.leeway",
							"Clock skew allowed on exp and nbf (iat is not checked).",
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
	DefineCustomIntVariable("jcv_logout.session_cache",
							"Sessions each backend keeps once found alive, so that checking them again reads no index, and as many readings of request claims; 0 keeps none.",
							"Sessions are kept only with jcv_logout in shared_preload_libraries and the trigger auth_enable_session_cache() creates.",
							&jcv_session_cache_size, DEFAULT_SESSION_CACHE_SIZE, 0,
							MAX_SESSION_CACHE_SIZE, PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomEnumVariable("jcv_logout.error_format",
							 "How errors are raised: auto (PostgREST form inside a PostgREST request), postgrest or plain.",
							 NULL, &jcv_error_format_setting, JCV_ERROR_FORMAT_AUTO,
							 error_format_options, PGC_USERSET, 0,
							 NULL, NULL, NULL);
}

void
jcv_define_settings(void)
{
	bool		client_set[PROTECTED_SETTING_COUNT];

	for (size_t i = 0; i < PROTECTED_SETTING_COUNT; i++)
		client_set[i] = set_by_connection_options(protected_settings[i]);

	defining_settings = true;
	PG_TRY();
	{
		define_each_setting();
	}
	PG_FINALLY();
	{
		defining_settings = false;
	}
	PG_END_TRY();

	MarkGUCPrefixReserved("jcv_logout");

	for (size_t i = 0; i < PROTECTED_SETTING_COUNT; i++)
	{
		if (client_set[i] && !set_by_connection_options(protected_settings[i]))
			refuse_connection_option(protected_settings[i]);
	}
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
	{
		struct config_generic *record = jcv_find_setting(SUPABASE_SECRET_SETTING);

		if (record == NULL || record->vartype != PGC_STRING)
			return NULL;
		placeholder = (struct config_string *) record;
	}

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
 * error filled when the set is invalid, or with *symmetric set when it holds
 * a symmetric key: neither is cached.
 */
static bool
jwks_for_text(const char *text, jcv_jwks **set, char *error, size_t error_size, bool *symmetric)
{
	jwks_cache_entry *entry = jwks_cache_lookup(text);
	char	   *copy;

	*symmetric = false;
	if (entry != NULL)
	{
		*set = entry->set;
		return true;
	}
	*set = jcv_jwks_parse(text, error, error_size);
	if (*set == NULL)
		return false;
	if (jcv_jwks_has_secret_key(*set))
	{
		jcv_jwks_free(*set);
		*set = NULL;
		*symmetric = true;
		return false;
	}
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
 * a configuration reload), naming the bad key, and a set holding a
 * symmetric key (retire_secret_value). The message never repeats the
 * value.
 */
static bool
check_jwks(char **newval, void **extra pg_attribute_unused(), GucSource source)
{
	char		error[JWKS_ERROR_SIZE];
	jcv_jwks   *set;
	bool		symmetric;

	if (*newval == NULL || (*newval)[0] == '\0' || strcmp(*newval, RETIRED_VALUE) == 0)
		return true;
	if (strlen(*newval) > MAX_JWKS_BYTES)
	{
		GUC_check_errmsg("jcv_logout.jwks is larger than %d bytes", MAX_JWKS_BYTES);
		return false;
	}
	if (jwks_for_text(*newval, &set, error, sizeof(error), &symmetric))
		return true;
	if (symmetric)
		return retire_secret_value(newval, source, SYMMETRIC_JWKS_REFUSAL, JWKS_FILE_HINT,
								   &retired_jwks_logged);
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
	bool		symmetric;

	if (jwks_text != NULL && strcmp(jwks_text, RETIRED_VALUE) == 0)
		jcv_raise(JCV_AUTH_STORE_FAILED, SYMMETRIC_JWKS_REFUSAL, JWKS_FILE_HINT, NULL);
	if (jwks_file_path != NULL && jwks_file_path[0] != '\0')
	{
		if (jwks_text != NULL && jwks_text[0] != '\0')
			jcv_raise(JCV_AUTH_STORE_FAILED, "both jcv_logout.jwks and jcv_logout.jwks_file are set",
					  "Keep the key set in one of them.", NULL);
		return jwks_from_file();
	}
	if (jwks_text == NULL || jwks_text[0] == '\0')
		return NULL;
	if (!current_jwks_valid)
	{
		/* Every value passed check_jwks; failing here means it stopped parsing. */
		if (!jwks_for_text(jwks_text, &current_jwks, error, sizeof(error), &symmetric))
			jcv_raise(JCV_AUTH_STORE_FAILED, "jcv_logout.jwks is not a usable JSON Web Key Set",
					  NULL, symmetric ? "It holds a symmetric key." : error);
		current_jwks_valid = true;
	}
	return current_jwks;
}

/*
 * Refuses a key file. Whoever connected as a superuser sees the path and
 * the reason; everyone else a plain message (the log has both).
 */
static void
refuse_key_file(key_file *file, const char *reason)
{
	char	   *detail = psprintf("%s \"%s\" %s", file->setting, *file->path, reason);

	file->read = false;
	jcv_raise(JCV_AUTH_STORE_FAILED,
			  superuser_arg(GetSessionUserId()) ? detail : psprintf("%s cannot be used", file->what),
			  file->hint, detail);
}

/* One stat per use: whether the file is still the version last read. */
static bool
key_file_unchanged(key_file *file)
{
	struct stat st;

	if (stat(*file->path, &st) != 0)
		refuse_key_file(file, psprintf("cannot be read: %m"));
	return file->read && st.st_dev == file->device && st.st_ino == file->inode &&
		st.st_size == file->size &&
		st.st_mtim.tv_sec == file->modified.tv_sec &&
		st.st_mtim.tv_nsec == file->modified.tv_nsec &&
		st.st_ctim.tv_sec == file->changed.tv_sec &&
		st.st_ctim.tv_nsec == file->changed.tv_nsec;
}

/* Whether two fstat/stat results are the same version of the same file. */
static bool
same_file_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
		a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * A key file's content (palloc'ed, NUL-terminated, *length bytes; the caller
 * wipes it), checked as PostgreSQL checks ssl_key_file: a regular file the
 * server's OS user owns, no larger than max_bytes, with none of the mode
 * bits in forbidden_mode. Records the identity of what it read.
 *
 * Nothing here waits on anyone: the open does not block (O_NONBLOCK: a FIFO
 * or a device at the path is opened without waiting for a writer, then
 * refused unread), every check is made on the open descriptor, never again
 * on the path, so what is read is what was checked whatever is renamed or
 * swapped meanwhile; and a file that changes while it is read (more bytes
 * than its size said, or a different size or time afterwards) is refused,
 * never half used. Symbolic links are followed, as for ssl_key_file
 * (Kubernetes mounts its secrets through them): the checks apply to the
 * file reached, and whoever may write a directory on the way could replace
 * the file itself anyway.
 */
static char *
read_key_file(key_file *file, size_t max_bytes, mode_t forbidden_mode, size_t *length)
{
	char	   *content = palloc(max_bytes + 1);
	struct stat st;
	struct stat after;
	size_t		got = 0;
	int			fd = open(*file->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		refuse_key_file(file, psprintf("cannot be read: %m"));
	PG_TRY();
	{
		if (fstat(fd, &st) != 0)
			refuse_key_file(file, psprintf("cannot be read: %m"));
		if (!S_ISREG(st.st_mode))
			refuse_key_file(file, "is not a regular file");
		if (st.st_uid != geteuid())
			refuse_key_file(file, "is not owned by the server's OS user");
		if ((st.st_mode & forbidden_mode) != 0)
			refuse_key_file(file, (forbidden_mode & (S_IRGRP | S_IROTH)) != 0
							? "is accessible by group or others"
							: "is writable by group or others");
		if ((size_t) st.st_size > max_bytes)
			refuse_key_file(file, psprintf("is larger than %zu bytes", max_bytes));
		/* Up to one byte past the cap, which tells a file that grew. */
		while (got <= max_bytes)
		{
			ssize_t		n;

			CHECK_FOR_INTERRUPTS();
			n = read(fd, content + got, max_bytes + 1 - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				refuse_key_file(file, psprintf("cannot be read: %m"));
			if (n == 0)
				break;
			got += (size_t) n;
		}
		if (fstat(fd, &after) != 0)
			refuse_key_file(file, psprintf("cannot be read: %m"));
		if (got != (size_t) st.st_size || !same_file_version(&st, &after))
			refuse_key_file(file, "changed while it was read");
	}
	PG_CATCH();
	{
		explicit_bzero(content, max_bytes + 1);
		close(fd);
		PG_RE_THROW();
	}
	PG_END_TRY();
	close(fd);

	content[got] = '\0';
	*length = got;
	file->device = st.st_dev;
	file->inode = st.st_ino;
	file->size = st.st_size;
	file->modified = st.st_mtim;
	file->changed = st.st_ctim;
	file->mode = st.st_mode;
	return content;
}

/*
 * The key in jcv_logout.jwt_secret_file, read again whenever the file is
 * replaced, rewritten or chmod'ed: rotating the secret needs no reload.
 * Trailing newlines (echo, editors) are not part of the secret.
 */
static jcv_key *
secret_from_file(void)
{
	size_t		length;
	char	   *secret;

	if (key_file_unchanged(&secret_file))
		return file_secret_key;
	jcv_key_free(file_secret_key);
	file_secret_key = NULL;
	secret = read_key_file(&secret_file, MAX_SECRET_FILE_BYTES, S_IRWXG | S_IRWXO, &length);
	while (length > 0 && (secret[length - 1] == '\n' || secret[length - 1] == '\r'))
		length--;
	if (length > 0)
		file_secret_key = jcv_hmac_key_new((const unsigned char *) secret, length);
	explicit_bzero(secret, MAX_SECRET_FILE_BYTES + 1);
	pfree(secret);
	if (length == 0)
		refuse_key_file(&secret_file, "holds no secret");
	if (file_secret_key == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory"),
						errhidestmt(true)));
	secret_file.read = true;
	return file_secret_key;
}

/*
 * The set in jcv_logout.jwks_file, read again whenever the file changes. A
 * public set may be readable by others (never writable); one holding a
 * symmetric key, by no one else.
 */
static const jcv_jwks *
jwks_from_file(void)
{
	char		error[JWKS_ERROR_SIZE];
	size_t		length;
	char	   *text;

	if (key_file_unchanged(&jwks_file))
		return file_jwks;
	jcv_jwks_free(file_jwks);
	file_jwks = NULL;
	text = read_key_file(&jwks_file, MAX_JWKS_BYTES, S_IWGRP | S_IWOTH, &length);
	file_jwks = jcv_jwks_parse(text, error, sizeof(error));
	explicit_bzero(text, length);
	pfree(text);
	if (file_jwks == NULL)
		refuse_key_file(&jwks_file, psprintf("is not a usable JSON Web Key Set: %s", error));
	if (jcv_jwks_has_secret_key(file_jwks) && (jwks_file.mode & (S_IRWXG | S_IRWXO)) != 0)
		refuse_key_file(&jwks_file, "holds a symmetric key and is accessible by group or others");
	jwks_file.read = true;
	return file_jwks;
}

/*
 * The HMAC key in force: the secret file when set, else a trusted
 * app.settings.jwt_secret. A value left in the retired jcv_logout.jwt_secret
 * (the marker check_retired_secret put there) fails every call until it is
 * reset, whatever else is set: the secret still sits in a configuration file.
 * Rebuilt only when the secret changes.
 */
static jcv_key *
configured_secret(void)
{
	const char *secret;
	size_t		secret_len;

	if (jwt_secret != NULL && jwt_secret[0] != '\0')
		jcv_raise(JCV_AUTH_STORE_FAILED, RETIRED_SECRET_REFUSAL, SECRET_FILE_HINT, NULL);
	if (jwt_secret_file != NULL && jwt_secret_file[0] != '\0')
		return secret_from_file();
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
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory"),
							errhidestmt(true)));
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
				  "Set jcv_logout.jwt_secret_file (HS256/384/512) or jcv_logout.jwks.",
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
