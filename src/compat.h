/*
 * compat.h
 *	  The PostgreSQL version differences the extension meets (15, 16, 17),
 *	  in one place: everything else calls these.
 */
#ifndef JCV_COMPAT_H
#define JCV_COMPAT_H

#include "postgres.h"

#include "storage/lock.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

/* What a security-restricted operation runs with, as PostgreSQL 17's RestrictSearchPath(). */
#define JCV_SAFE_SEARCH_PATH "pg_catalog, pg_temp"

/*
 * Sets search_path to pg_catalog, pg_temp at the current GUC nest level
 * (the caller opened one with NewGUCNestLevel and closes it).
 */
static inline void
jcv_restrict_search_path(void)
{
#if PG_VERSION_NUM >= 170000
	RestrictSearchPath();
#else
	(void) set_config_option("search_path", JCV_SAFE_SEARCH_PATH, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
#endif
}

/* The GUC record of a setting or placeholder by name, or NULL. */
static inline struct config_generic *
jcv_find_setting(const char *name)
{
#if PG_VERSION_NUM >= 160000
	return find_option(name, false, true, DEBUG1);
#else
	struct config_generic **variables = get_guc_variables();
	int			count = GetNumConfigOptions();

	for (int i = 0; i < count; i++)
	{
		if (pg_strcasecmp(variables[i]->name, name) == 0)
			return variables[i];
	}
	return NULL;
#endif
}

/*
 * A string a GUC check hook puts in *newval, and how it frees the one it
 * replaces: PostgreSQL 16 keeps setting values in a memory context of its
 * own, 15 in malloc'ed memory. NULL when out of memory (logged).
 */
static inline char *
jcv_guc_strdup(const char *value)
{
#if PG_VERSION_NUM >= 160000
	return guc_strdup(LOG, value);
#else
	return strdup(value);
#endif
}

static inline void
jcv_guc_free(void *value)
{
#if PG_VERSION_NUM >= 160000
	guc_free(value);
#else
	free(value);
#endif
}

/* Whether this backend holds the lock in exactly that mode (17 added "or stronger"). */
static inline bool
jcv_lock_held_by_me(const LOCKTAG *tag, LOCKMODE mode)
{
#if PG_VERSION_NUM >= 170000
	return LockHeldByMe(tag, mode, false);
#else
	return LockHeldByMe(tag, mode);
#endif
}

#endif							/* JCV_COMPAT_H */
