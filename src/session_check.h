/*
 * session_check.h
 *	  The session check behind auth_require_session(), for the
 *	  jcv_logout.require_session hook.
 */
#ifndef JCV_SESSION_CHECK_H
#define JCV_SESSION_CHECK_H

/*
 * Raises UNAUTHORIZED unless the session named by PostgREST's claims JSON
 * is active (claims without a session pass), reading auth.sessions as the
 * current user. Returns true once checked; false, having checked nothing,
 * when allow_spi is false and the table can only be read through SPI.
 */
extern bool jcv_require_claims_session(const char *claims_json, bool allow_spi);

#endif							/* JCV_SESSION_CHECK_H */
