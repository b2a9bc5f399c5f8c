/*
 * require_session_hook.h
 *	  jcv_logout.require_session: the session check of auth_require_session()
 *	  inside each PostgREST request's statements, without db-pre-request.
 */
#ifndef JCV_REQUIRE_SESSION_HOOK_H
#define JCV_REQUIRE_SESSION_HOOK_H

/* Installs the executor hooks; from _PG_init. */
extern void jcv_install_require_session_hook(void);

#endif							/* JCV_REQUIRE_SESSION_HOOK_H */
