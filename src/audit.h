/*
 * audit.h
 *	  The GoTrue-style "logout" rows written to auth.audit_log_entries when
 *	  jcv_logout.audit is on, for a user's own logout and for admin actions.
 */
#ifndef JCV_AUDIT_H
#define JCV_AUDIT_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "utils/jsonb.h"

/*
 * The auth.users columns of the row u that an audit row names its actor
 * from, in the order jcv_audit_actor_from_row reads them: GoTrue's
 * actor_username is the phone when it is not empty, else the email.
 */
#define JCV_AUDIT_ACTOR_COLUMNS \
	"u.id, coalesce(NULLIF(u.phone, ''), u.email, ''), u.is_sso_user, u.raw_user_meta_data"
#define JCV_AUDIT_ACTOR_COLUMN_COUNT 4

/* The user an audit row is about, as GoTrue's NewAuditLogEntry reads it. */
typedef struct jcv_audit_actor
{
	Datum		id;				/* uuid */
	char	   *username;
	bool		via_sso;
	Jsonb	   *user_metadata;	/* NULL when the column is */
} jcv_audit_actor;

/*
 * Reads JCV_AUDIT_ACTOR_COLUMNS from row, starting at column first_column
 * (1-based), copied into the current memory context.
 */
extern void jcv_audit_actor_from_row(HeapTuple row, TupleDesc desc, int first_column,
									 jcv_audit_actor *actor);

/*
 * The row of a user's own logout, exactly as GoTrue's /logout writes it:
 * its payload text is what Go's json.Marshal writes (src/go_json.c).
 */
extern void jcv_audit_logout(const jcv_audit_actor *actor);

/*
 * The row of an admin action (admin_action, e.g. "auth_logout_user") that
 * ended the user's sessions, naming the caller's database role in GoTrue's
 * traits member: {"by": <role>, "jcv_logout_action": <action>}.
 */
extern void jcv_audit_admin_logout(Datum user_id, const char *admin_action);

/* The same for each user of user_ids (uuid[]), naming role. */
extern void jcv_audit_admin_logout_users(Datum user_ids, const char *admin_action,
										 const char *role);

/* The role that called the extension's SECURITY DEFINER function. */
extern char *jcv_calling_role(void);

#endif							/* JCV_AUDIT_H */
