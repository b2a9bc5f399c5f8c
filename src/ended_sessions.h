/*
 * ended_sessions.h
 *	  The list of sessions a logout ended without deleting them, because
 *	  another transaction held the row (src/ended_sessions.c says why).
 */
#ifndef JCV_ENDED_SESSIONS_H
#define JCV_ENDED_SESSIONS_H

#include "postgres.h"

#include "utils/snapshot.h"
#include "utils/uuid.h"

/* The list, in the extension's schema (jcv_logout--1.3--1.4.sql). */
#define JCV_ENDED_SESSIONS_TABLE "jcv_logout_ended_sessions"

/* The list's owner; InvalidOid when it is not installed (SQL objects of 1.3). */
extern Oid	jcv_ended_sessions_owner(void);

/*
 * Whether the session is listed, read through snapshot by the list's
 * primary key, as the session checks read auth.sessions (no SPI, no row
 * locks, no rights of the caller needed). false when there is no list.
 */
extern bool jcv_session_listed_ended(const pg_uuid_t *session_id, Snapshot snapshot);

/*
 * The statements below run inside the caller's SPI connection, as the
 * list's owner. jcv_ended_sessions_record lists sessions (uuid[]) of a user
 * and tells the session cache of every backend; jcv_ended_sessions_forget
 * unlists sessions (uuid[]) that are gone; jcv_ended_sessions_all returns
 * the whole list (uuid[]). Nothing happens when the list is not installed.
 */
extern void jcv_ended_sessions_record(Datum user_id, Datum session_ids);
extern void jcv_ended_sessions_forget(Datum session_ids);
extern Datum jcv_ended_sessions_all(void);

#endif							/* JCV_ENDED_SESSIONS_H */
