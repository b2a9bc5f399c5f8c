/*
 * logout.h
 *	  What auth_logout shares with the admin functions and the device logout.
 */
#ifndef JCV_LOGOUT_H
#define JCV_LOGOUT_H

#include "audit.h"
#include "spi_statement.h"
#include "utils/jsonb.h"

/*
 * Deletes the legacy refresh tokens of user $1 (uuid) that have no session,
 * which no cascade reaches, through the (instance_id, user_id) index.
 */
extern saved_statement delete_sessionless_refresh_tokens;

/*
 * Finds the token's user as Supabase Auth does (nil instance, not banned),
 * raising UNAUTHORIZED otherwise, and fills actor for its audit row. Inside
 * an SPI connection.
 */
extern void jcv_find_token_user(Datum user_id, jcv_audit_actor *actor);

/* auth_logout's answer: {"success": true, "message": "Successfully logged out"}. */
extern Jsonb *logout_payload(void);

/*
 * Locks session $1 (uuid) FOR UPDATE, waiting for a transaction that holds
 * it: the only session row a logout of one session locks. Returns the
 * row's JCV_SESSION_COLUMNS (src/session_validity.h), none when it is gone.
 */
extern saved_statement lock_one_session;

/*
 * Deletes session $1 (its refresh tokens and amr claims go by GoTrue's
 * cascades) and unlists it from the ended sessions; the caller holds its
 * lock. Inside an SPI connection.
 */
extern void jcv_delete_one_session(Datum session_id);

#endif							/* JCV_LOGOUT_H */
