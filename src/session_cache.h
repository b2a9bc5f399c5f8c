/*
 * session_cache.h
 *	  Sessions a backend has found alive, kept until a commit that deletes or
 *	  shortens them could be visible (src/session_cache.c says how).
 */
#ifndef JCV_SESSION_CACHE_H
#define JCV_SESSION_CACHE_H

#include "postgres.h"

#include "utils/uuid.h"

#include "session_validity.h"

/* The trigger on auth.sessions that announces changes; its C symbol too. */
#define JCV_SESSION_CHANGE_TRIGGER "jcv_logout_session_changed"
/* The event trigger on ALTER TABLE and CREATE TRIGGER, its function and C symbol. */
#define JCV_TABLE_ALTERED_TRIGGER "jcv_logout_table_altered"

/* The change counts a lookup whose answer may be kept was made after. */
typedef struct jcv_session_ticket
{
	uint64		started;
	uint64		table_started;
} jcv_session_ticket;

/* From _PG_init: asks for the shared change counters when preloading. */
extern void jcv_session_cache_init(void);

/*
 * Whether this backend may answer from the cache now: the counters exist
 * (library in shared_preload_libraries), a primary in READ COMMITTED, a
 * cache size above 0. The caller also makes sure the change trigger is in
 * place on the table it reads, and the event trigger in the database
 * (jcv_session_cache_watches_alter_table).
 */
extern bool jcv_session_cache_usable(void);

/* The times of the session, if cached for this user and still current. */
extern bool jcv_session_cache_lookup(const pg_uuid_t *session_id, const pg_uuid_t *user_id,
									 jcv_session_times *times);

/*
 * Before a lookup in relid (auth.sessions, locked) whose answer may be kept:
 * false when a change of this session may be in flight. Otherwise *ticket is
 * what jcv_session_cache_add needs, and the lookup must use a snapshot taken
 * after this call. It may read invalidations: the caller checks again that
 * what it knows of the table still holds.
 */
extern bool jcv_session_cache_ticket(Oid relid, const pg_uuid_t *session_id, jcv_session_ticket *ticket);

/* Keeps a session found alive through a snapshot taken after the ticket. */
extern void jcv_session_cache_add(const pg_uuid_t *session_id, const pg_uuid_t *user_id,
								  const jcv_session_times *times, const jcv_session_ticket *ticket);

/*
 * Counts this transaction as a change that ends the session, as the
 * trigger does for a delete (src/ended_sessions.c lists sessions it could
 * not delete).
 */
extern void jcv_session_cache_announce(const pg_uuid_t *session_id);

/* Whether a function is the C function of that symbol (only a superuser makes one). */
extern bool jcv_is_c_function(Oid function, const char *symbol);

/* Whether jcv_logout_table_altered is in place: ddl_command_end, ALTER TABLE and CREATE TRIGGER, ALWAYS. */
extern bool jcv_session_cache_watches_alter_table(void);

/* Forgets every session (the table or what the check knows of it changed). */
extern void jcv_session_cache_forget_all(void);

#endif							/* JCV_SESSION_CACHE_H */
