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

#define NOT_AFTER_COLUMN 3
#define CREATED_AT_COLUMN 4
#define UPDATED_AT_COLUMN 5
#define REFRESHED_AT_COLUMN 6

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
	TimestampTz updated_at;
	bool		has_updated_at;

	times->has_not_after = read_time(row, desc, NOT_AFTER_COLUMN, &times->not_after);
	times->has_created_at = read_time(row, desc, CREATED_AT_COLUMN, &times->created_at);
	has_updated_at = read_time(row, desc, UPDATED_AT_COLUMN, &updated_at);

	/*
	 * refreshed_at is a timestamp WITHOUT time zone holding UTC (GoTrue's
	 * UpdateOnlyRefreshInfo): read in UTC, its value is the instant itself.
	 */
	times->has_last_active = read_time(row, desc, REFRESHED_AT_COLUMN, &times->last_active);
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
