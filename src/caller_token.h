/*
 * caller_token.h
 *	  The access token a call is about (the argument, or the Bearer token of
 *	  the current PostgREST request) and its verification.
 */
#ifndef JCV_CALLER_TOKEN_H
#define JCV_CALLER_TOKEN_H

#include "postgres.h"

#include "jwt_verify.h"

/*
 * Verifies the caller's token (token_arg, or request.headers when NULL) and
 * returns the verifier's status; JCV_OK fills claims. request.jwt.claims is
 * never read: any SQL session can set it. A configuration fault (no key)
 * raises SUPABASE_ERROR rather than reading as a bad token.
 */
extern jcv_status jcv_check_caller_token(text *token_arg, jcv_claims *claims);

/* As jcv_check_caller_token, raising UNAUTHORIZED unless the token verifies. */
extern jcv_claims jcv_verify_caller_token(text *token_arg);

#endif							/* JCV_CALLER_TOKEN_H */
