/*
 * settings.h
 *	  The jcv_logout.* GUCs and the verification inputs derived from them.
 */
#ifndef JCV_SETTINGS_H
#define JCV_SETTINGS_H

#include "jwt_verify.h"

typedef enum jcv_error_format
{
	JCV_ERROR_FORMAT_AUTO,
	JCV_ERROR_FORMAT_POSTGREST,
	JCV_ERROR_FORMAT_PLAIN
} jcv_error_format;

/* GUC variables */
extern bool jcv_audit;
extern int	jcv_session_timebox;
extern int	jcv_idle_timeout;
extern char *jcv_auth_admin_role;
extern int	jcv_error_format_setting;
extern bool jcv_require_session;
extern int	jcv_session_cache_size;	/* entries per backend, 0: none */

/*
 * Defines the jcv_logout.* settings (from _PG_init). Ends the connection
 * when its options tried to change a setting its role may not set.
 */
extern void jcv_define_settings(void);

/*
 * Fills the keyring from jcv_logout.jwks (or jcv_logout.jwks_file) and the
 * HS secret (the file jcv_logout.jwt_secret_file, else a trusted
 * app.settings.jwt_secret). The keys stay owned by this module. Raises
 * SUPABASE_ERROR when neither holds a key, and when a retired setting holds
 * a secret (jcv_logout.jwt_secret, a symmetric key in jcv_logout.jwks).
 */
extern void jcv_load_keyring(jcv_keyring *keys);

/* Claim rules in force now. */
extern void jcv_load_policy(jcv_policy *policy);

#endif							/* JCV_SETTINGS_H */
