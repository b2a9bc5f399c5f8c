/*
 * request_session.h
 *	  The session a request's claims name, as the session checks look it up:
 *	  the session and user ids as bytes.
 */
#ifndef JCV_REQUEST_SESSION_H
#define JCV_REQUEST_SESSION_H

#include "postgres.h"

#include "utils/uuid.h"

#include "jwt_verify.h"

typedef struct jcv_request_session
{
	bool		has_session;	/* false: no session to check */
	pg_uuid_t	session_id;
	pg_uuid_t	user_id;
} jcv_request_session;

/*
 * jcv_read_request_claims (src/request_claims.h) with its answer kept per
 * claims text, as long as jcv_logout.session_cache is above 0: a backend
 * reads the claims of a token it has seen before without parsing them.
 * false when the claims are not what PostgREST would set.
 */
extern bool jcv_read_request_session(const char *claims_json, jcv_request_session *session);

/* The session of a verified token's claims. */
extern void jcv_request_session_of_claims(const jcv_claims *claims, jcv_request_session *session);

#endif							/* JCV_REQUEST_SESSION_H */
