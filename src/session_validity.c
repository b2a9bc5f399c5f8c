/*
 * session_validity.c
 *	  GoTrue's session validity rules (internal/models/sessions.go
 *	  CheckValidity), which GoTrue applies only when a refresh token is used
 *	  and we apply whenever a session is checked.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/timestamp.h"

#include "errors.h"
#include "session_validity.h"
#include "settings.h"

/* Where the times start in JCV_SESSION_COLUMNS (after id and user_id) */
#define FIRST_TIME_COLUMN 3

/* Both timestamp types hold microseconds since 2000-01-01 as an int64. */
static bool
read_time(HeapTuple row, TupleDesc desc, int column, TimestampTz *value)
{
	Oid			type = SPI_gettypeid(desc, column);
	bool		isnull;
	Datum		datum;

	if (type != TIMESTAMPTZOID && type != TIMESTAMPOID)
		jcv_raise(JCV_AUTH_STORE_FAILED,
				  "the auth schema is missing or is not Supabase Auth's",
				  "Install Supabase Auth (GoTrue) and run its migrations in this database.",
				  "an auth.sessions time column is not a timestamp");
	datum = SPI_getbinval(row, desc, column, &isnull);

	if (!isnull)
		*value = DatumGetTimestampTz(datum);
	return !isnull;
}

/*
 * GoTrue's LastRefreshedAt is refreshed_at, which every refresh writes; a
 * session never refreshed falls back to the presented refresh token's
 * updated_at when later than created_at. A request carries no refresh token,
 * so the session row's own updated_at stands in for it.
 */
void
jcv_session_from_row(HeapTuple row, TupleDesc desc, jcv_session_times *times)
{
	bool		present[JCV_SESSION_TIME_COUNT];
	TimestampTz values[JCV_SESSION_TIME_COUNT];

	for (int i = 0; i < JCV_SESSION_TIME_COUNT; i++)
		present[i] = read_time(row, desc, FIRST_TIME_COLUMN + i, &values[i]);
	jcv_session_from_times(present, values, times);
}

void
jcv_session_from_times(const bool present[JCV_SESSION_TIME_COUNT],
					   const TimestampTz values[JCV_SESSION_TIME_COUNT],
					   jcv_session_times *times)
{
	TimestampTz updated_at = values[JCV_SESSION_UPDATED_AT];
	bool		has_updated_at = present[JCV_SESSION_UPDATED_AT];

	times->has_not_after = present[JCV_SESSION_NOT_AFTER];
	times->not_after = values[JCV_SESSION_NOT_AFTER];
	times->has_created_at = present[JCV_SESSION_CREATED_AT];
	times->created_at = values[JCV_SESSION_CREATED_AT];

	/*
	 * refreshed_at is a timestamp WITHOUT time zone holding UTC (GoTrue's
	 * UpdateOnlyRefreshInfo): read in UTC, its value is the instant itself.
	 */
	times->has_last_active = present[JCV_SESSION_REFRESHED_AT];
	times->last_active = values[JCV_SESSION_REFRESHED_AT];
	if (times->has_last_active)
		return;
	times->has_last_active = has_updated_at || times->has_created_at;
	if (has_updated_at && times->has_created_at)
		times->last_active = Max(updated_at, times->created_at);
	else
		times->last_active = has_updated_at ? updated_at : times->created_at;
}

/* True when moment lies more than limit_seconds before now. */
static bool
older_than(TimestampTz moment, int limit_seconds, TimestampTz now)
{
	/* Subtract from now: moment may be infinite, now never is. */
	return moment < now - (TimestampTz) limit_seconds * USECS_PER_SEC;
}

bool
jcv_session_has_ended(const jcv_session_times *times, TimestampTz now)
{
	if (times->has_not_after && times->not_after < now)
		return true;
	if (jcv_session_timebox > 0 && times->has_created_at &&
		older_than(times->created_at, jcv_session_timebox, now))
		return true;
	if (jcv_idle_timeout > 0 && times->has_last_active &&
		older_than(times->last_active, jcv_idle_timeout, now))
		return true;
	return false;
}
