/*
 * session_check.h
 *	  The session check behind auth_require_session(), for the
 *	  jcv_logout.require_session hook.
 */
#ifndef JCV_SESSION_CHECK_H
#define JCV_SESSION_CHECK_H

/*
 * Raises UNAUTHORIZED unless the session named by PostgREST's claims JSON
 * is active (claims without a session pass), reading auth.sessions as its
 * owner sees it. Returns true once checked; false, having checked nothing,
 * when allow_spi is false and the table can only be read through SPI.
 */
extern bool jcv_require_claims_session(const char *claims_json, bool allow_spi);

/*
 * Whether request claims leave nothing to refuse: no session to check
 * (none, anon, service_role, no session_id, "" or the nil session), or a session
 * of the claims' sub that exists and has not ended. Claims that are not
 * JSON, too large or with ids that are not uuids are false, never an error;
 * a missing or foreign auth schema still raises SUPABASE_ERROR.
 */
extern bool jcv_claims_session_alive(const char *claims_json);

#endif							/* JCV_SESSION_CHECK_H */
