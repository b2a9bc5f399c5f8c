/*
 * logout.h
 *	  Statements of auth_logout that the admin functions share.
 */
#ifndef JCV_LOGOUT_H
#define JCV_LOGOUT_H

#include "spi_statement.h"

/*
 * Deletes the legacy refresh tokens of user $1 (uuid) that have no session,
 * which no cascade reaches, through the (instance_id, user_id) index.
 */
extern saved_statement delete_sessionless_refresh_tokens;

/*
 * Locks session $1 (uuid) FOR UPDATE, waiting for a transaction that holds
 * it: the only session row a logout of one session locks. Returns the
 * row's JCV_SESSION_COLUMNS (src/session_validity.h), none when it is gone.
 */
extern saved_statement lock_one_session;

#endif							/* JCV_LOGOUT_H */
