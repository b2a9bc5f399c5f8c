/*
 * session_validity.h
 *	  When a Supabase Auth session has ended, by GoTrue's rules (not_after,
 *	  timebox, inactivity), applied alike by every session check.
 */
#ifndef JCV_SESSION_VALIDITY_H
#define JCV_SESSION_VALIDITY_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"

/*
 * The auth.sessions columns a check reads, in the order
 * jcv_session_from_row expects them at the start of a row.
 */
#define JCV_SESSION_COLUMNS "id, user_id, not_after, created_at, updated_at, refreshed_at"
#define JCV_SESSION_ID_COLUMN 1
#define JCV_SESSION_USER_ID_COLUMN 2

/* The time columns of JCV_SESSION_COLUMNS, in order. */
typedef enum jcv_session_time
{
	JCV_SESSION_NOT_AFTER,
	JCV_SESSION_CREATED_AT,
	JCV_SESSION_UPDATED_AT,
	JCV_SESSION_REFRESHED_AT,
	JCV_SESSION_TIME_COUNT
} jcv_session_time;

/* The lifetime facts of one session; a missing time is simply not known. */
typedef struct jcv_session_times
{
	bool		has_not_after;
	TimestampTz not_after;
	bool		has_created_at;
	TimestampTz created_at;
	bool		has_last_active;
	TimestampTz last_active;	/* GoTrue's LastRefreshedAt */
} jcv_session_times;

/* Reads the JCV_SESSION_COLUMNS of a row. */
extern void jcv_session_from_row(HeapTuple row, TupleDesc desc, jcv_session_times *times);

/* The same from the time columns' values (present: not NULL). */
extern void jcv_session_from_times(const bool present[JCV_SESSION_TIME_COUNT],
								   const TimestampTz values[JCV_SESSION_TIME_COUNT],
								   jcv_session_times *times);

/*
 * GoTrue's CheckValidity: past not_after, past jcv_logout.session_timebox
 * from created_at, or idle longer than jcv_logout.idle_timeout.
 */
extern bool jcv_session_has_ended(const jcv_session_times *times, TimestampTz now);

/*
 * The same rule in SQL, for set-based queries over auth.sessions s: now_sql
 * is the moment (timestamptz), timebox_sql and idle_sql are intervals, NULL
 * for no limit. A missing time ends nothing (comparisons with NULL fail);
 * refreshed_at holds UTC without a time zone; GREATEST skips NULLs, so the
 * fallback is the later of updated_at and created_at, as above.
 */
#define JCV_SESSION_ENDED_SQL(now_sql, timebox_sql, idle_sql) \
	"(s.not_after < " now_sql \
	" OR s.created_at < " now_sql " - " timebox_sql \
	" OR coalesce(s.refreshed_at AT TIME ZONE 'UTC', GREATEST(s.updated_at, s.created_at))" \
	" < " now_sql " - " idle_sql ")"

#endif							/* JCV_SESSION_VALIDITY_H */
