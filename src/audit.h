/*
 * audit.h
 *	  The GoTrue-style "logout" rows written to auth.audit_log_entries when
 *	  jcv_logout.audit is on, for a user's own logout and for admin actions.
 */
#ifndef JCV_AUDIT_H
#define JCV_AUDIT_H

#include "postgres.h"

/*
 * GoTrue's logout payload for the auth.users row u: keys in its (sorted)
 * order, actor_name only when user_metadata has full_name. extra_members
 * is "" or a trailing ", 'traits', <json>" pair (traits sorts last).
 */
#define JCV_AUDIT_PAYLOAD_SQL(extra_members) \
	"CASE WHEN u.raw_user_meta_data ? 'full_name' THEN" \
	" pg_catalog.json_build_object('action', 'logout', 'actor_id', u.id," \
	"  'actor_name', u.raw_user_meta_data -> 'full_name'," \
	"  'actor_username', coalesce(NULLIF(u.phone, ''), u.email, '')," \
	"  'actor_via_sso', u.is_sso_user, 'log_type', 'account'" extra_members ")" \
	" ELSE" \
	" pg_catalog.json_build_object('action', 'logout', 'actor_id', u.id," \
	"  'actor_username', coalesce(NULLIF(u.phone, ''), u.email, '')," \
	"  'actor_via_sso', u.is_sso_user, 'log_type', 'account'" extra_members ")" \
	" END"

/*
 * An admin revocation names itself in GoTrue's traits member:
 * {"jcv_logout_action": <action>, "by": <database role>}.
 */
#define JCV_AUDIT_TRAITS_SQL(action_sql, role_sql) \
	", 'traits', pg_catalog.json_build_object('jcv_logout_action', " action_sql \
	", 'by', " role_sql ")"

/* One audit row per auth.users row u that user_filter_sql selects. */
#define JCV_AUDIT_INSERT_SQL(payload_sql, user_filter_sql) \
	"INSERT INTO auth.audit_log_entries (instance_id, id, payload, created_at, ip_address)" \
	" SELECT '00000000-0000-0000-0000-000000000000', pg_catalog.gen_random_uuid(), " \
	payload_sql ", pg_catalog.now(), ''" \
	" FROM auth.users u WHERE " user_filter_sql

/* The row of a user's own logout, exactly as GoTrue's /logout writes it. */
extern void jcv_audit_logout(Datum user_id);

/*
 * The row of an admin action (admin_action, e.g. "auth_logout_user") that
 * ended the user's sessions, naming the caller's database role.
 */
extern void jcv_audit_admin_logout(Datum user_id, const char *admin_action);

/* The role that called the extension's SECURITY DEFINER function. */
extern char *jcv_calling_role(void);

#endif							/* JCV_AUDIT_H */
