/*
 * jcv_logout.c
 *	  Module entry: defines the settings, asks for the session cache's shared
 *	  memory when preloaded, then installs the per-request session check's
 *	  hooks. Each part has its own init; none includes this.
 */
#include "postgres.h"

#include "fmgr.h"

#include "require_session_hook.h"
#include "session_cache.h"
#include "settings.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	jcv_define_settings();
	jcv_session_cache_init();
	jcv_install_require_session_hook();
}
