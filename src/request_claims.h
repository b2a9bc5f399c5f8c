/*
 * request_claims.h
 *	  Reads PostgREST's request.jwt.claims: the claims of a JWT that PostgREST
 *	  has already verified, as the JSON object it sets for every request.
 *
 * Pure C: no PostgreSQL headers.
 */
#ifndef JCV_REQUEST_CLAIMS_H
#define JCV_REQUEST_CLAIMS_H

#include <stdbool.h>

#include "jwt_verify.h"

/*
 * Longest request.jwt.claims or request.headers value read; a longer one is
 * refused before any parsing. Any SQL session can set these to anything, and
 * PostgREST never sets them this long: its HTTP server (warp) refuses a
 * request whose headers exceed 50 KiB in all (settingsMaxTotalHeaderLength),
 * so neither request.headers (those headers as JSON, with room for the
 * quoting) nor the claims of a token that came in one are larger.
 */
#define JCV_MAX_REQUEST_JSON_BYTES 65536

/* Roles whose requests carry no user session to check (Supabase's names). */
#define JCV_ANON_ROLE "anon"
#define JCV_SERVICE_ROLE "service_role"

/*
 * Fills claims->sub and claims->session_id from claims_json. Returns false
 * when the JSON is not what PostgREST would set (longer than
 * JCV_MAX_REQUEST_JSON_BYTES, not an object, or a session_id without a uuid
 * sub, or a session_id that is not a uuid).
 * claims->has_session_id is false when there is no session to check: no
 * claims at all, role anon or service_role, no session_id, null, "" or the nil uuid.
 */
extern bool jcv_read_request_claims(const char *claims_json, jcv_claims *claims);

#endif							/* JCV_REQUEST_CLAIMS_H */
