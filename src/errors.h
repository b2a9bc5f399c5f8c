/*
 * errors.h
 *	  The one place that raises the contract's three error codes, as a
 *	  PostgREST custom error inside a request and as PTxxx SQLSTATEs elsewhere.
 */
#ifndef JCV_ERRORS_H
#define JCV_ERRORS_H

typedef enum jcv_error_kind
{
	JCV_UNAUTHORIZED,			/* UNAUTHORIZED, 401 */
	JCV_BAD_REQUEST,			/* LOGOUT_ERROR, 400 */
	JCV_LOGOUT_FAILED,			/* LOGOUT_ERROR, 500 */
	JCV_AUTH_STORE_FAILED,		/* SUPABASE_ERROR, 500 (PT503 in plain form) */
	JCV_RETRY					/* LOGOUT_RETRY, 503 (jcv_raise_retry) */
} jcv_error_kind;

/*
 * Raises ERROR. message and hint are shown to the client and must never hold
 * a token or a secret; log_detail (may be NULL) goes to the server log only.
 */
extern void jcv_raise(jcv_error_kind kind, const char *message,
					  const char *hint, const char *log_detail) pg_attribute_noreturn();

/*
 * LOGOUT_RETRY: the statement lost a lock conflict (serialization failure,
 * deadlock, lock_timeout) and changed nothing; running the transaction again
 * may succeed. HTTP 503 with Retry-After inside a PostgREST request; in plain
 * form the conflict's own SQLSTATE (40001, 40P01, 55P03), which drivers and
 * migration tools already retry on.
 */
extern void jcv_raise_retry(int sqlstate, const char *log_detail) pg_attribute_noreturn();

#endif							/* JCV_ERRORS_H */
