/*
 * logout.h
 *	  What auth_logout shares with the admin functions and the device logout.
 */
#ifndef JCV_LOGOUT_H
#define JCV_LOGOUT_H

#include "spi_statement.h"
#include "utils/jsonb.h"

/*
 * Deletes the legacy refresh tokens of user $1 (uuid) that have no session,
 * which no cascade reaches, through the (instance_id, user_id) index.
 */
extern saved_statement delete_sessionless_refresh_tokens;

/* auth_logout's answer: {"success": true, "message": "Successfully logged out"}. */
extern Jsonb *logout_payload(void);

#endif							/* JCV_LOGOUT_H */
